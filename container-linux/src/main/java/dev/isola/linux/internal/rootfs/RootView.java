package dev.isola.linux.internal.rootfs;

import dev.isola.ContainerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A container's root file system read from the host: layer directories stacked the way overlayfs
 * (mounted with {@code userxattr}) stacks them, or a single rootfs directory. A whiteout (a
 * character device 0/0) hides what lies below it; a directory marked {@code user.overlay.opaque}
 * hides the directories of the same name below.
 *
 * <p>Nothing here follows a symbolic link: the container wrote these trees, and a link it made
 * must not lead a host-side read or copy out of them (catalog HOST-01).
 */
public final class RootView {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  /** The layers, highest first. */
  private final List<Path> layers;

public   RootView(List<Path> highestFirst) {
    this.layers = List.copyOf(highestFirst);
  }

  /**
   * What {@code path} (absolute, normalized) is in the merged tree: the directories of each layer
   * that make up a merged directory (highest first), or the one file, link or other entry that
   * shows; empty when nothing shows there.
   */
  public Optional<List<Path>> find(String path) {
    List<Path> found = new ArrayList<>(layers);
    for (String name : path.substring(1).split("/")) {
      if (name.isEmpty()) {
        continue;
      }
      if (found.size() == 1 && !Files.isDirectory(found.get(0), NOFOLLOW)) {
        return Optional.empty(); // a file or link on the way: nothing lies beneath it
      }
      found = child(found, name);
      if (found.isEmpty()) {
        return Optional.empty();
      }
    }
    return Optional.of(found);
  }

  /** {@code name} in a merged directory made of {@code dirs}, highest first. */
  private static List<Path> child(List<Path> dirs, String name) {
    List<Path> found = new ArrayList<>();
    for (Path dir : dirs) {
      Path p = dir.resolve(name);
      PosixFileAttributes a = attributes(p);
      if (a == null) {
        continue;
      }
      if (isWhiteout(p, a)) {
        break;
      }
      if (!a.isDirectory()) {
        if (found.isEmpty()) {
          found.add(p); // the highest entry is not a directory: it hides everything below
        }
        break;
      }
      found.add(p);
      if (isOpaque(p)) {
        break;
      }
    }
    return found;
  }

  /** The names in a merged directory, without those whited out. */
  private static Set<String> names(List<Path> dirs) {
    Set<String> names = new LinkedHashSet<>();
    for (Path dir : dirs) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path e : entries) {
          names.add(e.getFileName().toString());
        }
      } catch (IOException e) {
        throw new ContainerException("cannot list " + dir + ": " + e.getMessage(), e);
      }
    }
    names.removeIf(n -> child(dirs, n).isEmpty());
    return names;
  }

  /**
   * Copies {@code source} to the new host path {@code target}: directories, regular files (their
   * permission bits, never setuid or setgid) and symbolic links (as links), at most {@code
   * maxBytes} of file content. The copies belong to the caller; a failed copy is removed.
   */
  public void copyOut(String source, Path target, long maxBytes) {
    List<Path> found = find(source).orElseThrow(() -> new ContainerException(
        "cannot copy " + source + " out of the container: its root has no such file or directory"));
    if (Files.exists(target, NOFOLLOW)) {
      throw new ContainerException("cannot copy " + source + " out of the container to " + target + ": the target exists");
    }
    try {
      new Copy(maxBytes).copy(source, found, target);
    } catch (IOException | RuntimeException e) {
      if (Files.exists(target, NOFOLLOW)) {
        RootLayers.removeTree(target);
      }
      throw e instanceof ContainerException ? (ContainerException) e
          : new ContainerException("cannot copy " + source + " out of the container to " + target + ": " + e, e);
    }
  }

  /** One copy out, with what it may still write. */
  private static final class Copy {
    private long left;
    private final long max;

    Copy(long max) {
      this.left = max;
      this.max = max;
    }

    void copy(String inside, List<Path> found, Path target) throws IOException {
      Path top = found.get(0);
      PosixFileAttributes a = Files.readAttributes(top, PosixFileAttributes.class, NOFOLLOW);
      if (a.isSymbolicLink()) {
        Files.createSymbolicLink(target, Files.readSymbolicLink(top));
      } else if (a.isDirectory()) {
        Files.createDirectory(target);
        for (String name : names(found)) {
          copy(inside + "/" + name, child(found, name), target.resolve(name));
        }
        Files.setPosixFilePermissions(target, a.permissions());
      } else if (a.isRegularFile()) {
        if (a.size() > left) {
          throw new ContainerException("cannot copy " + inside + " out of the container: more than " + max + " bytes");
        }
        left -= a.size();
        try (InputStream in = Files.newInputStream(top, NOFOLLOW);
            OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          // the size read above is the limit: a file that grows meanwhile is cut there
          in.transferTo(new LimitedOutput(out, a.size(), inside));
        }
        // permission bits only: a setuid file copied out by root must not become a setuid-root program
        Files.setPosixFilePermissions(target, a.permissions());
      } else {
        throw new ContainerException("cannot copy " + inside + " out of the container: it is a device, socket or pipe,"
            + " which is not copied (nor opened)");
      }
    }
  }

  /** Fails past {@code limit} bytes. */
  private static final class LimitedOutput extends java.io.FilterOutputStream {
    private long left;
    private final String inside;

    LimitedOutput(OutputStream out, long limit, String inside) {
      super(out);
      this.left = limit;
      this.inside = inside;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len > left) {
        throw new ContainerException("cannot copy " + inside + " out of the container: it grew while being copied");
      }
      left -= len;
      out.write(b, off, len);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }
  }

  private static PosixFileAttributes attributes(Path p) {
    try {
      return Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW);
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean isWhiteout(Path p, PosixFileAttributes a) {
    if (!a.isOther()) {
      return false;
    }
    try {
      return ((Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 0170000) == 0020000
          && (Long) Files.getAttribute(p, "unix:rdev", NOFOLLOW) == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isOpaque(Path dir) {
    try {
      UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class, NOFOLLOW);
      return xattrs.list().contains("overlay.opaque");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
