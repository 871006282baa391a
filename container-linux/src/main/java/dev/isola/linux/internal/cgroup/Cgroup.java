package dev.isola.linux.internal.cgroup;

import dev.isola.ContainerStartException;
import dev.isola.ContainerStats;
import dev.isola.Limits;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.cgroup.CgroupHost.Controller;
import dev.isola.linux.internal.launch.LauncherProtocol;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.ProcessStart;
import dev.isola.linux.internal.sys.Signals;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * One container's cgroup: a directory in the v2 tree (freeze, kill, events, CPU time) and, on a
 * hybrid or v1 host, one in each v1 hierarchy whose controller a limit needs. Created and filled
 * before the container starts, joined by the launcher, read and removed after the end.
 *
 * <p>Names are {@code isola-<jvm pid>-<jvm start time>-<n>}, so that the next JVM can tell a cgroup
 * whose owner died and remove it ({@link #sweepStale(CgroupHost)}).
 */
public final class Cgroup {
  private static final System.Logger LOG = System.getLogger("dev.isola.linux");
  private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final long CFS_PERIOD_US = 100_000;

  private final CgroupHost host;
  private final Map<Controller, Path> dirs;
  private final List<String> ioDevices;

  private Cgroup(CgroupHost host, Map<Controller, Path> dirs, List<String> ioDevices) {
    this.host = host;
    this.dirs = dirs;
    this.ioDevices = ioDevices;
  }

  /**
   * Creates the cgroup that {@code limits} need, or the plain v2 one when none is needed and the
   * host allows it; empty when the container can do without a cgroup and the host gives none.
   */
  /** A best-effort limit that the host cannot meet is left out, and said so: degraded, not silent. */
  private static void leftOut(Map<Controller, Set<Limits.Kind>> needed, Controller c, String why) {
    Set<Limits.Kind> kinds = needed.getOrDefault(c, Set.of());
    if (!kinds.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "best-effort limit " + kinds + " not enforced: " + why);
    }
  }

  public static Optional<Cgroup> create(CgroupHost host, Limits limits, int euid) {
    return create(host, limits, euid, List.of());
  }

  /** {@link #create(CgroupHost, Limits, int)}, with the disks ({@link IoDevices}) the io limits apply to. */
  public static Optional<Cgroup> create(CgroupHost host, Limits limits, int euid, List<String> ioDevices) {
    // a controller can carry two limits (memory and memory+swap, a CPU quota and a weight): it
    // may be done without only if every limit it carries is best-effort
    Map<Controller, Set<Limits.Kind>> needed = new EnumMap<>(Controller.class);
    limits.memory().ifPresent(v -> need(needed, Controller.MEMORY, Limits.Kind.MEMORY));
    limits.memoryAndSwap().ifPresent(v -> need(needed, Controller.MEMORY, Limits.Kind.MEMORY_AND_SWAP));
    limits.pids().ifPresent(v -> need(needed, Controller.PIDS, Limits.Kind.PIDS));
    limits.cpus().ifPresent(v -> need(needed, Controller.CPU, Limits.Kind.CPUS));
    limits.cpuWeight().ifPresent(v -> need(needed, Controller.CPU, Limits.Kind.CPU_WEIGHT));
    if (!limits.cpuset().isEmpty()) {
      need(needed, Controller.CPUSET, Limits.Kind.CPUSET);
    }
    if (limits.cpuTime().isPresent()) {
      need(needed, host.parent(Controller.UNIFIED).isPresent() ? Controller.UNIFIED : Controller.CPUACCT, Limits.Kind.CPU_TIME);
    }
    if (limits.hasIoLimits() && ioDevices.isEmpty()) {
      // fail closed: a limit on no device would be no limit
      if (!limits.bestEffort().contains(Limits.Kind.IO)) {
        throw new UnsupportedFeatureException("an io limit", "the container's root and mounts lie on no block device"
            + " (tmpfs, overlayfs without a disk beneath): there is nothing to throttle; bind a directory of a disk"
            + " (Mount.bindWritable) for the container to write to, or mark the limit best-effort");
      }
      LOG.log(System.Logger.Level.WARNING, "best-effort limit [IO] not enforced: the container uses no block device");
    } else if (limits.hasIoLimits()) {
      need(needed, Controller.IO, Limits.Kind.IO);
    }
    String name = "isola-" + ProcessStart.THIS_JVM + "-" + SEQUENCE.incrementAndGet();
    Map<Controller, Path> dirs = new EnumMap<>(Controller.class);
    Cgroup cgroup = new Cgroup(host, dirs, List.copyOf(ioDevices));
    try {
      Set<Controller> wanted = EnumSet.copyOf(needed.isEmpty() ? EnumSet.of(Controller.UNIFIED) : needed.keySet());
      wanted.add(Controller.UNIFIED);
      // joined for accounting even without a limit, where the host lets us: the verdict's peak
      // memory and OOM kills, and stats' memory and pids, come from them (none is required)
      wanted.add(Controller.MEMORY);
      wanted.add(Controller.PIDS);
      if (host.parent(Controller.UNIFIED).isEmpty()) {
        wanted.remove(Controller.UNIFIED);
        wanted.add(Controller.FREEZER); // a v1 host: pause through the v1 freezer
        wanted.add(Controller.CPUACCT); // and CPU time from cpuacct
      }
      for (Controller c : wanted) {
        // the first limit that may not go without c; none: c may be skipped
        Optional<Limits.Kind> required = needed.getOrDefault(c, Set.of()).stream()
            .filter(k -> !limits.bestEffort().contains(k)).findFirst();
        Optional<Path> parent = host.parent(c);
        if (parent.isEmpty()) {
          if (required.isPresent()) {
            throw new UnsupportedFeatureException(what(required.get()), "this host (cgroups " + host.mode + ") has no "
                + c.name().toLowerCase() + " controller that Isola can use");
          }
          leftOut(needed, c, "this host has no " + c.name().toLowerCase() + " controller that Isola can use");
          continue;
        }
        Path dir = parent.get().resolve(name);
        if (host.onV2(c) && c != Controller.UNIFIED) {
          try {
            enableOnV2(parent.get(), c);
          } catch (UnsupportedFeatureException e) {
            if (required.isPresent()) {
              throw e;
            }
            leftOut(needed, c, e.getMessage());
            continue;
          }
        }
        if (!dirs.containsValue(dir)) {
          try {
            Files.createDirectory(dir);
          } catch (AccessDeniedException e) {
            if (required.isPresent()) {
              throw new UnsupportedFeatureException(what(required.get()), "the cgroup " + parent.get() + " is not writable by uid "
                  + euid + ": it is not delegated to this user. On a systemd host, run the JVM with a delegated subtree, for"
                  + " example systemd-run --user --scope -p Delegate=yes java …; or mark the limit best-effort");
            }
            leftOut(needed, c, "the cgroup " + parent.get() + " is not writable by uid " + euid);
            continue;
          } catch (IOException e) {
            throw new ContainerStartException("create the cgroup " + dir, e.toString(), -1);
          }
        }
        dirs.put(c, dir);
      }
      if (dirs.isEmpty()) {
        return Optional.empty();
      }
      cgroup.write(limits);
      return Optional.of(cgroup);
    } catch (RuntimeException e) {
      cgroup.remove();
      throw e;
    }
  }

  private static void need(Map<Controller, Set<Limits.Kind>> needed, Controller c, Limits.Kind kind) {
    needed.computeIfAbsent(c, k -> EnumSet.noneOf(Limits.Kind.class)).add(kind);
  }

  private static String what(Limits.Kind kind) {
    return kind.name().toLowerCase().replace('_', ' ') + " limit";
  }

  /** On a v2 tree, a controller must be on in the parent's subtree_control. */
  private static void enableOnV2(Path parent, Controller c) {
    Path control = parent.resolve("cgroup.subtree_control");
    String name = c.name().toLowerCase();
    try {
      if (!List.of(Files.readString(control).trim().split("\\s+")).contains(name)) {
        Files.writeString(control, "+" + name);
      }
    } catch (IOException e) {
      throw new UnsupportedFeatureException("the " + name + " controller", "cannot enable it below " + parent + " (" + e
          + "); a cgroup that holds processes (such as the JVM's own) cannot pass controllers on: run the JVM in a leaf cgroup"
          + " and give Isola a delegated parent with -D" + CgroupHost.PARENT_PROPERTY + "=/path");
    }
  }

  /** Writes the limits whose controller the cgroup has (create() skipped only best-effort ones). */
  private void write(Limits limits) {
    if (has(Controller.MEMORY)) {
      writeMemory(limits);
    }
    if (has(Controller.PIDS)) {
      // joined for accounting anyway: the default limit costs nothing more
      if (limits.pids().isPresent() || limits.defaultPids()) {
        set(Controller.PIDS, "pids.max", limits.pids().orElse(Limits.DEFAULT_PIDS));
      }
    }
    if (has(Controller.CPU)) {
      writeCpu(limits);
    }
    if (has(Controller.IO) && limits.hasIoLimits()) {
      writeIo(limits);
    }
    if (has(Controller.CPUSET) && !limits.cpuset().isEmpty()) {
      String cpus = limits.cpuset().stream().map(String::valueOf).collect(Collectors.joining(","));
      set(Controller.CPUSET, "cpuset.cpus", cpus);
      if (!host.onV2(Controller.CPUSET)) {
        // a v1 cpuset starts with no memory nodes, and takes no process until it has some
        set(Controller.CPUSET, "cpuset.mems", read(dirs.get(Controller.CPUSET).getParent().resolve("cpuset.mems")).trim());
      }
    }
  }

  private void writeMemory(Limits limits) {
    limits.memory().ifPresent(bytes -> {
      if (host.onV2(Controller.MEMORY)) {
        set(Controller.MEMORY, "memory.max", bytes);
        // without a separate memory-and-swap limit, the memory limit is all the container gets
        if (limits.memoryAndSwap().isEmpty()) {
          setIfPresent(Controller.MEMORY, "memory.swap.max", 0);
        }
      } else {
        set(Controller.MEMORY, "memory.limit_in_bytes", bytes);
        if (limits.memoryAndSwap().isEmpty()) {
          setIfPresent(Controller.MEMORY, "memory.memsw.limit_in_bytes", bytes);
        }
      }
    });
    limits.memoryAndSwap().ifPresent(bytes -> {
      long memory = limits.memory().orElse(bytes);
      boolean v2 = host.onV2(Controller.MEMORY);
      String swapFile = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
      boolean swapAccounted = Files.exists(dirs.get(Controller.MEMORY).resolve(swapFile));
      if (!swapAccounted && !limits.bestEffort().contains(Limits.Kind.MEMORY_AND_SWAP)) {
        throw new UnsupportedFeatureException(what(Limits.Kind.MEMORY_AND_SWAP), "this host's memory controller keeps no"
            + " account of swap (no " + swapFile + "): boot the kernel with swapaccount=1, or mark the limit best-effort");
      }
      set(Controller.MEMORY, v2 ? "memory.max" : "memory.limit_in_bytes", memory);
      if (swapAccounted) {
        set(Controller.MEMORY, swapFile, v2 ? bytes - memory : bytes);
      }
    });
  }

  private void writeCpu(Limits limits) {
    limits.cpus().ifPresent(cpus -> {
      long quota = Math.max(1000, Math.round(cpus * CFS_PERIOD_US));
      if (host.onV2(Controller.CPU)) {
        set(Controller.CPU, "cpu.max", quota + " " + CFS_PERIOD_US);
      } else {
        set(Controller.CPU, "cpu.cfs_period_us", CFS_PERIOD_US);
        set(Controller.CPU, "cpu.cfs_quota_us", quota);
      }
    });
    limits.cpuWeight().ifPresent(weight -> {
      if (host.onV2(Controller.CPU)) {
        set(Controller.CPU, "cpu.weight", weight);
      } else {
        set(Controller.CPU, "cpu.shares", 2 + ((weight - 1L) * 262142) / 9999); // the kernel's own mapping
      }
    });
  }

  private void writeIo(Limits limits) {
    IoDevices.throttleLines(ioDevices, limits, host.onV2(Controller.IO))
        .forEach((file, lines) -> lines.forEach(line -> set(Controller.IO, file, line)));
  }

  private boolean has(Controller c) {
    return dirs.containsKey(c);
  }

  private void set(Controller c, String file, Object value) {
    Path p = dirs.get(c).resolve(file);
    try {
      Files.writeString(p, value.toString());
    } catch (IOException e) {
      throw new ContainerStartException("write " + value + " to " + p, e.toString(), -1);
    }
  }

  private void setIfPresent(Controller c, String file, Object value) {
    if (Files.exists(dirs.get(c).resolve(file))) {
      set(c, file, value);
    }
  }

  /** The cgroup.procs files the launcher writes the container's pid to, one per directory. */
  public List<Path> procsFiles() {
    Path unified = dirs.get(Controller.UNIFIED);
    return dirs.values().stream().distinct().filter(d -> !d.equals(unified)).map(d -> d.resolve("cgroup.procs"))
        .collect(Collectors.toList());
  }

  /**
   * The directory in the v2 tree, which the launcher clones the container straight into
   * ({@code CLONE_INTO_CGROUP}): a write to {@code cgroup.procs} would wait for an RCU grace period.
   */
  public Optional<Path> unifiedDir() {
    return Optional.ofNullable(dirs.get(Controller.UNIFIED));
  }

  /** The file the launcher reads the container's CPU time from, and its format (launcher.h's usage_format). */
  public Optional<Map.Entry<Path, Integer>> cpuUsageFile() {
    if (has(Controller.UNIFIED)) {
      return Optional.of(Map.entry(dirs.get(Controller.UNIFIED).resolve("cpu.stat"), LauncherProtocol.USAGE_CPU_STAT));
    }
    if (has(Controller.CPUACCT)) {
      return Optional.of(Map.entry(dirs.get(Controller.CPUACCT).resolve("cpuacct.usage"), LauncherProtocol.USAGE_NANOSECONDS));
    }
    return Optional.empty();
  }

  /** User and system CPU time of every process that ever ran in the cgroup; empty if unknown. */
  public Optional<Duration[]> cpuTime() {
    if (has(Controller.UNIFIED)) {
      Map<String, Long> stat = keyed(dirs.get(Controller.UNIFIED).resolve("cpu.stat"));
      if (stat.containsKey("user_usec")) {
        return Optional.of(new Duration[] {Duration.ofNanos(stat.get("user_usec") * 1000), Duration.ofNanos(stat.get("system_usec") * 1000)});
      }
    }
    if (has(Controller.CPUACCT)) {
      Map<String, Long> stat = keyed(dirs.get(Controller.CPUACCT).resolve("cpuacct.stat"));
      long hz = 100; // USER_HZ on every architecture Isola runs on
      return Optional.of(new Duration[] {Duration.ofMillis(stat.getOrDefault("user", 0L) * 1000 / hz),
          Duration.ofMillis(stat.getOrDefault("system", 0L) * 1000 / hz)});
    }
    return Optional.empty();
  }

  /** The most memory used at once, in bytes; -1 without a memory controller. */
  public long peakMemoryBytes() {
    if (!has(Controller.MEMORY)) {
      return -1;
    }
    Path dir = dirs.get(Controller.MEMORY);
    return number(dir.resolve(host.onV2(Controller.MEMORY) ? "memory.peak" : "memory.max_usage_in_bytes"));
  }

  long memoryBytes() {
    if (!has(Controller.MEMORY)) {
      return -1;
    }
    Path dir = dirs.get(Controller.MEMORY);
    return number(dir.resolve(host.onV2(Controller.MEMORY) ? "memory.current" : "memory.usage_in_bytes"));
  }

  /** How many processes the kernel's OOM killer killed in the cgroup. */
  public long oomKills() {
    if (!has(Controller.MEMORY)) {
      return 0;
    }
    Path dir = dirs.get(Controller.MEMORY);
    return keyed(dir.resolve(host.onV2(Controller.MEMORY) ? "memory.events" : "memory.oom_control")).getOrDefault("oom_kill", 0L);
  }

  public ContainerStats stats() {
    Duration[] cpu = cpuTime().orElse(new Duration[] {Duration.ZERO, Duration.ZERO});
    long pids = has(Controller.PIDS) ? number(dirs.get(Controller.PIDS).resolve("pids.current")) : -1;
    return new ContainerStats(cpu[0], cpu[1], memoryBytes(), peakMemoryBytes(), pids, isFrozen());
  }

  public boolean canFreeze() {
    return has(Controller.UNIFIED) || has(Controller.FREEZER);
  }

  /** Freezes or thaws; a freeze returns once every process is frozen (or after a second, if one is stuck in the kernel). */
  public void freeze(boolean frozen) {
    if (has(Controller.UNIFIED)) {
      set(Controller.UNIFIED, "cgroup.freeze", frozen ? 1 : 0);
    } else {
      set(Controller.FREEZER, "freezer.state", frozen ? "FROZEN" : "THAWED");
    }
    for (int i = 0; frozen && i < 1000 && !isFrozen(); i++) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  public boolean isFrozen() {
    if (has(Controller.UNIFIED)) {
      return keyed(dirs.get(Controller.UNIFIED).resolve("cgroup.events")).getOrDefault("frozen", 0L) == 1;
    }
    return has(Controller.FREEZER) && read(dirs.get(Controller.FREEZER).resolve("freezer.state")).trim().equals("FROZEN");
  }

  /** SIGKILLs every process in the cgroup. */
  public void killAll() {
    if (has(Controller.UNIFIED) && Files.exists(dirs.get(Controller.UNIFIED).resolve("cgroup.kill"))) {
      killProcs(dirs.get(Controller.UNIFIED));
      return;
    }
    // before Linux 5.14, or a v1 host: freeze, kill each, thaw, so that nothing forks meanwhile
    boolean freezable = canFreeze();
    if (freezable) {
      freeze(true);
    }
    dirs.values().stream().distinct().forEach(Cgroup::killProcs);
    if (freezable) {
      freeze(false);
    }
  }

  /**
   * Removes every directory, killing what is left in it first (a container without a pid
   * namespace can leave processes behind). Never follows into anything but its own directories.
   */
  public void remove() {
    for (Path dir : dirs.values().stream().distinct().collect(Collectors.toList())) {
      removeDir(dir);
    }
  }

  private static void removeDir(Path dir) {
    for (int attempt = 0; attempt < 200; attempt++) {
      try {
        Files.deleteIfExists(dir);
        return;
      } catch (IOException e) { // EBUSY: processes are still dying
        if (attempt == 0) {
          killProcs(dir);
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** SIGKILLs what is in one directory: by cgroup.kill where the kernel has it, else pid by pid. */
  private static void killProcs(Path dir) {
    Path kill = dir.resolve("cgroup.kill");
    try {
      if (Files.exists(kill)) {
        Files.writeString(kill, "1");
        return;
      }
      for (String pid : Files.readString(dir.resolve("cgroup.procs")).split("\n")) {
        if (!pid.isBlank()) {
          LibC.kill(Integer.parseInt(pid.trim()), Signals.SIGKILL);
        }
      }
    } catch (IOException e) {
      // gone meanwhile
    }
  }

  /**
   * Removes the cgroups of JVMs that died without removing theirs (killed with -9): their names
   * say which JVM made them, and a JVM is the same only if its pid has the same start time.
   */
  public static void sweepStale(CgroupHost host) {
    for (Path dir : host.isolaCgroups()) {
      String[] f = dir.getFileName().toString().split("-");
      if (f.length != 4) {
        continue;
      }
      try {
        long pid = Long.parseLong(f[1]);
        if (!(f[1] + "-" + f[2]).equals(pid + "-" + ProcessStart.of(pid))) {
          removeDir(dir);
        }
      } catch (NumberFormatException e) {
        // not one of ours
      }
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long number(Path p) {
    String s = read(p).trim();
    return s.isEmpty() ? -1 : Long.parseLong(s);
  }

  private static Map<String, Long> keyed(Path p) {
    Map<String, Long> m = new java.util.HashMap<>();
    for (String line : read(p).split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2) {
        try {
          m.put(f[0], Long.parseLong(f[1]));
        } catch (NumberFormatException e) {
          // not a number: not a counter
        }
      }
    }
    return m;
  }

  @Override
  public String toString() {
    return "Cgroup" + new ArrayList<>(dirs.values());
  }
}
