package dev.isola.linux.internal.container;

import com.sun.jna.Memory;
import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStats;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Signal;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.launch.LauncherProtocol;
import dev.isola.linux.internal.launch.StatusReader;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.rootfs.RootView;
import dev.isola.linux.internal.rootfs.RunningRoot;
import dev.isola.linux.internal.sys.Fd;
import dev.isola.linux.internal.sys.FdInputStream;
import dev.isola.linux.internal.sys.FdOutputStream;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.Signals;
import dev.isola.linux.internal.sys.Supervisor;
import dev.isola.spi.RunningContainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One container: hands its descriptors to the launch server, reads the server's report, and from
 * then on is driven by the {@link Supervisor}.
 */
public final class LinuxContainer implements RunningContainer, Supervisor.Watched {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final Supervisor supervisor;
  private final ContainerSpec spec;
  private final Optional<Cgroup> cgroup;
  private final Optional<RootLayers> layers;
  private volatile boolean closed;
  /** The process that watches the container: the launch server, or a monitor of its own. */
  private int monitorPid;
  private final Fd status;
  private final int statusFd;
  private final Fd control;
  private final OutputStream stdin;
  private final InputStream stdout;
  private final InputStream stderr;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final CompletableFuture<Void> monitorGone = new CompletableFuture<>();
  private final StatusReader reader;
  private final Verdict verdict;
  private final List<CapturedOutput> captured = new ArrayList<>();
  private CapturedOutput.Budget outputBudget;
  private int containerPid;
  private int exitWaitStatus = -1;
  private int filesystemRulesLevel;
  /** The host uid and gid of the container's root, who owns what is copied in. */
  private long[] rootIds;

  private LinuxContainer(Supervisor supervisor, ContainerSpec spec, Optional<Cgroup> cgroup, Optional<RootLayers> layers,
      int statusFd, int controlFd, long startNanos, OutputStream stdin, InputStream stdout, InputStream stderr) {
    this.supervisor = supervisor;
    this.spec = spec;
    this.cgroup = cgroup;
    this.layers = layers;
    this.statusFd = statusFd;
    this.status = new Fd(statusFd);
    this.control = new Fd(controlFd);
    this.reader = new StatusReader(status);
    this.verdict = new Verdict(spec, startNanos);
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Starts the container; returns once its command runs, or throws having left nothing behind. */
  public static LinuxContainer start(ContainerSpec spec, LaunchPlan plan, Optional<Cgroup> cgroup, Optional<RootLayers> layers,
      long[] rootIds, Launcher launcher, Supervisor supervisor) {
    List<Integer> childSide = new ArrayList<>();
    List<Integer> ours = new ArrayList<>();
    try {
      int[] in = LaunchDescriptors.stdio(spec.stdin(), 0, childSide, ours);
      int[] out = LaunchDescriptors.stdio(spec.stdout(), 1, childSide, ours);
      int[] err = LaunchDescriptors.stdio(spec.stderr(), 2, childSide, ours);
      int planFd = LaunchDescriptors.planMemfd(plan, childSide);
      int[] statusPipe = LaunchDescriptors.pipe(childSide, ours, true);
      int[] controlPipe = LaunchDescriptors.pipe(childSide, ours, false);
      long startNanos = System.nanoTime();
      launcher.launch(new int[] {in[0], out[0], err[0], planFd, statusPipe[1], controlPipe[0]});
      LaunchDescriptors.closeAll(childSide); // the launch server holds its own copies now
      boolean capture = spec.limits().outputBytes().isPresent();
      CapturedOutput.Budget[] budget = new CapturedOutput.Budget[1];
      LinuxContainer[] self = new LinuxContainer[1];
      if (capture) {
        budget[0] = new CapturedOutput.Budget(spec.limits().outputBytes().getAsLong(), () -> self[0].outputLimitReached());
      }
      List<CapturedOutput> captures = new ArrayList<>();
      LinuxContainer c = new LinuxContainer(supervisor, spec, cgroup, layers, statusPipe[0], controlPipe[1], startNanos,
          in[1] >= 0 ? new FdOutputStream(new Fd(in[1])) : LaunchDescriptors.closedOutput(),
          output(out[1], capture, supervisor, budget[0], captures), output(err[1], capture, supervisor, budget[0], captures));
      self[0] = c;
      c.outputBudget = budget[0];
      c.captured.addAll(captures);
      c.filesystemRulesLevel = plan.landlockAbi();
      c.rootIds = rootIds.clone();
      ours.clear();
      c.awaitStart(plan, spec);
      return c;
    } catch (IOException e) {
      LaunchDescriptors.closeAll(childSide);
      LaunchDescriptors.closeAll(ours); // without its status pipe, a launcher that did start kills its container
      throw new ContainerException("cannot start the container's launcher: " + e.getMessage(), e);
    }
  }

  private static InputStream output(int fd, boolean capture, Supervisor supervisor, CapturedOutput.Budget budget,
      List<CapturedOutput> captures) {
    if (fd < 0) {
      return InputStream.nullInputStream();
    }
    if (!capture) {
      return new FdInputStream(new Fd(fd));
    }
    CapturedOutput o = new CapturedOutput(supervisor, fd, budget);
    captures.add(o);
    return o.stream();
  }

  private void outputLimitReached() {
    if (spec.limits().onOutputLimit() == dev.isola.Limits.OutputAction.KILL) {
      verdict.killedForOutput();
      killNow();
    }
  }

  /** Reads the launcher's report: started, or the step that failed. */
  private void awaitStart(LaunchPlan plan, ContainerSpec spec) throws IOException {
    StringBuilder text = new StringBuilder();
    int[] msg;
    while ((msg = reader.next(true)) != null) {
      if (msg[0] == LauncherProtocol.MSG_TEXT) {
        text.append(reader.text());
      } else if (msg[0] == LauncherProtocol.MSG_STARTED) {
        monitorPid = msg[2];
        containerPid = msg[3];
        LibC.fcntl(statusFd, LibC.F_SETFL, LibC.O_NONBLOCK);
        supervisor.watch(statusFd, this);
        return;
      } else if (msg[0] == LauncherProtocol.MSG_FAILED) {
        abandon();
        throw StartFailure.of(plan, spec, msg[1], msg[2], msg[3], text.toString());
      }
    }
    abandon();
    throw new ContainerException("the launcher ended without a report: it was killed, or could not run");
  }

  /** After a failed start: the launcher has killed what it started, and ended; close all. */
  private void abandon() {
    status.close();
    control.close();
    closeStreams();
  }

  @Override
  public void onReadable() {
    int[] msg;
    try {
      while ((msg = reader.next(false)) != null) {
        if (msg[0] == LauncherProtocol.MSG_EXITED) {
          exitWaitStatus = msg[3];
        } else if (msg[0] == LauncherProtocol.MSG_LIMIT) {
          verdict.limitHit(msg[3]);
        } else if (msg[0] == LauncherProtocol.MSG_USAGE) {
          verdict.usage(reader.longs());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // the container's end is the exit report (every process of the container is gone by then:
    // it is sent after its first process, and the orphans a monitor adopted, are reaped), or the
    // end of a server that died; the end of the status pipe comes after the container's mount
    // namespace is gone, and close() waits for it
    if (!exit.isDone() && (exitWaitStatus >= 0 || reader.eof())) {
      // every writer is gone: what the pipes still hold is the last of the output
      captured.forEach(CapturedOutput::onReadable);
      // no report means the server (or monitor) itself was killed, and with it the container
      // (parent-death signal): a failure of the runtime, not of the container's process
      boolean truncated = outputBudget != null && outputBudget.exceeded();
      exit.complete(exitWaitStatus >= 0 ? verdict.of(exitWaitStatus, cgroup, truncated, null)
          : verdict.of(Signals.number(Signal.KILL), cgroup, truncated, "the launch server (pid " + monitorPid + ") ended while"
              + " the container ran (it was killed or crashed), and the container was killed with it"));
      // after the waiter woke, before close() can return (which waits for the end of the pipe)
      cgroup.ifPresent(Cgroup::remove);
    }
    if (reader.eof()) {
      supervisor.unwatch(statusFd);
      status.close();
      control.close();
      monitorGone.complete(null);
    }
  }

  @Override
  public void onFailure(Throwable failure) {
    exit.completeExceptionally(failure);
    monitorGone.complete(null);
  }

  @Override
  public long pid() {
    return containerPid;
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
    if (exit.isDone()) {
      return;
    }
    verdict.sentByCaller(Signals.number(signal));
    send(Signals.number(signal));
  }

  /** Asks the launcher to send a signal to the container's first process. */
  private void send(int number) {
    try (Memory m = new Memory(4)) {
      m.setInt(0, number);
      int fd = control.acquire();
      try {
        LibC.write(fd, m, 4); // EPIPE: the launcher is already gone, and so is the container
      } finally {
        control.release();
      }
    } catch (IOException closed) {
      // closed: the container is being closed and is killed anyway
    }
  }

  @Override
  public void killAll() {
    if (!exit.isDone()) {
      verdict.sentByCaller(Signals.number(Signal.KILL));
      killNow();
    }
  }

  /** SIGKILL to every process: the cgroup's, and the init's, whose end ends its pid namespace. */
  private void killNow() {
    cgroup.ifPresent(Cgroup::killAll);
    send(Signals.number(Signal.KILL));
  }

  @Override
  public ContainerStats stats() {
    Cgroup c = withCgroup("stats()");
    if (exit.isDone()) {
      throw new IllegalStateException("the container has ended; its ExitStatus holds what it used");
    }
    return c.stats();
  }

  @Override
  public void pause() {
    freeze(true, "pause()");
  }

  @Override
  public void resume() {
    freeze(false, "resume()");
  }

  private void freeze(boolean frozen, String what) {
    Cgroup c = withCgroup(what);
    if (!c.canFreeze()) {
      throw new UnsupportedFeatureException(what, "this host has no cgroup freezer for the container");
    }
    if (!exit.isDone()) {
      c.freeze(frozen);
    }
  }

  private Cgroup withCgroup(String what) {
    return cgroup.orElseThrow(() -> new UnsupportedFeatureException(what,
        "the container has no cgroup: this user (uid " + LibC.geteuid() + ") has no writable, delegated cgroup subtree"));
  }

  @Override
  public void copyIn(FileCopy copy) {
    if (exit.isDone()) {
      throw new ContainerException("cannot copy to " + copy.target() + ": the container has ended");
    }
    // the container's root owns what is copied in
    try (RunningRoot root = RunningRoot.of(containerPid, rootIds)) {
      root.copyIn(copy);
    }
  }

  @Override
  public void copyOut(String source, java.nio.file.Path hostTarget, long maxBytes) {
    if (closed) {
      throw new IllegalStateException("cannot copy " + source + " out: the container is closed, and its root layers are gone");
    }
    if (layers.isPresent() && layers.get().upperInContainer) {
      throw new UnsupportedFeatureException("copying out of an ephemeral overlay that maps subordinate ids",
          "for an ordinary user such a container writes to a tmpfs inside it, which the host cannot read; use Overlay.persistent");
    }
    RootView view = layers.map(RootLayers::view).orElseGet(() -> new RootView(List.of(spec.rootfs().orElseThrow(() ->
        new UnsupportedFeatureException("copying out of a container whose root is the host view",
            "that root is a tmpfs inside the container, which keeps nothing; give it a rootfs, an overlay or an image")))));
    view.copyOut(source, hostTarget, maxBytes);
  }

  @Override
  public int filesystemRulesLevel() {
    return filesystemRulesLevel;
  }

  @Override
  public void close() {
    if (!exit.isDone()) {
      verdict.sentByCaller(Signals.number(Signal.KILL)); // what the launcher kills with
    }
    control.close(); // the launcher reads end of file and kills the container
    try {
      monitorGone.get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // a server that does not answer for this long is stuck: its end ends its containers, and
      // the next start starts another (the status pipe is still open, so the pid is still its)
      LibC.kill(monitorPid, Signals.SIGKILL);
      monitorGone.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the failure is the exit future's to report
    }
    closeStreams();
    if (!closed) {
      closed = true;
      layers.ifPresent(RootLayers::remove);
    }
  }

  private void closeStreams() {
    for (AutoCloseable s : List.of(stdin, stdout, stderr)) {
      try {
        s.close();
      } catch (Exception e) {
        // our own descriptors: nothing to report
      }
    }
  }
}
