package dev.isola;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** What a running container uses now, read from its cgroup. Immutable. */
public final class ContainerStats {
  private final Duration userCpuTime;
  private final Duration systemCpuTime;
  private final long memoryBytes;
  private final long peakMemoryBytes;
  private final long pids;
  private final boolean paused;

  /** For runtimes. Figures a host cannot give are -1. */
  public ContainerStats(Duration userCpuTime, Duration systemCpuTime, long memoryBytes, long peakMemoryBytes, long pids, boolean paused) {
    this.userCpuTime = Objects.requireNonNull(userCpuTime, "userCpuTime");
    this.systemCpuTime = Objects.requireNonNull(systemCpuTime, "systemCpuTime");
    this.memoryBytes = memoryBytes;
    this.peakMemoryBytes = peakMemoryBytes;
    this.pids = pids;
    this.paused = paused;
  }

  public Duration cpuTime() {
    return userCpuTime.plus(systemCpuTime);
  }

  public Duration userCpuTime() {
    return userCpuTime;
  }

  public Duration systemCpuTime() {
    return systemCpuTime;
  }

  /** Memory in use now, in bytes; -1 where the host has no memory controller for the container. */
  public long memoryBytes() {
    return memoryBytes;
  }

  /** The most memory used at once so far, in bytes; -1 where unknown. */
  public long peakMemoryBytes() {
    return peakMemoryBytes;
  }

  /** Processes and threads now; -1 where the host has no pids controller for the container. */
  public long pids() {
    return pids;
  }

  /** Whether the container is frozen by {@link Container#pause()}. */
  public boolean paused() {
    return paused;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof ContainerStats)) {
      return false;
    }
    ContainerStats s = (ContainerStats) o;
    return s.userCpuTime.equals(userCpuTime) && s.systemCpuTime.equals(systemCpuTime) && s.memoryBytes == memoryBytes
        && s.peakMemoryBytes == peakMemoryBytes && s.pids == pids && s.paused == paused;
  }

  @Override
  public int hashCode() {
    return Objects.hash(userCpuTime, systemCpuTime, memoryBytes, peakMemoryBytes, pids, paused);
  }

  @Override
  public String toString() {
    return "ContainerStats{cpu " + cpuTime().toMillis() + " ms, memory " + memoryBytes + " bytes (peak " + peakMemoryBytes
        + "), pids " + pids + (paused ? ", paused" : "") + "}";
  }
}
