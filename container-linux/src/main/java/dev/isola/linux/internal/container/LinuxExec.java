package dev.isola.linux.internal.container;

import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.ExitStatus;
import dev.isola.Signal;
import dev.isola.Stdio;
import dev.isola.TerminalSize;
import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.Fd;
import dev.isola.linux.internal.sys.FdInputStream;
import dev.isola.linux.internal.sys.FdOutputStream;
import dev.isola.linux.internal.sys.Signals;
import dev.isola.linux.internal.sys.Supervisor;
import dev.isola.spi.RunningExec;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A process run in a running container: launched like a container's first process, into the
 * container's namespaces and cgroup (an ENTER step), with pipes and an exit status of its own.
 */
final class LinuxExec implements RunningExec, Supervisor.Watched {
  private final Supervisor supervisor;
  /** Null for a command that was not found, which never ran. */
  private final Launch launch;
  private final Verdict verdict;
  private final OutputStream stdin;
  private final InputStream stdout;
  private final InputStream stderr;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final Consumer<LinuxExec> closed;

  private LinuxExec(Supervisor supervisor, Launch launch, Consumer<LinuxExec> closed) {
    this.supervisor = supervisor;
    this.launch = launch;
    this.verdict = new Verdict(Optional.empty(), launch.startNanos);
    this.stdin = new FdOutputStream(new Fd(launch.stdin()));
    this.stdout = new FdInputStream(new Fd(launch.stdout()), launch.onTerminal());
    this.stderr = launch.stderr() >= 0 ? new FdInputStream(new Fd(launch.stderr())) : InputStream.nullInputStream();
    this.closed = closed;
  }

  /** A command that was not found (127) or cannot be run (126): it ends at once, saying why on stderr, as a shell does. */
  private LinuxExec(Supervisor supervisor, int code, String why, Duration took, Consumer<LinuxExec> closed) {
    this.supervisor = supervisor;
    this.launch = null;
    this.verdict = null;
    this.stdin = LaunchDescriptors.closedOutput();
    this.stdout = InputStream.nullInputStream();
    this.stderr = new ByteArrayInputStream((why + "\n").getBytes(StandardCharsets.UTF_8));
    this.exit.complete(ExitStatus.builder().exited(code).wallTime(took).accounting(ExitStatus.Accounting.NONE).build());
    this.closed = closed;
  }

  /** Starts {@code plan} (an ENTER plan) and returns once its command runs; {@code closed} hears of its {@link #close()}. */
  static LinuxExec start(ContainerSpec spec, LaunchPlan plan, boolean terminal, Launcher launcher, Supervisor supervisor,
      Consumer<LinuxExec> closed) {
    Launch launch = Launch.send(Stdio.pipe(), Stdio.pipe(), Stdio.pipe(), terminal, plan, launcher);
    try {
      launch.awaitStart(plan, spec);
      LinuxExec e = new LinuxExec(supervisor, launch, closed);
      launch.watch(supervisor, e);
      return e;
    } catch (ContainerStartException failure) {
      int errno = launch.failedErrno();
      if (launch.failedOp() == LaunchPlan.Op.EXEC && (errno == Errno.ENOENT || errno == Errno.EACCES)) {
        Duration took = Duration.ofNanos(System.nanoTime() - launch.startNanos);
        return new LinuxExec(supervisor, errno == Errno.ENOENT ? 127 : 126, "isola: " + failure.getMessage(), took, closed);
      }
      throw failure;
    }
  }

  @Override
  public void onReadable() {
    launch.readReports(verdict);
    if (!exit.isDone() && launch.ended()) {
      String failure = launch.runtimeFailure("exec");
      exit.complete(verdict.of(failure == null ? launch.waitStatus() : Signals.number(Signal.KILL), Optional.empty(), false, failure));
    }
    launch.releaseIfGone(supervisor);
  }

  @Override
  public void onFailure(Throwable failure) {
    exit.completeExceptionally(failure);
    launch.gone.complete(null);
  }

  @Override
  public long pid() {
    return launch == null ? 0 : launch.pid();
  }

  @Override
  public OutputStream stdin() {
    return stdin;
  }

  @Override
  public InputStream stdout() {
    return stdout;
  }

  @Override
  public InputStream stderr() {
    return stderr;
  }

  @Override
  public CompletableFuture<ExitStatus> exit() {
    return exit;
  }

  @Override
  public void kill(Signal signal) {
    if (!exit.isDone()) {
      verdict.sentByCaller(Signals.number(signal));
      launch.signal(Signals.number(signal));
    }
  }

  @Override
  public void resizeTty(TerminalSize size) {
    if (launch == null || !launch.onTerminal()) {
      throw new IllegalStateException("the process has no terminal");
    }
    launch.resizeTerminal(size);
  }

  @Override
  public void close() {
    if (launch != null) {
      if (!exit.isDone()) {
        verdict.sentByCaller(Signals.number(Signal.KILL)); // what the launcher kills with
      }
      launch.closeAndWait();
    }
    closeStreams();
    closed.accept(this);
  }

  private void closeStreams() {
    LaunchDescriptors.closeQuietly(stdin, stdout, stderr);
  }
}
