package dev.isola.linux.internal.doctor;

import dev.isola.HostReport.Check;
import dev.isola.HostReport.Status;
import dev.isola.linux.internal.cgroup.CgroupHost;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.net.Pasta;
import dev.isola.linux.internal.plan.Host;
import dev.isola.linux.internal.seccomp.Libseccomp;
import dev.isola.linux.internal.sys.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The linux engine's checks for {@code Container.doctor()}: what the kernel, the cgroups and the
 * host's tools let this user's containers have. Each is read, never guessed from a version, where
 * the kernel can be asked.
 */
public final class LinuxDoctor {
  private LinuxDoctor() {}

  public static List<Check> checks() {
    Host host = Host.current();
    List<Check> checks = new ArrayList<>();
    checks.add(new Check("kernel", Status.AVAILABLE, "Linux " + read("/proc/sys/kernel/osrelease").orElse("?") + " on "
        + System.getProperty("os.arch") + ", uid " + host.euid));
    checks.add(userNamespaces(host));
    checks.add(Files.exists(Path.of("/proc/self/ns/time")) ? new Check("time namespace", Status.AVAILABLE, "timeOffsets(…) works")
        : new Check("time namespace", Status.UNAVAILABLE, "the kernel has no time namespaces (Linux 5.6+): timeOffsets(…) is refused"));
    checks.addAll(CgroupHost.detect().checks(host.euid));
    Optional<String> seccomp = Libseccomp.missing();
    checks.add(seccomp.isEmpty() ? new Check("seccomp", Status.AVAILABLE, "libseccomp.so.2 loaded: Docker's profile by default")
        : new Check("seccomp", Status.UNAVAILABLE, "libseccomp.so.2 cannot be loaded (" + seccomp.get() + "): every spec but"
            + " SeccompPolicy.unconfined() is refused; install libseccomp2"));
    int landlock = Landlock.probe();
    checks.add(landlock > 0 ? new Check("landlock", landlock >= 5 ? Status.AVAILABLE : Status.DEGRADED, "ABI " + landlock
        + (landlock >= 5 ? "" : ": rights of later ABIs (truncate at 3, ioctl on devices at 5) are not enforced"))
        : new Check("landlock", Status.UNAVAILABLE, "the kernel answers " + Errno.describe(-landlock) + ": FilesystemRules are"
            + " refused unless best-effort; boot with lsm=…,landlock"));
    checks.add(host.subordinateIds());
    checks.addAll(Pasta.checks(host.euid));
    return checks;
  }

  private static Check userNamespaces(Host host) {
    String name = "user namespaces";
    Optional<String> max = read("/proc/sys/user/max_user_namespaces");
    if (max.isPresent() && max.get().equals("0")) {
      return new Check(name, Status.UNAVAILABLE, "user.max_user_namespaces is 0: no container can start; sysctl -w"
          + " user.max_user_namespaces=15000");
    }
    if (!host.isRoot()) {
      if (read("/proc/sys/kernel/unprivileged_userns_clone").filter("0"::equals).isPresent()) {
        return new Check(name, Status.UNAVAILABLE, "kernel.unprivileged_userns_clone is 0: ordinary users cannot create them;"
            + " sysctl -w kernel.unprivileged_userns_clone=1");
      }
      if (read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").filter("1"::equals).isPresent()) {
        return new Check(name, Status.UNAVAILABLE, "AppArmor restricts them for ordinary users"
            + " (kernel.apparmor_restrict_unprivileged_userns=1): allow the JVM in an AppArmor profile, or set it to 0");
      }
    }
    // every container holds a user namespace while it runs: the limit is how many may run at once
    long most = max.map(LinuxDoctor::number).orElse(-1L);
    if (most >= 0 && most < 100) {
      return new Check(name, Status.DEGRADED, "user.max_user_namespaces is " + most + ": at most that many containers (and"
          + " other sandboxes) run at once, the next fails with ENOSPC; raise it: sysctl -w user.max_user_namespaces=15000");
    }
    return new Check(name, Status.AVAILABLE, "up to " + max.orElse("?") + " at once (user.max_user_namespaces)");
  }

  private static long number(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * One line of a /proc file. Not Files.readString: for a file whose size says 0 it reads one byte
   * and then at an offset, and an integer sysctl answers a read at an offset with nothing
   * ("96367" came back as "9").
   */
  private static Optional<String> read(String file) {
    try {
      return Files.readAllLines(Path.of(file)).stream().findFirst().map(String::trim);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
