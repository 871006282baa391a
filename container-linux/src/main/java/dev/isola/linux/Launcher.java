package dev.isola.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.StringArray;
import dev.isola.UnsupportedFeatureException;
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
final class Launcher {
  /** Descriptor numbers the launcher expects; see {@code launcher.c}. */
  static final int FD_PLAN = 3;
  static final int FD_STATUS = 4;
  static final int FD_CONTROL = 5;

  private static final String RESOURCE = "launcher-" + System.getProperty("os.arch");
  private static final StringArray ARGV = new StringArray(new String[] {"isola-launcher"});
  private static final StringArray ENVP = new StringArray(new String[0]);

  private final String path;
  private final String kind;

  private Launcher(String path, String kind) {
    this.path = path;
    this.kind = kind;
  }

  /** Loads the launcher; {@code allowMemfd=false} forces the file copy (for tests). */
  static Launcher load(boolean allowMemfd) {
    byte[] binary = readResource();
    if (allowMemfd) {
      int fd = sealedMemfd(binary);
      if (fd >= 0) {
        return new Launcher("/proc/self/fd/" + fd, "sealed memfd");
      }
    }
    return new Launcher(privateCopy(binary).toString(), "file copy");
  }

  /** How the launcher is held: "sealed memfd" or "file copy". */
  String kind() {
    return kind;
  }

  String path() {
    return path;
  }

  /**
   * Starts the launcher with {@code fds[i]} as its descriptor {@code i} (0 to 5). Returns its
   * pid. Every source descriptor must be above 5 or equal to its target.
   */
  int spawn(int[] fds) throws IOException {
    Memory actions = new Memory(256);
    check(LibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
    try {
      for (int target = 0; target < fds.length; target++) {
        if (fds[target] <= FD_CONTROL && fds[target] != target) {
          throw new IllegalArgumentException("descriptor " + fds[target] + " would be overwritten before it is moved to " + target);
        }
        check(LibC.posix_spawn_file_actions_adddup2(actions, fds[target], target), "posix_spawn_file_actions_adddup2");
      }
      int[] pid = new int[1];
      check(LibC.posix_spawn(pid, path, actions, null, ARGV, ENVP), "posix_spawn of the launcher (" + kind + " " + path + ")");
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
        throw new UnsupportedFeatureException("the native launcher for " + System.getProperty("os.arch"),
            "this container-linux jar has no " + RESOURCE + "; build container-linux on that architecture (it needs a C compiler)");
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
    if (fd < 0 && Native.getLastError() == 22) { // EINVAL: a kernel before 6.3 knows no MFD_EXEC
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
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "isola-" + LibC.geteuid());
    Path file = dir.resolve("launcher-" + hash);
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
      if (owner != LibC.geteuid() || !perms.endsWith("------")) {
        throw new UnsupportedFeatureException("the launcher's file copy",
            dir + " is not a private directory of uid " + LibC.geteuid() + " (owner " + owner + ", " + perms + ")");
      }
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
