package dev.isola.linux.internal.rootfs;

import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tmpfs of a given size for the private layers of one container's root, mounted by a root JVM
 * on their directory of {@code /dev/shm} only for the start: once the container's overlay holds it,
 * it is detached from the host's mount table and its directory removed, and the JVM reads it
 * through a descriptor it keeps ({@code /proc/self/fd/<n>}) until {@link #close()}. So the
 * container's writes are bounded, and neither a directory nor a mount of it outlives the
 * container when the JVM is killed (but for the moments of a start, which the next JVM's sweep
 * undoes). Overlayfs takes layers only from mounts of its mount namespace, so the tmpfs must be
 * mounted when the container's namespace is copied from the host's; a detached ({@code fsmount})
 * one would not do.
 */
final class LayerTmpfs implements AutoCloseable {
  // <sys/mount.h>
  private static final long MS_NOSUID = 2;
  private static final long MS_NODEV = 4;
  private static final long MS_PRIVATE = 1 << 18;
  private static final int MNT_DETACH = 2;

  private final Path dir;
  private final int fd;
  private boolean detached;

  private LayerTmpfs(Path dir, int fd) {
    this.dir = dir;
    this.fd = fd;
  }

  /** Mounts a tmpfs of {@code sizeBytes} on the empty directory {@code dir}, private to this mount table. */
  static LayerTmpfs mount(Path dir, long sizeBytes) throws IOException {
    String target = dir.toString();
    if (LibC.mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=" + sizeBytes + ",mode=0700") < 0) {
      throw Errno.last("mount a tmpfs of " + sizeBytes + " bytes on " + target);
    }
    // /dev/shm is often a shared mount: what is mounted beneath it must not appear elsewhere
    int fd = -1;
    if (LibC.mount("", target, "", MS_PRIVATE, null) < 0 || (fd = LibC.open(target, LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0)) < 0) {
      Errno.Failure f = Errno.last("keep the tmpfs on " + target);
      LibC.umount2(target, MNT_DETACH);
      throw f;
    }
    return new LayerTmpfs(dir, fd);
  }

  /** Where the JVM reads the tmpfs: its directory until {@link #detach()}, then the descriptor. */
  synchronized Path root() {
    return detached ? Path.of("/proc/self/fd/" + fd) : dir;
  }

  /** Takes the tmpfs out of the host's mount table and removes its directory; the container keeps its own. */
  synchronized void detach() {
    if (!detached) {
      LibC.umount2(dir.toString(), MNT_DETACH);
      try {
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        // not empty, so still mounted: the next JVM's sweep removes it
      }
      detached = true;
    }
  }

  /** Frees it: at once if no container holds it, else when the last one ends. */
  @Override
  public synchronized void close() {
    detach();
    LibC.close(fd);
  }

  /** Takes a stale tmpfs off a directory a killed JVM left, so that it can be removed. */
  static void unmountStale(Path dir) {
    LibC.umount2(dir.toString(), MNT_DETACH);
  }
}
