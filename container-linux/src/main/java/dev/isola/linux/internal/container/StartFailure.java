package dev.isola.linux.internal.container;

import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.sys.Errno;

/** The exception for a start that failed at a step of the plan: what failed, why, and what to do. */
final class StartFailure {
  private StartFailure() {}

  static ContainerStartException of(LaunchPlan plan, ContainerSpec spec, int step, int errno, int value, String text) {
    String what = plan.describe(step);
    Op op = step >= 0 && step < plan.steps().size() ? plan.steps().get(step).op : null;
    String error;
    if ((op == Op.RUN_HELPER || op == Op.NET_HELPER) && errno == 0) {
      error = "exited with status " + value + (text.isEmpty() ? "" : ": " + text);
    } else if (op == Op.NET_FORWARD && errno == 0) {
      error = "slirp4netns refused: " + text + "; a host port may be in use, or its address not this host's";
    } else {
      error = errno > 0 ? Errno.describe(errno) : "invalid launch plan (" + value + ")";
    }
    String hint = op == Op.LANDLOCK ? Landlock.hint(plan.steps().get(step).strings, errno, value) : hint(op, errno, spec);
    return new ContainerStartException(what, error + hint, errno > 0 ? errno : -1);
  }

  /** What a user can do about the common failures. */
  private static String hint(Op op, int errno, ContainerSpec spec) {
    if (op == Op.CLONE && (errno == Errno.EPERM || errno == Errno.ENOSPC || errno == Errno.EACCES || errno == Errno.EINVAL)) {
      return "; new namespaces are not permitted here. If user namespaces are off: check sysctl user.max_user_namespaces"
          + " (0 disables them), kernel.unprivileged_userns_clone (Debian, Ubuntu), kernel.apparmor_restrict_unprivileged_userns"
          + " (AppArmor on Ubuntu 23.10 and later), or the seccomp profile of a container the JVM itself runs in";
    }
    if (op == Op.EXEC && errno == Errno.ENOENT) {
      return "; there is no program \"" + spec.command().get(0) + "\" in the container"
          + (spec.command().get(0).contains("/") ? "" : " (searched PATH=" + spec.env().getOrDefault("PATH", "") + ")")
          + ", or its interpreter or libraries are missing";
    }
    if (op == Op.EXEC && errno == Errno.EACCES) {
      return "; \"" + spec.command().get(0) + "\" is not an executable file in the container, or lies on a noexec mount"
          + (spec.filesystemRules().isPresent() ? ", or no filesystem rule allows running it" : "");
    }
    if (op == Op.REMOUNT && errno == Errno.EXDEV) {
      return "; the path to the mount changed while the container was being set up (something swapped a"
          + " directory on the way for a symlink), so its flags could not be set on it";
    }
    if (op == Op.CHDIR && errno == Errno.ENOENT) {
      return "; the working directory does not exist in the container";
    }
    if (op == Op.WRITE_PROC && (errno == 1 || errno == Errno.EACCES)) {
      return "; this user may not map these ids (an ordinary user maps only its own uid and gid without newuidmap)";
    }
    return "";
  }
}
