package dev.isola;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** How a container's process ended. Immutable. */
public final class ExitStatus {
  private final ExitReason reason;
  private final int exitCode;
  private final @Nullable Signal signal;
  private final Duration wallTime;

  private ExitStatus(ExitReason reason, int exitCode, @Nullable Signal signal, Duration wallTime) {
    this.reason = reason;
    this.exitCode = exitCode;
    this.signal = signal;
    this.wallTime = Objects.requireNonNull(wallTime, "wallTime");
  }

  /** The process called {@code exit(code)}. */
  public static ExitStatus exited(int code, Duration wallTime) {
    if (code < 0 || code > 255) {
      throw new IllegalArgumentException("exit code must be in 0..255: " + code);
    }
    return new ExitStatus(ExitReason.EXITED, code, null, wallTime);
  }

  /**
   * A signal ended the process. {@code number} is the host's signal number, which also gives the
   * shell-style exit code {@code 128 + number}; {@code signal} is empty for a signal without a
   * standard name (a real-time signal).
   *
   * @param killedByCaller whether the caller sent it, through {@link Container#kill(Signal)} or
   *     {@link Container#close()}
   */
  public static ExitStatus signaled(
      int number, @Nullable Signal signal, boolean killedByCaller, Duration wallTime) {
    if (number < 1 || number > 127) {
      throw new IllegalArgumentException("signal number must be in 1..127: " + number);
    }
    ExitReason reason = killedByCaller ? ExitReason.KILLED : ExitReason.SIGNALED;
    return new ExitStatus(reason, 128 + number, signal, wallTime);
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

  /** Whether the process exited by itself with code 0. */
  public boolean isSuccess() {
    return reason == ExitReason.EXITED && exitCode == 0;
  }

  /** Time from the start of the container to the end of its process. */
  public Duration wallTime() {
    return wallTime;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ExitStatus
        && ((ExitStatus) o).reason == reason
        && ((ExitStatus) o).exitCode == exitCode
        && ((ExitStatus) o).signal == signal
        && ((ExitStatus) o).wallTime.equals(wallTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(reason, exitCode, signal, wallTime);
  }

  @Override
  public String toString() {
    String how = reason == ExitReason.EXITED
        ? "exited with code " + exitCode
        : (reason == ExitReason.KILLED ? "killed by caller with " : "ended by signal ")
            + (signal != null ? "SIG" + signal : "number " + (exitCode - 128));
    return "ExitStatus{" + how + " after " + wallTime.toMillis() + " ms}";
  }
}
