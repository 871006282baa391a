package dev.isola.linux.internal.launch;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.rootfs.PrivateDir;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.FdPassing;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.Supervisor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The native launcher, ready to execute: the binary packed in this jar, copied into a sealed
 * memfd that nothing can write (so a container can never overwrite it through {@code
 * /proc/<pid>/exe}, CVE-2019-5736), or, where the kernel forbids executing memfds, into a private
 * content-addressed file whose hash is checked before use. Spawns it with {@code posix_spawn}, so
 * no Java code runs in the child.
 */
public final class Launcher {
  /** Absolute: build.sh puts the binary beside the provider, where the jar has always held it. */
  private static final String RESOURCE = "/dev/isola/linux/launcher-" + System.getProperty("os.arch");
  private static final StringArray SERVER_ARGV = new StringArray(new String[] {"isola-launcher", "--server"});
  private static final StringArray ENVP = new StringArray(new String[0]);

  private final String path;
  private final String kind;
  /** Watches the server's socket: its end is the server's, which is reaped then. */
  private final Supervisor supervisor;
  /** The JVM's end of the launch server's socket, and the server's pid; -1 before the first launch. */
  private int server = -1;
  private int serverPid = -1;

  private Launcher(String path, String kind, Supervisor supervisor) {
    this.path = path;
    this.kind = kind;
    this.supervisor = supervisor;
  }

  /** Loads the launcher; {@code allowMemfd=false} forces the file copy (for tests). */
  public static Launcher load(boolean allowMemfd, Supervisor supervisor) {
    byte[] binary = readResource();
    if (allowMemfd) {
      int fd = sealedMemfd(binary);
      if (fd >= 0) {
        return new Launcher("/proc/self/fd/" + fd, "sealed memfd", supervisor);
      }
    }
    return new Launcher(privateCopy(binary).toString(), "file copy", supervisor);
  }

  /** How the launcher is held: "sealed memfd" or "file copy". */
  public String kind() {
    return kind;
  }

  public String path() {
    return path;
  }

  /**
   * Hands a container's descriptors to the launch server, {@code fds[i]} as the container's
   * descriptor {@code i} (see {@code enum launch_fd} in {@code launcher.h}). The server, started once per JVM,
   * starts and watches every container of this JVM: a spawn from the JVM costs milliseconds (the
   * JVM is a large process), a clone of the small server a fraction of one, and a container needs
   * no process of its own outside. The caller may close its copies of the descriptors on return.
   */
  public synchronized void launch(int[] fds) throws IOException {
    if (fds.length != LauncherProtocol.LAUNCH_FDS) {
      throw new IllegalArgumentException("a container travels with " + LauncherProtocol.LAUNCH_FDS + " descriptors, not " + fds.length);
    }
    if (!FdPassing.send(server(), fds)) {
      int failed = Native.getLastError();
      if (failed != Errno.EPIPE && failed != Errno.ECONNREFUSED) {
        throw new IOException("send a container to the launch server: " + Errno.describe(failed));
      }
      serverEnded(server); // killed from outside, and not yet seen: start another, once
      if (!FdPassing.send(server(), fds)) {
        throw Errno.last("send a container to a restarted launch server");
      }
    }
  }

  /** The server is gone (its socket reads end of file): reap it; the next launch starts another. */
  private synchronized void serverEnded(int socket) {
    if (server == socket && socket >= 0) {
      supervisor.unwatch(server);
      LibC.close(server);
      LibC.waitpid(serverPid, new int[1], 0);
      server = -1;
    }
  }

  private synchronized int server() throws IOException {
    if (server < 0) {
      int[] pair = new int[2];
      if (LibC.socketpair(FdPassing.AF_UNIX, FdPassing.SOCK_SEQPACKET | FdPassing.SOCK_CLOEXEC, 0, pair) < 0) {
        throw Errno.last("socketpair for the launch server");
      }
      int devnull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
      try {
        int low = Math.min(devnull, pair[1]);
        if (devnull < 0 || low <= LauncherProtocol.FD_CONTROL) {
          throw new IOException("the JVM's descriptors 0 to 5 are not all open; the launch server needs them in place");
        }
        serverPid = spawn(serverDescriptors(devnull, pair[1]), SERVER_ARGV);
      } catch (IOException e) {
        LibC.close(pair[0]);
        throw e;
      } finally {
        LibC.close(pair[1]);
        LibC.close(devnull);
      }
      int socket = pair[0];
      server = socket;
      supervisor.watch(socket, new Supervisor.Watched() {
        @Override
        public void onReadable() {
          serverEnded(socket);
        }

        @Override
        public void onFailure(Throwable failure) {
          serverEnded(socket);
        }
      });
    }
    return server;
  }

  /** The server's descriptors: its stdio on /dev/null, and its end of the socket. */
  private static int[] serverDescriptors(int devnull, int socket) {
    int[] fds = new int[LauncherProtocol.SERVER_SOCKET_FD + 1];
    java.util.Arrays.fill(fds, devnull);
    fds[LauncherProtocol.SERVER_SOCKET_FD] = socket;
    return fds;
  }

  /**
   * Starts the launcher binary with {@code fds[i]} as its descriptor {@code i}. Returns its pid.
   * Every source descriptor must be above 5 or equal to its target.
   */
  private int spawn(int[] fds, StringArray argv) throws IOException {
    Memory actions = new Memory(256);
    check(LibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
    try {
      for (int target = 0; target < fds.length; target++) {
        if (fds[target] <= LauncherProtocol.FD_CONTROL && fds[target] != target) {
          throw new IllegalArgumentException("descriptor " + fds[target] + " would be overwritten before it is moved to " + target);
        }
        check(LibC.posix_spawn_file_actions_adddup2(actions, fds[target], target), "posix_spawn_file_actions_adddup2");
      }
      int[] pid = new int[1];
      check(LibC.posix_spawn(pid, path, actions, null, argv, ENVP), "posix_spawn of the launcher (" + kind + " " + path + ")");
      return pid[0];
    } finally {
      LibC.posix_spawn_file_actions_destroy(actions);
    }
  }

  private static void check(int error, String what) throws IOException {
    if (error != 0) {
      throw new IOException(what + ": " + Errno.describe(error));
    }
  }

  private static byte[] readResource() {
    try (InputStream in = Launcher.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        String arch = System.getProperty("os.arch");
        boolean supported = arch.equals("amd64") || arch.equals("aarch64");
        throw new UnsupportedFeatureException("the native launcher for " + arch, supported
            ? "this container-linux jar has no " + RESOURCE + "; it was built where no " + arch + " compiler was installed"
                + " (install gcc-aarch64-linux-gnu, or build container-linux on " + arch + ")"
            : "Isola's launcher is built for amd64 and aarch64 only, and this JVM runs on " + arch);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the launcher from the jar", e);
    }
  }

  /** A memfd holding the launcher, sealed against every change; -1 where memfds cannot execute. */
  private static int sealedMemfd(byte[] binary) {
    int flags = LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING;
    int fd = LibC.memfd_create("isola-launcher", flags | LibC.MFD_EXEC);
    if (fd < 0 && Native.getLastError() == Errno.EINVAL) { // a kernel before 6.3 knows no MFD_EXEC
      fd = LibC.memfd_create("isola-launcher", flags);
    }
    if (fd < 0) {
      return -1; // EACCES under vm.memfd_noexec=2, or no memfd at all
    }
    Memory buf = new Memory(binary.length);
    buf.write(0, binary, 0, binary.length);
    long written = LibC.pwrite(fd, buf, binary.length, 0);
    int seals = LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_WRITE;
    if (written != binary.length || LibC.fcntl(fd, LibC.F_ADD_SEALS, seals) < 0) {
      LibC.close(fd);
      return -1;
    }
    return fd;
  }

  /**
   * A copy in a directory only this user can write, named by the binary's SHA-256, reused only
   * when its content still has that hash.
   */
  private static Path privateCopy(byte[] binary) {
    String hash = sha256(binary);
    Path dir = PrivateDir.in(Path.of(System.getProperty("java.io.tmpdir")), "the launcher's file copy");
    Path file = dir.resolve("launcher-" + hash);
    try {
      if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Arrays.equals(hashBytes(Files.readAllBytes(file)), hashBytes(binary))) {
        return file;
      }
      Path tmp = Files.createTempFile(dir, "launcher-", ".tmp");
      Files.write(tmp, binary);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return file;
    } catch (IOException e) {
      throw new UnsupportedFeatureException("the native launcher",
          "memfds cannot be executed here (vm.memfd_noexec) and no private copy could be written to " + dir + ": " + e);
    }
  }

  private static String sha256(byte[] data) {
    return HexFormat.of().formatHex(hashBytes(data));
  }

  private static byte[] hashBytes(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
