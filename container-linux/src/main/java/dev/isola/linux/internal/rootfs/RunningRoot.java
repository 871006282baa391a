package dev.isola.linux.internal.rootfs;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.isola.ContainerException;
import dev.isola.FileCopy;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * Writes into and reads from a running container's root through {@code /proc/<pid>/root}, which
 * leads into its mount namespace (tmpfs and binds included). Every path inside is resolved by the kernel with
 * {@code RESOLVE_IN_ROOT}, as if that root were {@code /}: a symbolic link the container made
 * cannot lead the write out (catalog HOST-01); the last component is never followed.
 */
public final class RunningRoot implements AutoCloseable {
  private static final long SYS_OPENAT2 = 437; // the same number on every architecture
  private static final long RESOLVE_NO_MAGICLINKS = 0x02;
  private static final long RESOLVE_IN_ROOT = 0x10;

  private final int root;
  private final int uid;
  private final int gid;

  private RunningRoot(int root, long[] ids) {
    this.root = root;
    this.uid = (int) ids[0];
    this.gid = (int) ids[1];
  }

  /**
   * The root of the container whose pid 1 is {@code pid}; what is written belongs to {@code ids}
   * (the host uid and gid of its root). An ordinary user may not open the init's root (it never
   * ran a program of the container's, so the kernel counts it as the host's): then the command's.
   */
  public static RunningRoot of(long pid, long[] ids) {
    int fd = LibC.open("/proc/" + pid + "/root", LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
    if (fd < 0 && Native.getLastError() == Errno.EACCES) {
      try {
        String children = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim();
        if (!children.isEmpty()) {
          fd = LibC.open("/proc/" + children.split(" ")[0] + "/root", LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        }
      } catch (IOException e) {
        // the container ended meanwhile: reported below
      }
    }
    if (fd < 0) {
      throw new ContainerException("cannot reach the root of the container (pid " + pid + "): "
          + Errno.describe(Native.getLastError()));
    }
    return new RunningRoot(fd, ids);
  }

  /**
   * Copies {@code f} in, making the target's missing parent directories. As root the copy runs on
   * a thread of its own that takes the file system ids of the container's root and then ends: a
   * file system the container mounted (its tmpfs, its overlay) cannot hold a file of a host id it
   * does not map, host root's included (EOVERFLOW). setfsuid is per thread, unlike setuid, so no
   * other thread of the JVM (nor a virtual thread's carrier) ever runs with those ids.
   */
  public void copyIn(FileCopy f) {
    if (LibC.geteuid() != 0 || uid == 0) {
      copyInOnThisThread(f);
      return;
    }
    RuntimeException[] failure = new RuntimeException[1];
    Thread copier = new Thread(() -> {
      LibC.setfsgid(gid);
      LibC.setfsuid(uid);
      try {
        copyInOnThisThread(f);
      } catch (RuntimeException e) {
        failure[0] = e;
      }
    }, "isola-copy-in");
    copier.start();
    try {
      copier.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerException("interrupted while copying to " + f.target(), e);
    }
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  private void copyInOnThisThread(FileCopy f) {
    String target = f.target();
    int slash = target.lastIndexOf('/');
    int parent = directory(target.substring(0, slash));
    try {
      String name = target.substring(slash + 1);
      if (f.content().isPresent()) {
        writeFile(parent, name, f.content().get(), f.mode(), target);
      } else {
        copy(f.source().orElseThrow(), parent, name, target);
      }
    } catch (IOException e) {
      throw new ContainerException("cannot copy " + f.source().map(Path::toString).orElse("bytes") + " to " + target
          + " in the container: " + e.getMessage(), e);
    } finally {
      LibC.close(parent);
    }
  }

  /** Opens {@code path} (absolute, inside), making what is missing of it. */
  private int directory(String path) {
    String[] names = path.split("/");
    int dir = openInRoot("/");
    String at = "";
    for (String name : names) {
      if (name.isEmpty()) {
        continue;
      }
      at += "/" + name;
      int next = openInRoot(at);
      if (next < 0 && Native.getLastError() == Errno.ENOENT) {
        if (LibC.mkdirat(dir, name, 0755) < 0 && Native.getLastError() != Errno.EEXIST) {
          fail(dir, "create the directory " + at);
        }
        LibC.fchownat(dir, name, uid, gid, LibC.AT_SYMLINK_NOFOLLOW);
        next = openInRoot(at);
      }
      if (next < 0) {
        fail(dir, "open the directory " + at);
      }
      LibC.close(dir);
      dir = next;
    }
    return dir;
  }

  /**
   * Copies {@code source} out to the new host path {@code target} as the container sees it now:
   * its tmpfs mounts and binds included. Directories are walked by descriptor, each opened with
   * {@code O_NOFOLLOW} beneath the last, so that a running container that swaps a directory for a
   * link cannot lead the copy out of its root; links are copied as links, files with their
   * permission bits only (never setuid), at most {@code maxBytes} of content. A failed copy is
   * removed.
   */
  public void copyOut(String source, Path target, long maxBytes) {
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new ContainerException("cannot copy " + source + " out of the container to " + target + ": the target exists");
    }
    int slash = source.lastIndexOf('/');
    String name = source.substring(slash + 1);
    int dir = openInRoot(slash == 0 ? "/" : source.substring(0, slash));
    if (dir < 0) {
      int errno = Native.getLastError();
      throw new ContainerException("cannot copy " + source + " out of the container: "
          + (errno == Errno.ENOENT || errno == Errno.ENOTDIR ? "it has no such file or directory" : Errno.describe(errno)));
    }
    try {
      long[] left = {maxBytes, maxBytes};
      if (name.isEmpty()) { // the root itself
        copyDirectoryOut(dir, source, target, left);
      } else {
        copyOut(dir, name, source, target, left);
      }
    } catch (IOException | RuntimeException e) {
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        RootLayers.removeTree(target);
      }
      throw e instanceof ContainerException ? (ContainerException) e
          : new ContainerException("cannot copy " + source + " out of the container to " + target + ": " + e, e);
    } finally {
      LibC.close(dir);
    }
  }

  private void copyOut(int dir, String name, String inside, Path target, long[] left) throws IOException {
    Path entry = Path.of("/proc/self/fd/" + dir, name); // the descriptor is the directory: only name is looked up
    PosixFileAttributes a;
    try {
      a = Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ContainerException("cannot copy " + inside + " out of the container: it has no such file or directory");
    }
    if (a.isSymbolicLink()) {
      Files.createSymbolicLink(target, Files.readSymbolicLink(entry));
    } else if (a.isDirectory() || a.isRegularFile()) {
      int fd = LibC.openat(dir, name, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | (a.isDirectory() ? LibC.O_DIRECTORY : 0), 0);
      if (fd < 0) {
        fail(-1, "open " + inside);
      }
      try {
        if (a.isDirectory()) {
          copyDirectoryOut(fd, inside, target, left);
        } else {
          copyFileOut(fd, inside, target, left);
        }
      } finally {
        LibC.close(fd);
      }
    } else {
      throw new ContainerException("cannot copy " + inside + " out of the container: it is a device, socket or pipe,"
          + " which is not copied (nor opened)");
    }
    if (!a.isSymbolicLink()) {
      // permission bits only: a setuid file copied out by root must not become a setuid-root program
      Files.setPosixFilePermissions(target, a.permissions());
    }
  }

  private void copyDirectoryOut(int fd, String inside, Path target, long[] left) throws IOException {
    Files.createDirectory(target);
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/self/fd/" + fd))) {
      for (Path e : entries) {
        String child = e.getFileName().toString();
        copyOut(fd, child, inside.equals("/") ? "/" + child : inside + "/" + child, target.resolve(child), left);
      }
    }
  }

  private static void copyFileOut(int fd, String inside, Path target, long[] left) throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("/proc/self/fd/" + fd));
        java.io.OutputStream out = Files.newOutputStream(target, java.nio.file.StandardOpenOption.CREATE_NEW)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        if (n > left[0]) {
          throw new ContainerException("cannot copy " + inside + " out of the container: more than " + left[1] + " bytes");
        }
        left[0] -= n;
        out.write(buffer, 0, n);
      }
    }
  }

  private int openInRoot(String path) {
    Memory how = new Memory(24); // struct open_how {u64 flags; u64 mode; u64 resolve}
    how.setLong(0, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC);
    how.setLong(8, 0);
    how.setLong(16, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    return (int) LibC.syscall(SYS_OPENAT2, root, path, how, 24);
  }

  private void copy(Path source, int dir, String name, String inside) throws IOException {
    PosixFileAttributes a = Files.readAttributes(source, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(source, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777;
    if (a.isSymbolicLink()) {
      LibC.unlinkat(dir, name, 0);
      if (LibC.symlinkat(Files.readSymbolicLink(source).toString(), dir, name) < 0) {
        fail(-1, "create the symbolic link " + inside);
      }
      LibC.fchownat(dir, name, uid, gid, LibC.AT_SYMLINK_NOFOLLOW);
    } else if (a.isDirectory()) {
      if (LibC.mkdirat(dir, name, 0700) < 0 && Native.getLastError() != Errno.EEXIST) {
        fail(-1, "create the directory " + inside);
      }
      int sub = LibC.openat(dir, name, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
      if (sub < 0) {
        fail(-1, "open the directory " + inside);
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(source)) {
        for (Path e : entries) {
          copy(e, sub, e.getFileName().toString(), inside + "/" + e.getFileName());
        }
        owned(sub, mode, inside);
      } finally {
        LibC.close(sub);
      }
    } else if (a.isRegularFile()) {
      try (InputStream in = Files.newInputStream(source, LinkOption.NOFOLLOW_LINKS)) {
        writeFile(dir, name, in.readAllBytes(), mode, inside);
      }
    } else {
      throw new IOException(source + " is a device, socket or pipe, which is not copied");
    }
  }

  /** Writes a file; an existing symbolic link there is refused (O_NOFOLLOW), not followed. */
  private void writeFile(int dir, String name, byte[] content, int mode, String inside) {
    int fd = LibC.openat(dir, name, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0600);
    if (fd < 0) {
      fail(-1, "create " + inside);
    }
    try {
      Memory buf = new Memory(Math.max(1, content.length));
      buf.write(0, content, 0, content.length);
      for (long done = 0; done < content.length; ) {
        long n = LibC.write(fd, buf.share(done), content.length - done);
        if (n < 0) {
          fail(-1, "write " + inside);
        }
        done += n;
      }
      owned(fd, mode, inside);
    } finally {
      LibC.close(fd);
    }
  }

  /** The container's root owns it; then the mode, which a change of owner would clear of setuid. */
  private void owned(int fd, int mode, String inside) {
    if (LibC.fchown(fd, uid, gid) < 0 || LibC.fchmod(fd, mode) < 0) {
      fail(-1, "set the owner and mode of " + inside);
    }
  }

  private static void fail(int toClose, String what) {
    int errno = Native.getLastError();
    if (toClose >= 0) {
      LibC.close(toClose);
    }
    throw new ContainerException("cannot " + what + " in the container: " + Errno.describe(errno));
  }

  @Override
  public void close() {
    LibC.close(root);
  }
}
