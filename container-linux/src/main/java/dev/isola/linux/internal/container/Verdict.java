package dev.isola.linux.internal.container;

import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.launch.LauncherProtocol;
import dev.isola.linux.internal.sys.Signals;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What is known of a running container's end as it happens (the launcher's reports, the
 * caller's signals, an output limit), and the {@link ExitStatus} made of it once all of the
 * container is dead.
 */
final class Verdict {
  private final Optional<Duration> cpuLimit;
  private final long startNanos;
  /**
   * The signals the caller sent, bit {@code n} for signal {@code n}: a death by one of them is
   * the caller's doing (KILLED); a death by another is not, even after the caller sent a signal
   * that the command handled (REL-07).
   */
  private final AtomicLong callerSignals = new AtomicLong();
  private volatile boolean killedForOutput;
  private int limitHit;
  private long[] usage;

  /** {@code cpuLimit}: the CPU-time limit that the process's cgroup count is held to, if any. */
  Verdict(Optional<Duration> cpuLimit, long startNanos) {
    this.cpuLimit = cpuLimit;
    this.startNanos = startNanos;
  }

  /** A death by this signal is the caller's doing. */
  void sentByCaller(int signal) {
    callerSignals.getAndUpdate(bits -> bits | (1L << signal));
  }

  void killedForOutput() {
    killedForOutput = true;
  }

  /** The launcher killed the container for this limit ({@code LauncherProtocol.LIMIT_*}). */
  void limitHit(int limit) {
    limitHit = limit;
  }

  /** The launcher's wait4 figures of the first process: user and system microseconds, max RSS KiB. */
  void usage(long[] figures) {
    usage = figures;
  }

  /**
   * The status of a container whose first process ended with {@code waitStatus}; {@code
   * runtimeFailure} names what failed when the runtime, not the container, ended it (null when
   * nothing did). Called once every process of the container is dead, before its cgroup goes.
   */
  ExitStatus of(int waitStatus, Optional<Cgroup> cgroup, boolean outputTruncated, String runtimeFailure) {
    ExitStatus.Builder b = ExitStatus.builder().wallTime(Duration.ofNanos(System.nanoTime() - startNanos));
    int sig = waitStatus & 0x7f;
    if (sig == 0) {
      b.exited((waitStatus >> 8) & 0xff);
    } else {
      b.signaled(sig, Signals.byNumber(sig));
    }
    // The cgroup counts every process that ever ran in it, however the container ended. wait4 of
    // the first process does not: whatever was killed with the init (a limit, kill, close) before
    // it was reaped is missing. So wait4 is only the fallback, and the status says so.
    Optional<Duration[]> measured = cgroup.flatMap(Cgroup::cpuTime);
    Duration[] cpu = measured.orElseGet(() -> usage == null ? new Duration[] {Duration.ZERO, Duration.ZERO}
        : new Duration[] {Duration.ofNanos(usage[0] * 1000), Duration.ofNanos(usage[1] * 1000)});
    b.cpuTime(cpu[0], cpu[1]);
    long peak = cgroup.map(Cgroup::peakMemoryBytes).orElse(-1L);
    b.peakMemoryBytes(peak >= 0 ? peak : usage == null ? 0 : usage[2] * 1024);
    b.accounting(measured.isPresent() && peak >= 0 ? ExitStatus.Accounting.CGROUP
        : usage != null ? ExitStatus.Accounting.RUSAGE : ExitStatus.Accounting.NONE);
    long oomKills = cgroup.map(Cgroup::oomKills).orElse(0L);
    b.oomKills(oomKills);
    b.outputTruncated(outputTruncated);
    if (runtimeFailure != null) {
      b.runtimeFailure(runtimeFailure);
    } else if (limitHit == LauncherProtocol.LIMIT_WALL) {
      b.reason(ExitReason.WALL_TIME_LIMIT);
    } else if (limitHit == LauncherProtocol.LIMIT_CPU || cpuLimit.isPresent() && cpu[0].plus(cpu[1]).compareTo(cpuLimit.get()) > 0) {
      b.reason(ExitReason.CPU_TIME_LIMIT);
    } else if (killedForOutput) {
      b.reason(ExitReason.OUTPUT_LIMIT);
    } else if (sig == Signals.SIGKILL && oomKills > 0) {
      b.reason(ExitReason.OOM_KILLED);
    } else if (sig != 0 && sig < 64 && (callerSignals.get() & (1L << sig)) != 0) {
      b.reason(ExitReason.KILLED);
    }
    return b.build();
  }
}
