package dev.isola.linux.internal.seccomp;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.isola.UnsupportedFeatureException;

/**
 * libseccomp, bound with JNA: compiles filters to BPF. Nothing here loads a filter; the launcher
 * does, in the container's process, just before exec.
 */
public final class Libseccomp {
  static final int ACT_KILL_PROCESS = 0x80000000;
  static final int ACT_KILL_THREAD = 0;
  static final int ACT_TRAP = 0x00030000;
  static final int ACT_ERRNO = 0x00050000;
  static final int ACT_LOG = 0x7ffc0000;
  static final int ACT_ALLOW = 0x7fff0000;

  static final int ATTR_ACT_BADARCH = 2;
  static final int ATTR_CTL_NNP = 3;
  static final int ATTR_CTL_OPTIMIZE = 8;

  /** What seccomp_syscall_resolve_name answers for a name it does not know at all. */
  static final int NR_SCMP_ERROR = -1;

  private static final String MISSING;

  static {
    String missing = null;
    try {
      Native.register(Libseccomp.class, NativeLibrary.getInstance("seccomp"));
    } catch (UnsatisfiedLinkError e) {
      missing = e.getMessage();
    }
    MISSING = missing;
  }

  private Libseccomp() {}

  /** Why libseccomp cannot be loaded here, or empty. */
  public static java.util.Optional<String> missing() {
    return java.util.Optional.ofNullable(MISSING);
  }

  /** Throws naming the package to install when libseccomp is not on this host. */
  static void require() {
    if (MISSING != null) {
      throw new UnsupportedFeatureException("a seccomp filter",
          "libseccomp.so.2 cannot be loaded (" + MISSING + "); install it (Debian, Ubuntu: libseccomp2; Fedora: libseccomp),"
              + " or ask for SeccompPolicy.unconfined() by name");
    }
  }

  static int errno(int errno) {
    return ACT_ERRNO | (errno & 0xffff);
  }

  static native Pointer seccomp_init(int defaultAction);

  static native void seccomp_release(Pointer ctx);

  static native int seccomp_attr_set(Pointer ctx, int attribute, int value);

  public static native int seccomp_arch_native();

  static native int seccomp_syscall_resolve_name(String name);

  public static native Pointer seccomp_syscall_resolve_num_arch(int arch, int number);

  static native int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int count, Pointer conditions);

  static native int seccomp_export_bpf(Pointer ctx, int fd);
}
