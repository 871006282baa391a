package dev.isola.linux.internal.container;

import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStats;
import dev.isola.ExecSpec;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Namespace;
import dev.isola.Network;
import dev.isola.Signal;
import dev.isola.TerminalSize;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.launch.Launcher;
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
import dev.isola.spi.RunningExec;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One container: hands its descriptors to the launch server, reads the server's report, and from
 * then on is driven by the {@link Supervisor}.
 */
public final class LinuxContainer implements RunningContainer, Supervisor.Watched {
  private final Supervisor supervisor;
  private final Launcher launcher;
  private final ContainerSpec spec;
  private final Optional<Cgroup> cgroup;
  private final Optional<RootLayers> layers;
  private final ExecPlans execPlans;
  private final Launch launch;
  private volatile boolean closed;
  private final OutputStream stdin;
  private final InputStream stdout;
  private final InputStream stderr;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final Verdict verdict;
  private final List<CapturedOutput> captured = new ArrayList<>();
  private final CapturedOutput.Budget outputBudget;
  private final Set<LinuxExec> execs = ConcurrentHashMap.newKeySet();
  private final int filesystemRulesLevel;
  private final List<Network.Port> published;
  /** The host uid and gid of the container's root, who owns what is copied in. */
  private final long[] rootIds;

  private LinuxContainer(ContainerSpec spec, LaunchPlan plan, Optional<Cgroup> cgroup, Optional<RootLayers> layers, long[] rootIds,
      ExecPlans execPlans, Launcher launcher, Supervisor supervisor, Launch launch) {
    this.supervisor = supervisor;
    this.launcher = launcher;
    this.spec = spec;
    this.cgroup = cgroup;
    this.layers = layers;
    this.execPlans = execPlans;
    this.launch = launch;
    this.verdict = new Verdict(spec.limits().cpuTime(), launch.startNanos);
    this.filesystemRulesLevel = plan.landlockAbi();
    this.published = plan.published();
    this.rootIds = rootIds.clone();
    boolean capture = spec.limits().outputBytes().isPresent();
    this.outputBudget = capture ? new CapturedOutput.Budget(spec.limits().outputBytes().getAsLong(), this::outputLimitReached) : null;
    this.stdin = launch.stdin() >= 0 ? new FdOutputStream(new Fd(launch.stdin())) : LaunchDescriptors.closedOutput();
    this.stdout = output(launch.stdout());
    this.stderr = output(launch.stderr());
  }

  /**
   * Starts the container; returns once its command runs, or throws having left nothing behind.
   * {@code execPlans} compiles the plans of the processes {@link #exec} runs in it.
   */
  public static LinuxContainer start(ContainerSpec spec, LaunchPlan plan, Optional<Cgroup> cgroup, Optional<RootLayers> layers,
      long[] rootIds, ExecPlans execPlans, Launcher launcher, Supervisor supervisor) {
    Launch launch = Launch.send(spec.stdin(), spec.stdout(), spec.stderr(), spec.tty().isPresent(), plan, launcher);
    launch.awaitStart(plan, spec);
    layers.ifPresent(RootLayers::detachFromHost); // the container's mount namespace holds them now
    LinuxContainer c = new LinuxContainer(spec, plan, cgroup, layers, rootIds, execPlans, launcher, supervisor, launch);
    launch.watch(supervisor, c);
    return c;
  }

  private InputStream output(int fd) {
    if (fd < 0) {
      return InputStream.nullInputStream();
    }
    if (outputBudget == null) {
      return new FdInputStream(new Fd(fd), launch.onTerminal());
    }
    CapturedOutput o = new CapturedOutput(supervisor, fd, outputBudget);
    captured.add(o);
    return o.stream();
  }

  private void outputLimitReached() {
    if (spec.limits().onOutputLimit() == dev.isola.Limits.OutputAction.KILL) {
      verdict.killedForOutput();
      killNow();
    }
  }

  @Override
  public void onReadable() {
    launch.readReports(verdict);
    // the container's end is the exit report (every process of the container is gone by then:
    // it is sent after its first process, and the orphans a monitor adopted, are reaped), or the
    // end of a server that died; the end of the status pipe comes after the container's mount
    // namespace is gone, and close() waits for it
    if (!exit.isDone() && launch.ended()) {
      // every writer is gone: what the pipes still hold is the last of the output
      captured.forEach(CapturedOutput::onReadable);
      // no report means the server (or monitor) itself was killed, and with it the container
      // (parent-death signal): a failure of the runtime, not of the container's process
      boolean truncated = outputBudget != null && outputBudget.exceeded();
      String failure = launch.runtimeFailure("container");
      exit.complete(verdict.of(failure == null ? launch.waitStatus() : Signals.number(Signal.KILL), cgroup, truncated, failure));
      // after the waiter woke, before close() can return (which waits for the end of the pipe)
      cgroup.ifPresent(Cgroup::remove);
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
    return launch.pid();
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
    launch.signal(Signals.number(signal));
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
    launch.signal(Signals.number(Signal.KILL));
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
    try (RunningRoot root = RunningRoot.of(launch.pid(), rootIds)) {
      root.copyIn(copy);
    }
  }

  @Override
  public void copyOut(String source, java.nio.file.Path hostTarget, long maxBytes) {
    if (closed) {
      throw new IllegalStateException("cannot copy " + source + " out: the container is closed, and its root layers are gone");
    }
    if (!exit.isDone()) {
      // running: read as the container sees it, its own mounts (/tmp, binds) included
      try (RunningRoot root = RunningRoot.of(launch.pid(), rootIds)) {
        root.copyOut(source, hostTarget, maxBytes);
        return;
      } catch (ContainerException e) {
        if (!exit.isDone()) {
          throw e;
        } // it ended meanwhile: what stays of it is below
      }
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
  public RunningExec exec(ExecSpec exec) {
    String what = "cannot exec " + exec.command() + ": ";
    if (closed) {
      throw new ContainerException(what + "the container is closed");
    }
    if (exit.isDone()) {
      throw new ContainerException(what + "the container has ended (" + exit.join() + ")");
    }
    if (!spec.namespaces().contains(Namespace.PID)) {
      throw new UnsupportedFeatureException("exec into a container that shares the host's pid namespace",
          "such a container has no init of its own to end what an exec leaves; start it with its own pid namespace");
    }
    if (cgroup.map(Cgroup::isFrozen).orElse(false)) {
      throw new ContainerException(what + "the container is paused; resume() it first");
    }
    ExecPlans.Compiled compiled = execPlans.compile(exec, launch.pid());
    LinuxExec e = LinuxExec.start(compiled.spec(), compiled.plan(), compiled.tty().isPresent(), launcher, supervisor, execs::remove);
    execs.add(e);
    return e;
  }

  @Override
  public List<Network.Port> publishedPorts() {
    return published;
  }

  @Override
  public void resizeTty(TerminalSize size) {
    launch.resizeTerminal(size);
  }

  @Override
  public void close() {
    if (!exit.isDone()) {
      verdict.sentByCaller(Signals.number(Signal.KILL)); // what the launcher kills with
    }
    execs.forEach(LinuxExec::close); // first, so that each says it was killed, not that it died with the container
    launch.closeAndWait(); // the launcher reads end of file and kills the container
    closeStreams();
    if (!closed) {
      closed = true;
      layers.ifPresent(RootLayers::remove);
    }
  }

  private void closeStreams() {
    LaunchDescriptors.closeQuietly(stdin, stdout, stderr);
  }
}
