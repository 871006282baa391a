package dev.isola;

import dev.isola.spi.RunningExec;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A process run in a running container by {@link Container#exec(ExecSpec)}: its own pipes and its
 * own {@link ExitStatus}. It ends with the container at the latest; {@link #close()} kills it
 * earlier.
 *
 * <pre>{@code
 * try (ExecProcess p = container.exec("cat", "/etc/hostname")) {
 *   String name = new String(p.stdout().readAllBytes());
 *   ExitStatus status = p.waitFor();
 * }
 * }</pre>
 *
 * <p>A command that is not found in the container ends at once with exit code 127 (126 when it
 * is not executable), the reason on {@link #stderr()}, as a shell says it.
 *
 * <p>Thread-safe.
 */
public final class ExecProcess implements AutoCloseable {
  private final ExecSpec spec;
  private final RunningExec running;

  ExecProcess(ExecSpec spec, RunningExec running) {
    this.spec = spec;
    this.running = running;
  }

  public ExecSpec spec() {
    return spec;
  }

  /** The host's process id of the process (0 if it never started: a command not found). */
  public long pid() {
    return running.pid();
  }

  public OutputStream stdin() {
    return running.stdin();
  }

  public InputStream stdout() {
    return running.stdout();
  }

  public InputStream stderr() {
    return running.stderr();
  }

  /** Waits for the process to end. */
  public ExitStatus waitFor() throws InterruptedException {
    return Waiting.waitFor(running.exit(), "exec");
  }

  /** Waits at most {@code timeout} for the process to end; empty if it still runs. */
  public Optional<ExitStatus> waitFor(Duration timeout) throws InterruptedException {
    return Waiting.waitFor(running.exit(), timeout, "exec");
  }

  /** Completes when the process has ended; completing the returned future changes nothing. */
  public CompletableFuture<ExitStatus> onExit() {
    return running.exit().copy();
  }

  public boolean isAlive() {
    return !running.exit().isDone();
  }

  /** Sends {@code signal} to the process; does nothing once it has ended. */
  public void kill(Signal signal) {
    running.kill(Objects.requireNonNull(signal, "signal"));
  }

  /**
   * Sets the size of the process's terminal ({@code tty(columns, rows)} in its spec): the kernel sends
   * {@code SIGWINCH} to its foreground process group.
   *
   * @throws IllegalStateException if it has no terminal, or has ended
   * @throws IllegalArgumentException if a size is not within 1..65535
   */
  public void resizeTty(int columns, int rows) {
    running.resizeTty(TerminalSize.forResize(columns, rows, spec.tty().isPresent(), isAlive(), "process"));
  }

  /** Kills the process if it still runs, waits for its end, and releases its streams. */
  @Override
  public void close() {
    running.close();
  }

  @Override
  public String toString() {
    return "ExecProcess{pid=" + pid() + ", " + (isAlive() ? "running" : "ended") + ", " + spec.command() + "}";
  }
}
