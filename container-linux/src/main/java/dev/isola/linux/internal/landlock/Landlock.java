package dev.isola.linux.internal.landlock;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.isola.FilesystemRules;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.LibC;
import java.util.List;
import java.util.Set;

/**
 * {@link FilesystemRules} as a Landlock ruleset: the kernel's ABI level, and the access masks of
 * the launcher's LANDLOCK step, restricted to the rights that level knows (a ruleset that names
 * an unknown right is refused).
 */
public final class Landlock {
  // <linux/landlock.h>: LANDLOCK_ACCESS_FS_*
  static final long EXECUTE = 1L << 0;
  static final long WRITE_FILE = 1L << 1;
  static final long READ_FILE = 1L << 2;
  static final long READ_DIR = 1L << 3;
  static final long REMOVE_DIR = 1L << 4;
  static final long REMOVE_FILE = 1L << 5;
  static final long MAKE_CHAR = 1L << 6;
  static final long MAKE_DIR = 1L << 7;
  static final long MAKE_REG = 1L << 8;
  static final long MAKE_SOCK = 1L << 9;
  static final long MAKE_FIFO = 1L << 10;
  static final long MAKE_BLOCK = 1L << 11;
  static final long MAKE_SYM = 1L << 12;
  /** ABI 2: moving and linking a file into another directory. */
  static final long REFER = 1L << 13;
  /** ABI 3. */
  static final long TRUNCATE = 1L << 14;
  /** ABI 5: ioctl on a device file. */
  static final long IOCTL_DEV = 1L << 15;

  /** The rights a rule on a file (not a directory) may hold; the kernel refuses the others there. */
  public static final long FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

  private static final long SYS_LANDLOCK_CREATE_RULESET = 444; // the same on every architecture
  private static final int CREATE_RULESET_VERSION = 1;

  private Landlock() {}

  /** The kernel's Landlock ABI version, or minus the errno it answers (ENOSYS: no Landlock). */
  public static int probe() {
    return Probe.ANSWER;
  }

  /** Asked once: the answer does not change while the kernel runs. */
  private static final class Probe {
    static final int ANSWER = ask();

    private static int ask() {
      long abi = LibC.syscall(SYS_LANDLOCK_CREATE_RULESET, Pointer.NULL, 0, CREATE_RULESET_VERSION);
      return abi > 0 ? (int) abi : -Native.getLastError();
    }
  }

  /**
   * The ABI to enforce {@code rules} at, given the kernel's answer to {@link #probe()}: 0
   * when the kernel cannot and the rules are best-effort.
   *
   * @throws UnsupportedFeatureException when the kernel cannot and the rules are required
   */
  public static int abiFor(FilesystemRules rules, int answer) {
    if (answer > 0 || rules.bestEffort()) {
      return Math.max(answer, 0);
    }
    int errno = -answer;
    String why = errno == Errno.ENOSYS ? "this kernel has no Landlock (it needs Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK)"
        : errno == Errno.EOPNOTSUPP ? "Landlock is built into this kernel but not enabled (add it to the lsm= boot parameter)"
        : "Landlock is not usable here";
    throw new UnsupportedFeatureException("filesystem rules (Landlock)", "the kernel answers " + Errno.name(errno)
        + " to landlock_create_ruleset: " + why + "; mark the rules bestEffort() to start without them");
  }

  /** The filesystem rights Landlock ABI {@code abi} handles. */
  public static long handled(int abi) {
    long rights = (MAKE_SYM << 1) - 1; // ABI 1: the 13 rights up to MAKE_SYM
    if (abi >= 2) {
      rights |= REFER;
    }
    if (abi >= 3) {
      rights |= TRUNCATE;
    }
    if (abi >= 5) {
      rights |= IOCTL_DEV;
    }
    return rights;
  }

  /** What a rule grants; never the creation of device nodes. */
  public static long rights(Set<FilesystemRules.Access> access) {
    long rights = 0;
    for (FilesystemRules.Access a : access) {
      switch (a) {
        case READ:
          rights |= READ_FILE | READ_DIR;
          break;
        case WRITE:
          rights |= WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_SYM
              | REFER | TRUNCATE | IOCTL_DEV;
          break;
        case EXECUTE:
          rights |= EXECUTE;
          break;
        default:
          throw new AssertionError(a);
      }
    }
    return rights;
  }

  /** Names the rule whose path failed: the launcher reports its number, from 1, as the value. */
  public static String hint(List<String> rulePaths, int errno, int value) {
    if (value < 1 || value > rulePaths.size()) {
      return "";
    }
    String path = rulePaths.get(value - 1);
    return errno == Errno.ENOENT ? "; the filesystem rule's path " + path + " does not exist in the container"
        : "; at the filesystem rule's path " + path;
  }
}
