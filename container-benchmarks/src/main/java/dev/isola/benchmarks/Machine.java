package dev.isola.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the numbers were measured on. */
final class Machine {
  /** The unit of /proc/stat: USER_HZ, 100 on every Linux architecture Isola runs on. */
  private static final long USER_HZ = 100;

  private Machine() {}

  static void print() {
    String cpuinfo = Proc.read("/proc/cpuinfo");
    String model = field(cpuinfo, "model name");
    if (model.isEmpty()) {
      model = field(cpuinfo, "Hardware"); // some arm64 kernels
    }
    boolean vm = field(cpuinfo, "flags").contains(" hypervisor");
    long memKib = Proc.kib("/proc/meminfo", "MemTotal").orElse(0);
    row("CPUs", Runtime.getRuntime().availableProcessors() + " (nproc) x " + (model.isEmpty() ? "unknown model" : model)
        + (vm ? ", virtual machine (hypervisor flag)" : ""));
    row("memory", String.format("%.1f GiB", memKib / 1024.0 / 1024.0));
    row("kernel", "Linux " + Proc.read("/proc/sys/kernel/osrelease").strip() + " " + System.getProperty("os.arch"));
    row("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vm.vendor") + "), process launch mechanism "
        + System.getProperty("jdk.lang.Process.launchMechanism", "POSIX_SPAWN (the default)"));
    row("user", isRoot() ? "root" : "uid " + uid() + " (not root)");
    row("cgroups", cgroupLayout());
    row("load", loadAverage() + " (1, 5, 15 min) at the start; other work on the machine makes the numbers noisier");
    row("peers", version("bwrap", "--version") + "; " + version("crun", "--version") + "; " + version("busybox", "--help"));
  }

  /** The 1, 5 and 15 minute load averages. */
  static String loadAverage() {
    String[] f = Proc.read("/proc/loadavg").trim().split("\\s+");
    return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "?";
  }

  /**
   * CPU time the whole host spent busy so far (user, nice, system, irq, softirq, steal of
   * /proc/stat), in milliseconds; idle and iowait are not counted.
   */
  static long busyCpuMillis() {
    String[] f = Proc.read("/proc/stat").split("\n", 2)[0].trim().split("\\s+");
    long ticks = 0;
    for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
      ticks += i < f.length ? Long.parseLong(f[i]) : 0;
    }
    return ticks * 1000 / USER_HZ;
  }

  static boolean isRoot() {
    return uid() == 0;
  }

  private static long uid() {
    for (String line : Proc.read("/proc/self/status").split("\n")) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.substring(4).trim().split("\\s+")[1]); // effective
      }
    }
    return -1;
  }

  /** "v2", "hybrid (…)" or "v1", from the mount table. */
  static String cgroupLayout() {
    boolean v1 = false;
    boolean v2 = false;
    boolean v2AtRoot = false;
    for (String line : Proc.read("/proc/self/mountinfo").split("\n")) {
      String[] halves = line.split(" - ");
      if (halves.length < 2) {
        continue;
      }
      String type = halves[1].split(" ")[0];
      String mountPoint = halves[0].split(" ")[4];
      if (type.equals("cgroup2")) {
        v2 = true;
        v2AtRoot |= mountPoint.equals("/sys/fs/cgroup");
      } else if (type.equals("cgroup")) {
        v1 = true;
      }
    }
    if (v2AtRoot && !v1) {
      return "v2 (unified)";
    }
    if (v1 && v2 && Files.exists(Path.of(Workspace.UNIFIED_CONTROLLERS))) {
      return "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)";
    }
    return v1 ? "v1" : v2 ? "v2" : "none mounted";
  }

  private static String version(String program, String flag) {
    Path p = Proc.which(program);
    if (p == null) {
      return program + " missing";
    }
    String line = Proc.firstLine(p.toString(), flag);
    line = line.replace(" multi-call binary.", "");
    return line.isEmpty() ? program + " (" + p + ")" : line;
  }

  private static String field(String cpuinfo, String name) {
    for (String line : cpuinfo.split("\n")) {
      if (line.startsWith(name) && line.contains(":")) {
        return line.substring(line.indexOf(':') + 1).strip();
      }
    }
    return "";
  }

  private static void row(String name, String value) {
    System.out.printf("  %-10s %s%n", name, value);
  }
}
