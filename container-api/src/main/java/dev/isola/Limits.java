package dev.isola;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * What a container may use: memory, processes, CPU, time, output, and per-process resource
 * limits. Immutable; {@link #builder()} checks every value. A limit the host cannot enforce makes
 * {@link Container#start(ContainerSpec)} fail, naming the controller and the reason, unless the
 * caller marked it {@linkplain Builder#bestEffort(Kind...) best-effort}.
 *
 * <pre>{@code
 * Limits limits = Limits.builder()
 *     .memory(256 << 20).pids(64).cpus(0.5)
 *     .wallTime(Duration.ofSeconds(10)).cpuTime(Duration.ofSeconds(2))
 *     .outputBytes(1 << 20)
 *     .build();
 * }</pre>
 */
public final class Limits {
  /** The limits that need the host's help, for {@link Builder#bestEffort(Kind...)}. */
  public enum Kind {
    MEMORY, MEMORY_AND_SWAP, PIDS, CPUS, CPU_WEIGHT, CPUSET, CPU_TIME, IO
  }

  /** What happens when the captured output reaches {@link #outputBytes()}. */
  public enum OutputAction {
    /** The container is killed; its status says {@link ExitReason#OUTPUT_LIMIT}. */
    KILL,
    /** The container runs on; its further output is read and thrown away. */
    DISCARD
  }

  /** Per-process resource limits ({@code setrlimit}), applied to the command and inherited. */
  public enum Rlimit {
    /** Open file descriptors. */
    NOFILE,
    /** Processes of the container's user (counted per user namespace). */
    NPROC,
    /** Largest file a process may write, in bytes. */
    FSIZE,
    /** Largest core dump, in bytes; 0 unless set. */
    CORE,
    /** Stack size, in bytes. */
    STACK,
    /** Address space, in bytes. */
    AS,
    /** CPU time of each process, in seconds. */
    CPU
  }

  /**
   * The process limit of a container that sets none, as podman's: where the host gives Isola the
   * pids controller (as root, or with a delegated subtree), a fork bomb stops at this many
   * processes and threads. {@link Builder#unlimitedPids()} goes without.
   */
  public static final long DEFAULT_PIDS = 2048;

  /**
   * What a container may write to its root (an image's, an overlay's with an ephemeral upper
   * layer, files copied in included) unless {@link Builder#writableRootBytes(long)} says
   * otherwise: as much as its {@code /tmp} holds.
   */
  public static final long DEFAULT_WRITABLE_ROOT_BYTES = 256L << 20;

  /** Below this, the launcher and a shell cannot even start. */
  public static final long MIN_MEMORY_BYTES = 1 << 20;

  /** The largest {@link Builder#outputBytes(long)}: what one Java array can hold. */
  public static final long MAX_OUTPUT_BYTES = Integer.MAX_VALUE - 8;

  private static final Limits NONE = new Builder().build();

  private final long memory;
  private final long memoryAndSwap;
  private final long pids;
  private final double cpus;
  private final int cpuWeight;
  /** Read and write bytes per second, read and write operations per second; 0: none. */
  private final long[] io;
  private final SortedSet<Integer> cpuset;
  private final @Nullable Duration wallTime;
  private final @Nullable Duration cpuTime;
  private final Duration cpuTimeGrace;
  private final long outputBytes;
  private final long writableRootBytes;
  private final OutputAction onOutputLimit;
  private final Map<Rlimit, Long> rlimits;
  private final Set<Kind> bestEffort;

  private Limits(Builder b) {
    memory = b.memory;
    memoryAndSwap = b.memoryAndSwap;
    pids = b.pids;
    cpus = b.cpus;
    cpuWeight = b.cpuWeight;
    io = b.io.clone();
    cpuset = Collections.unmodifiableSortedSet(new TreeSet<>(b.cpuset));
    wallTime = b.wallTime;
    cpuTime = b.cpuTime;
    cpuTimeGrace = b.cpuTimeGrace;
    outputBytes = b.outputBytes;
    writableRootBytes = b.writableRootBytes;
    onOutputLimit = b.onOutputLimit;
    Map<Rlimit, Long> r = new EnumMap<>(Rlimit.class);
    r.put(Rlimit.CORE, 0L);
    r.putAll(b.rlimits);
    rlimits = Collections.unmodifiableMap(r);
    bestEffort = Collections.unmodifiableSet(b.bestEffort.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(b.bestEffort));
  }

  /** No limits but a core dump size of 0. */
  public static Limits none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these limits, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.memory = memory;
    b.memoryAndSwap = memoryAndSwap;
    b.pids = pids;
    b.cpus = cpus;
    b.cpuWeight = cpuWeight;
    b.io = io.clone();
    b.cpuset.addAll(cpuset);
    b.wallTime = wallTime;
    b.cpuTime = cpuTime;
    b.cpuTimeGrace = cpuTimeGrace;
    b.outputBytes = outputBytes;
    b.writableRootBytes = writableRootBytes;
    b.onOutputLimit = onOutputLimit;
    b.rlimits.putAll(rlimits);
    b.bestEffort.addAll(bestEffort);
    return b;
  }

  /**
   * Bounds for running code nobody vouches for, in one place: 512 MiB of memory (swap included),
   * 256 processes, one CPU, 10 s of CPU time, 30 s of wall time, 16 MiB of captured output (then
   * killed), 1024 open files, no core dumps. Each is a starting point: {@code
   * untrustedDefaults().toBuilder()} changes any of them. Needs a cgroup with the memory, pids
   * and cpu controllers, as root or with a delegated subtree.
   */
  public static Limits untrustedDefaults() {
    return builder().memory(512L << 20).pids(256).cpus(1.0).cpuTime(java.time.Duration.ofSeconds(10))
        .wallTime(java.time.Duration.ofSeconds(30)).outputBytes(16L << 20).onOutputLimit(OutputAction.KILL)
        .rlimit(Rlimit.NOFILE, 1024).rlimit(Rlimit.CORE, 0).build();
  }

  /** The memory of the whole container (every process, tmpfs pages, page cache), in bytes. */
  public OptionalLong memory() {
    return memory > 0 ? OptionalLong.of(memory) : OptionalLong.empty();
  }

  /** Memory plus swap of the whole container, in bytes. */
  public OptionalLong memoryAndSwap() {
    return memoryAndSwap > 0 ? OptionalLong.of(memoryAndSwap) : OptionalLong.empty();
  }

  /** Processes and threads in the container at once. */
  public OptionalLong pids() {
    return pids > 0 ? OptionalLong.of(pids) : OptionalLong.empty();
  }

  /**
   * Whether the runtime applies {@link #DEFAULT_PIDS} where it can: no {@link #pids()} was set,
   * and {@link Builder#unlimitedPids()} was not called.
   */
  public boolean defaultPids() {
    return pids == 0;
  }

  /** CPU bandwidth, in CPUs: 0.5 is half of one CPU's time. */
  public OptionalDouble cpus() {
    return cpus > 0 ? OptionalDouble.of(cpus) : OptionalDouble.empty();
  }

  /** CPU weight against other cgroups, 1 to 10000 (100 is the kernel's default). */
  public OptionalInt cpuWeight() {
    return cpuWeight > 0 ? OptionalInt.of(cpuWeight) : OptionalInt.empty();
  }

  /** Bytes per second the container may read from each block device it reads. */
  public OptionalLong ioReadBandwidth() {
    return io(0);
  }

  /** Bytes per second the container may write to each block device it writes. */
  public OptionalLong ioWriteBandwidth() {
    return io(1);
  }

  /** Read operations per second on each block device. */
  public OptionalLong ioReadOps() {
    return io(2);
  }

  /** Write operations per second on each block device. */
  public OptionalLong ioWriteOps() {
    return io(3);
  }

  /** Whether any io limit is set. */
  public boolean hasIoLimits() {
    return Arrays.stream(io).anyMatch(v -> v > 0);
  }

  private OptionalLong io(int i) {
    return io[i] > 0 ? OptionalLong.of(io[i]) : OptionalLong.empty();
  }

  /** The CPUs the container may run on; empty means all. */
  public SortedSet<Integer> cpuset() {
    return cpuset;
  }

  /** Time from start to end, after which the container is killed. */
  public Optional<Duration> wallTime() {
    return Optional.ofNullable(wallTime);
  }

  /** User plus system CPU time of all the container's processes together. */
  public Optional<Duration> cpuTime() {
    return Optional.ofNullable(cpuTime);
  }

  /**
   * How long past {@link #cpuTime()} the container may run before it is killed (isolate's {@code
   * --extra-time}); it is over the limit all the same.
   */
  public Duration cpuTimeGrace() {
    return cpuTimeGrace;
  }

  /** Bytes of standard output and error together that the caller reads from the pipes. */
  public OptionalLong outputBytes() {
    return outputBytes > 0 ? OptionalLong.of(outputBytes) : OptionalLong.empty();
  }

  public OutputAction onOutputLimit() {
    return onOutputLimit;
  }

  /**
   * The size of the tmpfs that holds the container's writes to an ephemeral root: a write past it
   * fails with {@code ENOSPC}. Its pages count toward the container's memory.
   */
  public long writableRootBytes() {
    return writableRootBytes;
  }

  /** The resource limits of each process; {@code CORE} is 0 unless set. */
  public Map<Rlimit, Long> rlimits() {
    return rlimits;
  }

  /** The limits the container may start without, on a host that cannot enforce them. */
  public Set<Kind> bestEffort() {
    return bestEffort;
  }

  /** Whether any limit needs a cgroup: memory, pids, CPU, CPU time or io. */
  public boolean needsCgroup() {
    return memory > 0 || memoryAndSwap > 0 || pids > 0 || cpus > 0 || cpuWeight > 0 || !cpuset.isEmpty() || cpuTime != null
        || hasIoLimits();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Limits)) {
      return false;
    }
    Limits l = (Limits) o;
    return memory == l.memory && memoryAndSwap == l.memoryAndSwap && pids == l.pids && cpus == l.cpus
        && cpuWeight == l.cpuWeight && Arrays.equals(io, l.io) && cpuset.equals(l.cpuset) && Objects.equals(wallTime, l.wallTime)
        && Objects.equals(cpuTime, l.cpuTime) && cpuTimeGrace.equals(l.cpuTimeGrace) && outputBytes == l.outputBytes
        && writableRootBytes == l.writableRootBytes && onOutputLimit == l.onOutputLimit && rlimits.equals(l.rlimits) && bestEffort.equals(l.bestEffort);
  }

  @Override
  public int hashCode() {
    return Objects.hash(memory, memoryAndSwap, pids, cpus, cpuWeight, Arrays.hashCode(io), cpuset, wallTime, cpuTime, cpuTimeGrace,
        outputBytes, writableRootBytes, onOutputLimit, rlimits, bestEffort);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Limits{");
    memory().ifPresent(v -> sb.append("memory=").append(v).append(" bytes, "));
    memoryAndSwap().ifPresent(v -> sb.append("memoryAndSwap=").append(v).append(" bytes, "));
    pids().ifPresent(v -> sb.append("pids=").append(v).append(", "));
    if (pids < 0) {
      sb.append("pids=unlimited, ");
    }
    cpus().ifPresent(v -> sb.append("cpus=").append(v).append(", "));
    cpuWeight().ifPresent(v -> sb.append("cpuWeight=").append(v).append(", "));
    ioReadBandwidth().ifPresent(v -> sb.append("ioReadBandwidth=").append(v).append(" bytes/s, "));
    ioWriteBandwidth().ifPresent(v -> sb.append("ioWriteBandwidth=").append(v).append(" bytes/s, "));
    ioReadOps().ifPresent(v -> sb.append("ioReadOps=").append(v).append("/s, "));
    ioWriteOps().ifPresent(v -> sb.append("ioWriteOps=").append(v).append("/s, "));
    if (!cpuset.isEmpty()) {
      sb.append("cpuset=").append(cpuset).append(", ");
    }
    wallTime().ifPresent(v -> sb.append("wallTime=").append(v).append(", "));
    cpuTime().ifPresent(v -> sb.append("cpuTime=").append(v).append(" (+").append(cpuTimeGrace).append(" grace), "));
    outputBytes().ifPresent(v -> sb.append("outputBytes=").append(v).append(" then ").append(onOutputLimit).append(", "));
    if (writableRootBytes != DEFAULT_WRITABLE_ROOT_BYTES) {
      sb.append("writableRootBytes=").append(writableRootBytes).append(", ");
    }
    sb.append("rlimits=").append(rlimits);
    if (!bestEffort.isEmpty()) {
      sb.append(", bestEffort=").append(bestEffort);
    }
    return sb.append('}').toString();
  }

  /** Builds {@link Limits}; each setter checks its value, {@link #build()} the combination. */
  public static final class Builder {
    private long memory;
    private long memoryAndSwap;
    private long pids;
    private double cpus;
    private int cpuWeight;
    private long[] io = new long[4];
    private final Set<Integer> cpuset = new TreeSet<>();
    private @Nullable Duration wallTime;
    private @Nullable Duration cpuTime;
    private Duration cpuTimeGrace = Duration.ZERO;
    private long outputBytes;
    private long writableRootBytes = DEFAULT_WRITABLE_ROOT_BYTES;
    private OutputAction onOutputLimit = OutputAction.KILL;
    private final Map<Rlimit, Long> rlimits = new EnumMap<>(Rlimit.class);
    private final Set<Kind> bestEffort = EnumSet.noneOf(Kind.class);

    private Builder() {}

    public Builder memory(long bytes) {
      if (bytes < MIN_MEMORY_BYTES) {
        throw new IllegalArgumentException("memory limit must be at least " + MIN_MEMORY_BYTES + " bytes: " + bytes);
      }
      memory = bytes;
      return this;
    }

    /** Memory plus swap; at least {@link #memory(long)}. */
    public Builder memoryAndSwap(long bytes) {
      if (bytes < MIN_MEMORY_BYTES) {
        throw new IllegalArgumentException("memory-and-swap limit must be at least " + MIN_MEMORY_BYTES + " bytes: " + bytes);
      }
      memoryAndSwap = bytes;
      return this;
    }

    public Builder pids(long max) {
      if (max < 1) {
        throw new IllegalArgumentException("pids limit must be at least 1: " + max);
      }
      pids = max;
      return this;
    }

    /** No process limit, not even {@link Limits#DEFAULT_PIDS}; replaces {@link #pids(long)}. */
    public Builder unlimitedPids() {
      pids = -1;
      return this;
    }

    /** CPU bandwidth in CPUs, above 0; checked against the host's CPUs at start. */
    public Builder cpus(double fractionOfCpus) {
      if (!(fractionOfCpus >= 0.01) || Double.isInfinite(fractionOfCpus)) {
        throw new IllegalArgumentException("cpus must be at least 0.01: " + fractionOfCpus);
      }
      cpus = fractionOfCpus;
      return this;
    }

    public Builder cpuWeight(int weight) {
      if (weight < 1 || weight > 10000) {
        throw new IllegalArgumentException("cpu weight must be in 1..10000: " + weight);
      }
      cpuWeight = weight;
      return this;
    }

    /**
     * Bytes per second the container may read from each block device that backs its root or
     * mounts (the host's disk for the default root), on cgroup v2's {@code io.max}. On cgroup
     * v1's {@code blkio} only direct and synchronous I/O is throttled, not page-cache writeback.
     * A container whose paths all lie on tmpfs has no device to limit: {@code start()} refuses it.
     */
    public Builder ioReadBandwidth(long bytesPerSecond) {
      return io(0, bytesPerSecond, "io read bandwidth");
    }

    /** Bytes per second the container may write to each block device; see {@link #ioReadBandwidth}. */
    public Builder ioWriteBandwidth(long bytesPerSecond) {
      return io(1, bytesPerSecond, "io write bandwidth");
    }

    /** Read operations per second on each block device; see {@link #ioReadBandwidth}. */
    public Builder ioReadOps(long opsPerSecond) {
      return io(2, opsPerSecond, "io read operations");
    }

    /** Write operations per second on each block device; see {@link #ioReadBandwidth}. */
    public Builder ioWriteOps(long opsPerSecond) {
      return io(3, opsPerSecond, "io write operations");
    }

    private Builder io(int i, long perSecond, String what) {
      if (perSecond < 1) {
        throw new IllegalArgumentException(what + " limit must be at least 1 per second: " + perSecond);
      }
      io[i] = perSecond;
      return this;
    }

    /** The CPUs (numbered from 0) the container may run on; checked against the host at start. */
    public Builder cpuset(int... cpus) {
      for (int c : cpus) {
        if (c < 0) {
          throw new IllegalArgumentException("CPU numbers start at 0: " + c);
        }
      }
      cpuset.clear();
      for (int c : cpus) {
        cpuset.add(c);
      }
      return this;
    }

    public Builder wallTime(Duration limit) {
      wallTime = positive("wall time limit", limit);
      return this;
    }

    public Builder cpuTime(Duration limit) {
      cpuTime = positive("CPU time limit", limit);
      return this;
    }

    public Builder cpuTimeGrace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("CPU time grace must not be negative: " + grace);
      }
      cpuTimeGrace = grace;
      return this;
    }

    public Builder outputBytes(long maxCapturedBytes) {
      if (maxCapturedBytes < 1) {
        throw new IllegalArgumentException("output limit must be at least 1 byte: " + maxCapturedBytes);
      }
      if (maxCapturedBytes > MAX_OUTPUT_BYTES) {
        throw new IllegalArgumentException("output limit " + maxCapturedBytes + " is more than captured output can hold in"
            + " memory (" + MAX_OUTPUT_BYTES + " bytes); send larger output to a file with Stdio.file(path)");
      }
      outputBytes = maxCapturedBytes;
      return this;
    }

    /** See {@link Limits#writableRootBytes()}; at least a MiB. */
    public Builder writableRootBytes(long bytes) {
      if (bytes < MIN_MEMORY_BYTES) {
        throw new IllegalArgumentException("writable root size must be at least " + MIN_MEMORY_BYTES + " bytes: " + bytes);
      }
      writableRootBytes = bytes;
      return this;
    }

    public Builder onOutputLimit(OutputAction action) {
      onOutputLimit = Objects.requireNonNull(action, "action");
      return this;
    }

    /** Sets a per-process resource limit (soft and hard alike). */
    public Builder rlimit(Rlimit resource, long value) {
      Objects.requireNonNull(resource, "resource");
      if (value < 0) {
        throw new IllegalArgumentException("rlimit " + resource + " must not be negative: " + value);
      }
      rlimits.put(resource, value);
      return this;
    }

    /** Lets the container start without these limits where the host cannot enforce them. */
    public Builder bestEffort(Kind... kinds) {
      for (Kind k : kinds) {
        bestEffort.add(Objects.requireNonNull(k, "kind"));
      }
      return this;
    }

    public Limits build() {
      if (memoryAndSwap > 0 && memory > 0 && memoryAndSwap < memory) {
        throw new IllegalArgumentException("memory-and-swap limit " + memoryAndSwap + " is below the memory limit " + memory);
      }
      if (!cpuTimeGrace.isZero() && cpuTime == null) {
        throw new IllegalArgumentException("a CPU time grace of " + cpuTimeGrace + " needs a CPU time limit");
      }
      if (onOutputLimit != OutputAction.KILL && outputBytes == 0) {
        throw new IllegalArgumentException("onOutputLimit(" + onOutputLimit + ") needs an output limit");
      }
      return new Limits(this);
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
