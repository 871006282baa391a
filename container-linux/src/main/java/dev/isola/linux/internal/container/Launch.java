package dev.isola.linux.internal.container;

import com.sun.jna.Memory;
import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.Stdio;
import dev.isola.TerminalSize;
import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.launch.LauncherProtocol;
import dev.isola.linux.internal.launch.StatusReader;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.Fd;
import dev.isola.linux.internal.sys.FdPassing;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.Signals;
import dev.isola.linux.internal.sys.Supervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One process handed to the launch server (a container's first process, or an exec's): the
 * descriptors sent with it, and the JVM's ends of its pipes: its stdio, the status pipe the
 * launcher reports on, and the control pipe that carries signals (its end kills the process).
 */
final class Launch {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  private static final System.Logger LOG = System.getLogger("dev.isola.linux");
  /**
   * The JVM's ends of the process's stdin, stdout and stderr; -1 where that stream is no pipe.
   * With a terminal, once started: stdin and stdout are the terminal's master (two descriptors of
   * it), stderr none.
   */
  private int stdin;
  private int stdout;
  private int stderr;
  /** With a terminal: the socket its master comes over, until it came; then the master, for its size. */
  private int terminalSocket = -1;
  private Fd terminal;
  final long startNanos;
  final StatusReader reader;
  private final Fd status;
  private final int statusFd;
  private final Fd control;
  /** The process that watches this one, the launch server or a monitor, and this one's pid. */
  private int monitorPid;
  private int pid;
  private int waitStatus = -1;
  /** The op and errno of the step that failed the start, once it failed. */
  private LaunchPlan.Op failedOp;
  private int failedErrno;
  /** Completes at the end of the status pipe: nothing of the process is left on the host. */
  final CompletableFuture<Void> gone = new CompletableFuture<>();

  private Launch(int[] ours, int terminalSocket, int statusFd, int controlFd, long startNanos) {
    this.stdin = ours[0];
    this.stdout = ours[1];
    this.stderr = ours[2];
    this.terminalSocket = terminalSocket;
    this.statusFd = statusFd;
    this.status = new Fd(statusFd);
    this.control = new Fd(controlFd);
    this.reader = new StatusReader(status);
    this.startNanos = startNanos;
  }

  /**
   * Sends the process with its plan and stdio to the launch server; closes what it made if that
   * fails. With a {@code terminal} (the plan's TTY step makes it), the process gets a socket as
   * its descriptor 0, over which its terminal's master comes, and /dev/null as 1 and 2 until then.
   */
  static Launch send(Stdio in, Stdio out, Stdio err, boolean terminal, LaunchPlan plan, Launcher launcher) {
    List<Integer> childSide = new ArrayList<>();
    List<Integer> ours = new ArrayList<>();
    try {
      int[] socket = terminal ? LaunchDescriptors.socketPair(childSide, ours) : new int[] {-1, -1};
      int[] i = terminal ? socket : LaunchDescriptors.stdio(in, 0, childSide, ours);
      int[] o = LaunchDescriptors.stdio(terminal ? Stdio.discard() : out, 1, childSide, ours);
      int[] e = LaunchDescriptors.stdio(terminal ? Stdio.discard() : err, 2, childSide, ours);
      int planFd = LaunchDescriptors.planMemfd(plan, childSide);
      int[] statusPipe = LaunchDescriptors.pipe(childSide, ours, true);
      int[] controlPipe = LaunchDescriptors.pipe(childSide, ours, false);
      long startNanos = System.nanoTime();
      launcher.launch(new int[] {i[0], o[0], e[0], planFd, statusPipe[1], controlPipe[0]});
      LaunchDescriptors.closeAll(childSide); // the launch server holds its own copies now
      return terminal ? new Launch(new int[] {-1, -1, -1}, socket[1], statusPipe[0], controlPipe[1], startNanos)
          : new Launch(new int[] {i[1], o[1], e[1]}, -1, statusPipe[0], controlPipe[1], startNanos);
    } catch (IOException | RuntimeException e) {
      LaunchDescriptors.closeAll(childSide);
      LaunchDescriptors.closeAll(ours); // without its status pipe, a launcher that did start kills what it started
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      throw new ContainerException("cannot start the container's launcher: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the launcher's report: returns once the process runs (then {@link #watch}); or throws
   * naming the step that failed, with every descriptor of the JVM's closed.
   */
  void awaitStart(LaunchPlan plan, ContainerSpec spec) {
    StringBuilder text = new StringBuilder();
    int[] msg;
    try {
      while ((msg = reader.next(true)) != null) {
        if (msg[0] == LauncherProtocol.MSG_TEXT) {
          text.append(reader.text());
        } else if (msg[0] == LauncherProtocol.MSG_STARTED) {
          monitorPid = msg[2];
          pid = msg[3];
          if (terminalSocket >= 0) {
            receiveTerminal();
          }
          return;
        } else if (msg[0] == LauncherProtocol.MSG_FAILED) {
          abandon();
          failedOp = msg[1] >= 0 && msg[1] < plan.steps().size() ? plan.steps().get(msg[1]).op : null;
          failedErrno = msg[2];
          throw StartFailure.of(plan, spec, msg[1], msg[2], msg[3], text.toString());
        }
      }
    } catch (IOException e) {
      abandon();
      throw new ContainerException("cannot read the launcher's report: " + e.getMessage(), e);
    }
    abandon();
    throw new ContainerException("the launcher ended without a report: it was killed, or could not run");
  }

  /** The terminal's master, sent by the TTY step before the command ran. */
  private void receiveTerminal() throws IOException {
    try {
      int master = FdPassing.receiveOne(terminalSocket, "the container's terminal");
      terminal = new Fd(master);
      stdout = LaunchDescriptors.duplicate(master);
      stdin = LaunchDescriptors.duplicate(master);
    } finally {
      LibC.close(terminalSocket);
      terminalSocket = -1;
    }
  }

  /** From now on, {@code watcher} hears of the launcher's reports. */
  void watch(Supervisor supervisor, Supervisor.Watched watcher) {
    LibC.fcntl(statusFd, LibC.F_SETFL, LibC.O_NONBLOCK);
    supervisor.watch(statusFd, watcher);
  }

  int stdin() {
    return stdin;
  }

  int stdout() {
    return stdout;
  }

  int stderr() {
    return stderr;
  }

  /** Whether the process runs on a terminal (its stdout is the master). */
  boolean onTerminal() {
    return terminal != null;
  }

  /** Sets the terminal's size; the kernel sends SIGWINCH to its foreground process group. */
  void resizeTerminal(TerminalSize size) {
    try (Memory ws = new Memory(8)) {
      ws.setShort(0, (short) size.rows()); // struct winsize {ws_row, ws_col, ws_xpixel, ws_ypixel}
      ws.setShort(2, (short) size.columns());
      ws.setShort(4, (short) 0);
      ws.setShort(6, (short) 0);
      int fd = terminal.acquire();
      try {
        if (LibC.ioctl(fd, LibC.TIOCSWINSZ, ws) < 0) {
          throw Errno.last("set the terminal's size");
        }
      } finally {
        terminal.release();
      }
    } catch (IOException e) {
      throw new IllegalStateException("the terminal is closed: " + e.getMessage(), e);
    }
  }

  /** After a failed {@link #awaitStart}: the kind of step that failed (null if none was named). */
  LaunchPlan.Op failedOp() {
    return failedOp;
  }

  int failedErrno() {
    return failedErrno;
  }

  int pid() {
    return pid;
  }

  /** Reads what the launcher reported since the last call; its facts of the end go to {@code verdict}. */
  void readReports(Verdict verdict) {
    int[] msg;
    try {
      while ((msg = reader.next(false)) != null) {
        if (msg[0] == LauncherProtocol.MSG_EXITED) {
          waitStatus = msg[3];
        } else if (msg[0] == LauncherProtocol.MSG_LIMIT) {
          verdict.limitHit(msg[3]);
        } else if (msg[0] == LauncherProtocol.MSG_USAGE) {
          verdict.usage(reader.longs());
        } else if (msg[0] == LauncherProtocol.MSG_HELPER_ENDED) {
          LOG.log(System.Logger.Level.WARNING, "the network helper (pid " + msg[2] + ") of the container (pid " + pid
              + ") ended (wait status " + msg[3] + "): the container runs on without a network");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The process's wait status as the launcher reported it; -1 before that. */
  int waitStatus() {
    return waitStatus;
  }

  /**
   * Whether the process has ended: the launcher reported its exit, or the launcher itself
   * ended (it was killed, and what it watched with it).
   */
  boolean ended() {
    return waitStatus >= 0 || reader.eof();
  }

  /** After {@link #ended()}: what failed when the launcher ended without a report; null when it reported. */
  String runtimeFailure(String what) {
    return waitStatus >= 0 ? null : "the launch server (pid " + monitorPid + ") ended while the " + what
        + " ran (it was killed or crashed), and the " + what + " was killed with it";
  }

  /** Once the status pipe has ended (every copy of its writing end is closed): release the pipes. */
  void releaseIfGone(Supervisor supervisor) {
    if (reader.eof()) {
      supervisor.unwatch(statusFd);
      closePipes();
      gone.complete(null);
    }
  }

  /** Closes the control pipe, so that the launcher kills the process, and waits until it is gone. */
  void closeAndWait() {
    control.close();
    try {
      gone.get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // a server that does not answer for this long is stuck: its end ends what it watches, and
      // the next start starts another (the status pipe is still open, so the pid is still its)
      LibC.kill(monitorPid, Signals.SIGKILL);
      gone.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the failure is the exit future's to report
    }
  }

  /** Asks the launcher to send a signal to the process. */
  void signal(int number) {
    try (Memory m = new Memory(4)) {
      m.setInt(0, number);
      int fd = control.acquire();
      try {
        LibC.write(fd, m, 4); // EPIPE: the launcher is already gone, and so is the process
      } finally {
        control.release();
      }
    } catch (IOException closed) {
      // closed: the process is being closed and is killed anyway
    }
  }

  private void closePipes() {
    status.close();
    control.close();
    if (terminal != null) {
      terminal.close();
    }
  }

  /** After a failed start: the launcher has killed what it started; the JVM's ends go too. */
  private void abandon() {
    closePipes();
    for (int fd : new int[] {stdin, stdout, stderr, terminalSocket}) {
      if (fd >= 0) {
        LibC.close(fd);
      }
    }
    stdin = stdout = stderr = terminalSocket = -1;
  }
}
