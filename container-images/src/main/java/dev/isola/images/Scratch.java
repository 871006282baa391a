package dev.isola.images;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A private working directory in the store's {@code tmp/}, with a lock file beside it that says
 * it is in use. The lock file also lists the layers its load needs, so that a concurrent
 * {@link ImageStore#gc()} keeps them before the load has written its image record. A scratch
 * directory whose lock nobody holds was left by a process that died; gc removes it.
 */
final class Scratch implements AutoCloseable {
  private static final String LOCK_SUFFIX = ".lock";

  private final Path dir;
  private final Path lockFile;
  private final FileLock lock;

  private Scratch(Path dir, Path lockFile, FileLock lock) {
    this.dir = dir;
    this.lockFile = lockFile;
    this.lock = lock;
  }

  /** A new scratch directory in {@code tmp} that keeps the layers {@code pinnedLayers} (hex). */
  static Scratch create(Path tmp, List<String> pinnedLayers) throws IOException {
    while (true) {
      String name = UUID.randomUUID().toString();
      Path lockFile = tmp.resolve(name + LOCK_SUFFIX);
      FileLock lock = FileLock.acquire(lockFile);
      // gc may have taken and deleted the file between its creation and our lock: try another.
      if (!Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
        lock.close();
        continue;
      }
      try {
        lock.channel().write(ByteBuffer.wrap(String.join("\n", pinnedLayers).getBytes(StandardCharsets.UTF_8)));
        Path dir = Files.createDirectory(tmp.resolve(name));
        return new Scratch(dir, lockFile, lock);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(lockFile);
        lock.close();
        throw e;
      }
    }
  }

  Path dir() {
    return dir;
  }

  @Override
  public void close() throws IOException {
    try {
      Trees.delete(dir);
      Files.deleteIfExists(lockFile);
    } finally {
      lock.close();
    }
  }

  /**
   * Removes what dead processes left in {@code tmp} and returns the layers that live loads pin.
   */
  static Set<String> sweep(Path tmp) throws IOException {
    Set<String> pinned = new HashSet<>();
    Set<String> live = new HashSet<>();
    try (DirectoryStream<Path> locks = Files.newDirectoryStream(tmp, "*" + LOCK_SUFFIX)) {
      for (Path lockFile : locks) {
        String name = lockFile.getFileName().toString();
        String dirName = name.substring(0, name.length() - LOCK_SUFFIX.length());
        Optional<FileLock> stale = FileLock.tryAcquire(lockFile);
        if (stale.isEmpty()) {
          live.add(dirName);
          for (String layer : Files.readString(lockFile).split("\n")) {
            pinned.add(layer);
          }
          continue;
        }
        try (FileLock held = stale.get()) {
          Trees.delete(tmp.resolve(dirName));
          Files.deleteIfExists(lockFile);
        }
      }
    }
    // A directory without its lock file is left from a process that died while deleting it.
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, p -> !p.getFileName().toString().endsWith(LOCK_SUFFIX))) {
      for (Path dir : dirs) {
        if (!live.contains(dir.getFileName().toString()) && !Files.exists(tmp.resolve(dir.getFileName() + LOCK_SUFFIX))) {
          Trees.delete(dir);
        }
      }
    }
    return pinned;
  }
}
