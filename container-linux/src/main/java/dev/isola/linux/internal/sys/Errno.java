package dev.isola.linux.internal.sys;

import com.sun.jna.Native;
import java.io.IOException;
import java.util.Map;

/**
 * The {@code errno} values Java code tests for, by name, and a name and text for any value, so
 * that every failure says what went wrong. The numbers are the generic ones of {@code
 * asm-generic/errno-base.h} and {@code errno.h} (x86 and arm; not alpha, mips or sparc).
 */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int E2BIG = 7;
  public static final int ENOEXEC = 8;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EFAULT = 14;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int EXDEV = 18;
  public static final int ENODEV = 19;
  public static final int ENOTDIR = 20;
  public static final int EISDIR = 21;
  public static final int EINVAL = 22;
  public static final int EMFILE = 24;
  public static final int ETXTBSY = 26;
  public static final int ENOSPC = 28;
  public static final int EROFS = 30;
  public static final int EPIPE = 32;
  public static final int ENAMETOOLONG = 36;
  public static final int ENOSYS = 38;
  public static final int ELOOP = 40;
  public static final int EOPNOTSUPP = 95;
  public static final int ECONNREFUSED = 111;
  public static final int EDQUOT = 122;

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"), Map.entry(EINTR, "EINTR"),
      Map.entry(EIO, "EIO"), Map.entry(E2BIG, "E2BIG"), Map.entry(ENOEXEC, "ENOEXEC"), Map.entry(EBADF, "EBADF"),
      Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"),
      Map.entry(EFAULT, "EFAULT"), Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"),
      Map.entry(EXDEV, "EXDEV"), Map.entry(ENODEV, "ENODEV"), Map.entry(ENOTDIR, "ENOTDIR"),
      Map.entry(EISDIR, "EISDIR"), Map.entry(EINVAL, "EINVAL"), Map.entry(EMFILE, "EMFILE"),
      Map.entry(ETXTBSY, "ETXTBSY"), Map.entry(ENOSPC, "ENOSPC"), Map.entry(EROFS, "EROFS"),
      Map.entry(EPIPE, "EPIPE"), Map.entry(ENAMETOOLONG, "ENAMETOOLONG"), Map.entry(ENOSYS, "ENOSYS"),
      Map.entry(ELOOP, "ELOOP"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"), Map.entry(ECONNREFUSED, "ECONNREFUSED"),
      Map.entry(EDQUOT, "EDQUOT"));

  private Errno() {}

  /** For example {@code "Permission denied (EACCES)"}. */
  public static String describe(int errno) {
    return LibC.strerror(errno) + " (" + name(errno) + ")";
  }

  public static String name(int errno) {
    return NAMES.getOrDefault(errno, "errno " + errno);
  }

  /** The last call's error as an exception naming what was being done, and keeping the number. */
  public static Failure last(String doing) {
    int errno = Native.getLastError(); // before describe's own call to strerror can change it
    return new Failure(doing + ": " + describe(errno), errno);
  }

  /** A failed call: its message, and its errno for those that tell the numbers apart. */
  public static final class Failure extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    Failure(String message, int errno) {
      super(message);
      this.errno = errno;
    }

    public int errno() {
      return errno;
    }
  }
}
