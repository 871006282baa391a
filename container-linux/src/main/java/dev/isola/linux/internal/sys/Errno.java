package dev.isola.linux.internal.sys;

import com.sun.jna.Native;
import java.io.IOException;
import java.util.Map;

/** Names and texts for {@code errno} values, so that every failure says what went wrong. */
public final class Errno {
  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(3, "ESRCH"), Map.entry(4, "EINTR"),
      Map.entry(5, "EIO"), Map.entry(7, "E2BIG"), Map.entry(8, "ENOEXEC"), Map.entry(9, "EBADF"),
      Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"),
      Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"), Map.entry(17, "EEXIST"),
      Map.entry(18, "EXDEV"), Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"),
      Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"), Map.entry(24, "EMFILE"),
      Map.entry(26, "ETXTBSY"), Map.entry(28, "ENOSPC"), Map.entry(30, "EROFS"),
      Map.entry(32, "EPIPE"), Map.entry(36, "ENAMETOOLONG"), Map.entry(38, "ENOSYS"),
      Map.entry(40, "ELOOP"), Map.entry(95, "EOPNOTSUPP"), Map.entry(122, "EDQUOT"));

  private Errno() {}

  /** For example {@code "Permission denied (EACCES)"}. */
  public static String describe(int errno) {
    String name = NAMES.getOrDefault(errno, "errno " + errno);
    return LibC.strerror(errno) + " (" + name + ")";
  }

  public static String name(int errno) {
    return NAMES.getOrDefault(errno, "errno " + errno);
  }

  /** The last call's error as an exception naming what was being done. */
  public static IOException last(String doing) {
    return new IOException(doing + ": " + describe(Native.getLastError()));
  }
}
