package dev.isola;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a container ended, and what it used: a judge's verdict in one value. Immutable.
 *
 * <p>{@link #reason()} says why it ended; {@link #exitCode()} and {@link #signal()} how its
 * command's process ended; the usage figures cover every process of the container.
 */
public final class ExitStatus {
  private final ExitReason reason;
  private final int exitCode;
  private final boolean bySignal;
  private final @Nullable Signal signal;
  private final Duration wallTime;
  private final Duration userCpuTime;
  private final Duration systemCpuTime;
  private final long peakMemoryBytes;
  private final boolean outputTruncated;
  private final Accounting accounting;
  private final long oomKills;
  private final @Nullable String runtimeFailure;

  /** Where the usage figures ({@link #cpuTime()}, {@link #peakMemoryBytes()}) come from. */
  public enum Accounting {
    /**
     * Measured by the container's cgroup after every process of it was dead: every process that
     * ever ran in it counts, however the container ended.
     */
    CGROUP,
    /**
     * Estimated from the processes the runtime reaped ({@code wait4}): CPU time of those reaped
     * only (a process killed with its parent before being reaped is missing), peak memory the
     * largest resident set of one process. The host gave no cgroup (rootless without delegation).
     */
    RUSAGE,
    /** Not measured by this runtime: the figures are zero. */
    NONE
  }

  private ExitStatus(Builder b) {
    this.reason = Objects.requireNonNull(b.reason, "reason");
    this.exitCode = b.exitCode;
    this.bySignal = Objects.requireNonNull(b.bySignal, "bySignal");
    this.signal = b.signal;
    this.wallTime = Objects.requireNonNull(b.wallTime, "wallTime");
    this.userCpuTime = b.userCpuTime;
    this.systemCpuTime = b.systemCpuTime;
    this.peakMemoryBytes = b.peakMemoryBytes;
    this.outputTruncated = b.outputTruncated;
    this.accounting = b.accounting;
    this.oomKills = b.oomKills;
    this.runtimeFailure = b.runtimeFailure;
  }

  /** The process called {@code exit(code)}. */
  public static ExitStatus exited(int code, Duration wallTime) {
    return builder().exited(code).wallTime(wallTime).build();
  }

  /**
   * A signal ended the process. {@code number} is the host's signal number, which also gives the
   * shell-style exit code {@code 128 + number}; {@code signal} is empty for a signal without a
   * standard name (a real-time signal).
   *
   * @param killedByCaller whether the caller sent it, through {@link Container#kill(Signal)} or
   *     {@link Container#close()}
   */
  public static ExitStatus signaled(int number, @Nullable Signal signal, boolean killedByCaller, Duration wallTime) {
    return builder().signaled(number, signal).reason(killedByCaller ? ExitReason.KILLED : ExitReason.SIGNALED)
        .wallTime(wallTime).build();
  }

  /** For runtimes: builds a status field by field. */
  public static Builder builder() {
    return new Builder();
  }

  public ExitReason reason() {
    return reason;
  }

  /** The exit code, or {@code 128 + signal number} when a signal ended the process. */
  public int exitCode() {
    return exitCode;
  }

  /** The signal that ended the process, if one did and it has a standard name. */
  public Optional<Signal> signal() {
    return Optional.ofNullable(signal);
  }

  /** Whether the process exited by itself with code 0, within every limit. */
  public boolean isSuccess() {
    return reason == ExitReason.EXITED && exitCode == 0;
  }

  /** Time from the start of the container to its end. */
  public Duration wallTime() {
    return wallTime;
  }

  /** User plus system CPU time of all the container's processes. */
  public Duration cpuTime() {
    return userCpuTime.plus(systemCpuTime);
  }

  public Duration userCpuTime() {
    return userCpuTime;
  }

  public Duration systemCpuTime() {
    return systemCpuTime;
  }

  /**
   * The most memory the container used at once, in bytes: its cgroup's peak when it had one
   * (every process, tmpfs, page cache), else the largest resident set of any one process.
   */
  public long peakMemoryBytes() {
    return peakMemoryBytes;
  }

  /** Whether captured output reached {@link Limits#outputBytes()} and was cut. */
  public boolean outputTruncated() {
    return outputTruncated;
  }

  /** Whether {@link #cpuTime()} and {@link #peakMemoryBytes()} are measured or estimated. */
  public Accounting accounting() {
    return accounting;
  }

  /**
   * How many processes of the container the kernel's OOM killer killed, whichever they were: a
   * child killed this way while the command went on still counts (the command itself dying of it
   * makes the reason {@link ExitReason#OOM_KILLED}). 0 where the container had no memory cgroup.
   */
  public long oomKills() {
    return oomKills;
  }

  /**
   * What failed in the runtime itself, when {@link #reason()} is {@link ExitReason#RUNTIME_FAILURE}
   * (for example the launch server was killed): the container's process was ended by that, not by
   * anything it did.
   */
  public Optional<String> runtimeFailure() {
    return Optional.ofNullable(runtimeFailure);
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.reason = reason;
    b.exitCode = exitCode;
    b.bySignal = bySignal;
    b.signal = signal;
    b.wallTime = wallTime;
    b.userCpuTime = userCpuTime;
    b.systemCpuTime = systemCpuTime;
    b.peakMemoryBytes = peakMemoryBytes;
    b.outputTruncated = outputTruncated;
    b.accounting = accounting;
    b.oomKills = oomKills;
    b.runtimeFailure = runtimeFailure;
    return b;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof ExitStatus)) {
      return false;
    }
    ExitStatus s = (ExitStatus) o;
    return s.reason == reason && s.exitCode == exitCode && s.bySignal == bySignal && s.signal == signal
        && s.wallTime.equals(wallTime)
        && s.userCpuTime.equals(userCpuTime) && s.systemCpuTime.equals(systemCpuTime)
        && s.peakMemoryBytes == peakMemoryBytes && s.outputTruncated == outputTruncated
        && s.accounting == accounting && s.oomKills == oomKills && Objects.equals(s.runtimeFailure, runtimeFailure);
  }

  @Override
  public int hashCode() {
    return Objects.hash(reason, exitCode, bySignal, signal, wallTime, userCpuTime, systemCpuTime, peakMemoryBytes, outputTruncated,
        accounting, oomKills, runtimeFailure);
  }

  @Override
  public String toString() {
    String how;
    switch (reason) {
      case EXITED:
        how = "exited with code " + exitCode;
        break;
      case SIGNALED:
        how = "ended by signal " + signalName();
        break;
      case KILLED:
        how = "killed by caller with " + signalName();
        break;
      case RUNTIME_FAILURE:
        how = "ended by a runtime failure (" + (runtimeFailure == null ? "unnamed" : runtimeFailure) + "; " + (bySignal ? signalName() : "exit code " + exitCode) + ")";
        break;
      default:
        how = reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " (" + (bySignal ? signalName() : "exit code " + exitCode) + ")";
    }
    String usage = accounting == Accounting.NONE ? "usage not measured"
        : "cpu " + cpuTime().toMillis() + " ms, peak memory " + peakMemoryBytes + " bytes"
            + (accounting == Accounting.RUSAGE ? " (estimates from wait4)" : "");
    return "ExitStatus{" + how + " after " + wallTime.toMillis() + " ms, " + usage
        + (oomKills > 0 ? ", " + oomKills + " OOM kill" + (oomKills > 1 ? "s" : "") : "")
        + (outputTruncated ? ", output truncated" : "") + "}";
  }

  private String signalName() {
    return signal != null ? "SIG" + signal : "number " + (exitCode - 128);
  }

  /** Builds an {@link ExitStatus}; for runtimes. */
  public static final class Builder {
    private @Nullable ExitReason reason;
    private int exitCode;
    /** How the process ended: unset until {@link #exited(int)} or {@link #signaled(int, Signal)}. */
    private @Nullable Boolean bySignal;
    private @Nullable Signal signal;
    private @Nullable Duration wallTime;
    private Duration userCpuTime = Duration.ZERO;
    private Duration systemCpuTime = Duration.ZERO;
    private long peakMemoryBytes;
    private boolean outputTruncated;
    private Accounting accounting = Accounting.CGROUP;
    private long oomKills;
    private @Nullable String runtimeFailure;

    private Builder() {}

    /** The process exited with {@code code}; the reason becomes {@link ExitReason#EXITED} unless set after. */
    public Builder exited(int code) {
      if (code < 0 || code > 255) {
        throw new IllegalArgumentException("exit code must be in 0..255: " + code);
      }
      exitCode = code;
      bySignal = false;
      signal = null;
      reason = ExitReason.EXITED;
      return this;
    }

    /** Signal {@code number} ended the process; the reason becomes {@link ExitReason#SIGNALED} unless set after. */
    public Builder signaled(int number, @Nullable Signal named) {
      if (number < 1 || number > 127) {
        throw new IllegalArgumentException("signal number must be in 1..127: " + number);
      }
      exitCode = 128 + number;
      bySignal = true;
      signal = named;
      reason = ExitReason.SIGNALED;
      return this;
    }

    public Builder reason(ExitReason r) {
      reason = Objects.requireNonNull(r, "reason");
      if (r != ExitReason.RUNTIME_FAILURE) {
        runtimeFailure = null;
      }
      return this;
    }

    public Builder wallTime(Duration d) {
      wallTime = nonNegative("wall time", d);
      return this;
    }

    public Builder cpuTime(Duration user, Duration system) {
      Duration checkedUser = nonNegative("user CPU time", user);
      systemCpuTime = nonNegative("system CPU time", system);
      userCpuTime = checkedUser;
      return this;
    }

    public Builder peakMemoryBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("peak memory must not be negative: " + bytes);
      }
      peakMemoryBytes = bytes;
      return this;
    }

    public Builder outputTruncated(boolean truncated) {
      outputTruncated = truncated;
      return this;
    }

    /** Where the usage figures come from; {@link Accounting#CGROUP} unless set. */
    public Builder accounting(Accounting source) {
      accounting = Objects.requireNonNull(source, "accounting");
      return this;
    }

    public Builder oomKills(long count) {
      if (count < 0) {
        throw new IllegalArgumentException("OOM kill count must not be negative: " + count);
      }
      oomKills = count;
      return this;
    }

    /** The runtime itself failed: sets the reason to {@link ExitReason#RUNTIME_FAILURE} with {@code what}. */
    public Builder runtimeFailure(String what) {
      runtimeFailure = Objects.requireNonNull(what, "what");
      reason = ExitReason.RUNTIME_FAILURE;
      return this;
    }

    public ExitStatus build() {
      if (bySignal == null) { // a reason alone does not say it
        throw new IllegalStateException("say how the process ended: exited(code) or signaled(number, signal)");
      }
      if (wallTime == null) {
        throw new IllegalStateException("wall time is not set");
      }
      return new ExitStatus(this);
    }

    private static Duration nonNegative(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }
}
