package dev.isola.linux.internal.container;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.ContainerStats;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Namespace;
import dev.isola.Signal;
import dev.isola.Stdio;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.launch.LauncherProtocol;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.rootfs.RootView;
import dev.isola.linux.internal.rootfs.RunningRoot;
import dev.isola.linux.internal.sys.Errno;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One container: hands its descriptors to the launch server, reads the server's report, and from
 * then on is driven by the {@link Supervisor}.
 */
public final class LinuxContainer implements RunningContainer, Supervisor.Watched {
  private static final int F_SETFL = 4;
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
  private final long startNanos;
  private final OutputStream stdin;
  private final InputStream stdout;
  private final InputStream stderr;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final CompletableFuture<Void> monitorGone = new CompletableFuture<>();
  private final StatusReader reader = new StatusReader();
  private final List<CapturedOutput> captured = new ArrayList<>();
  private CapturedOutput.Budget outputBudget;
  private int containerPid;
  /**
   * The signals the caller sent, bit {@code n} for signal {@code n}: a death by one of them is
   * the caller's doing (KILLED); a death by another is not, even after the caller sent a signal
   * that the command handled (REL-07). {@link #close()} sends KILL.
   */
  private final AtomicLong callerSignals = new AtomicLong();
  private volatile boolean killedForOutput;
  private int exitWaitStatus = -1;
  private int limitHit;
  private long[] usage;
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
    this.startNanos = startNanos;
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
      int[] in = stdio(spec.stdin(), 0, childSide, ours);
      int[] out = stdio(spec.stdout(), 1, childSide, ours);
      int[] err = stdio(spec.stderr(), 2, childSide, ours);
      int planFd = planMemfd(plan, childSide);
      int[] statusPipe = pipe(childSide, ours, true);
      int[] controlPipe = pipe(childSide, ours, false);
      long startNanos = System.nanoTime();
      launcher.launch(new int[] {in[0], out[0], err[0], planFd, statusPipe[1], controlPipe[0]});
      closeAll(childSide); // the launch server holds its own copies now
      boolean capture = spec.limits().outputBytes().isPresent();
      CapturedOutput.Budget[] budget = new CapturedOutput.Budget[1];
      LinuxContainer[] self = new LinuxContainer[1];
      if (capture) {
        budget[0] = new CapturedOutput.Budget(spec.limits().outputBytes().getAsLong(), () -> self[0].outputLimitReached());
      }
      List<CapturedOutput> captures = new ArrayList<>();
      LinuxContainer c = new LinuxContainer(supervisor, spec, cgroup, layers, statusPipe[0], controlPipe[1], startNanos,
          in[1] >= 0 ? new FdOutputStream(new Fd(in[1])) : closedOutput(),
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
      closeAll(childSide);
      closeAll(ours); // without its status pipe, a launcher that did start kills its container
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
      killedForOutput = true;
      killNow();
    }
  }

  /** Reads the launcher's report: started, or the step that failed. */
  private void awaitStart(LaunchPlan plan, ContainerSpec spec) throws IOException {
    StringBuilder text = new StringBuilder();
    int[] msg;
    while ((msg = reader.next(true)) != null) {
      if (msg[0] == LauncherProtocol.MSG_TEXT) {
        text.append(reader.text);
      } else if (msg[0] == LauncherProtocol.MSG_STARTED) {
        monitorPid = msg[2];
        containerPid = msg[3];
        LibC.fcntl(statusFd, F_SETFL, LibC.O_NONBLOCK);
        supervisor.watch(statusFd, this);
        return;
      } else if (msg[0] == LauncherProtocol.MSG_FAILED) {
        abandon();
        throw failure(plan, spec, msg[1], msg[2], msg[3], text.toString());
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

  private static ContainerStartException failure(LaunchPlan plan, ContainerSpec spec, int step, int errno, int value, String text) {
    String what = plan.describe(step);
    Op op = step >= 0 && step < plan.steps().size() ? plan.steps().get(step).op : null;
    String error;
    if (op == Op.RUN_HELPER) {
      error = "exited with status " + value + (text.isEmpty() ? "" : ": " + text);
    } else {
      error = errno > 0 ? Errno.describe(errno) : "invalid launch plan (" + value + ")";
    }
    String hint = op == Op.LANDLOCK ? Landlock.hint(plan.steps().get(step).strings, errno, value) : hint(op, errno, spec);
    return new ContainerStartException(what, error + hint, errno > 0 ? errno : -1);
  }

  /** What a user can do about the common failures. */
  private static String hint(Op op, int errno, ContainerSpec spec) {
    if (op == Op.CLONE && (errno == Errno.EPERM || errno == Errno.ENOSPC || errno == Errno.EACCES || errno == Errno.EINVAL)) {
      return "; new namespaces are not permitted here. If user namespaces are off: check sysctl user.max_user_namespaces"
          + " (0 disables them), kernel.unprivileged_userns_clone (Debian, Ubuntu), kernel.apparmor_restrict_unprivileged_userns"
          + " (AppArmor on Ubuntu 23.10 and later), or the seccomp profile of a container the JVM itself runs in";
    }
    if (op == Op.EXEC && errno == Errno.ENOENT) {
      return "; there is no program \"" + spec.command().get(0) + "\" in the container"
          + (spec.command().get(0).contains("/") ? "" : " (searched PATH=" + spec.env().getOrDefault("PATH", "") + ")")
          + ", or its interpreter or libraries are missing";
    }
    if (op == Op.EXEC && errno == Errno.EACCES) {
      return "; \"" + spec.command().get(0) + "\" is not an executable file in the container, or lies on a noexec mount"
          + (spec.filesystemRules().isPresent() ? ", or no filesystem rule allows running it" : "");
    }
    if (op == Op.REMOUNT && errno == Errno.EXDEV) {
      return "; the path to the mount changed while the container was being set up (something swapped a"
          + " directory on the way for a symlink), so its flags could not be set on it";
    }
    if (op == Op.CHDIR && errno == Errno.ENOENT) {
      return "; the working directory does not exist in the container";
    }
    if (op == Op.WRITE_PROC && (errno == 1 || errno == Errno.EACCES)) {
      return "; this user may not map these ids (an ordinary user maps only its own uid and gid without newuidmap)";
    }
    return "";
  }

  @Override
  public void onReadable() {
    int[] msg;
    try {
      while ((msg = reader.next(false)) != null) {
        if (msg[0] == LauncherProtocol.MSG_EXITED) {
          exitWaitStatus = msg[3];
        } else if (msg[0] == LauncherProtocol.MSG_LIMIT) {
          limitHit = msg[3];
        } else if (msg[0] == LauncherProtocol.MSG_USAGE) {
          usage = reader.longs();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // the container's end is the exit report (every process of the container is gone by then:
    // it is sent after its first process, and the orphans a monitor adopted, are reaped), or the
    // end of a server that died; the end of the status pipe comes after the container's mount
    // namespace is gone, and close() waits for it
    if (!exit.isDone() && (exitWaitStatus >= 0 || reader.eof)) {
      // every writer is gone: what the pipes still hold is the last of the output
      captured.forEach(CapturedOutput::onReadable);
      // no report means the server (or monitor) itself was killed, and with it the container
      // (parent-death signal)
      exit.complete(toExitStatus(exitWaitStatus >= 0 ? exitWaitStatus : Signals.number(Signal.KILL)));
      // after the waiter woke, before close() can return (which waits for the end of the pipe)
      cgroup.ifPresent(Cgroup::remove);
    }
    if (reader.eof) {
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

  /** The verdict: how the process ended, why, and what the container used. */
  private ExitStatus toExitStatus(int waitStatus) {
    ExitStatus.Builder b = ExitStatus.builder().wallTime(Duration.ofNanos(System.nanoTime() - startNanos));
    int sig = waitStatus & 0x7f;
    if (sig == 0) {
      b.exited((waitStatus >> 8) & 0xff);
    } else {
      b.signaled(sig, Signals.byNumber(sig));
    }
    Duration[] reported = usage == null ? new Duration[] {Duration.ZERO, Duration.ZERO}
        : new Duration[] {Duration.ofNanos(usage[0] * 1000), Duration.ofNanos(usage[1] * 1000)};
    // the init of a pid namespace reaps all of it, so the reported usage is the whole container's;
    // the cgroup is read where it is not, and where a CPU time limit was kept on the cgroup's count
    boolean wholeContainer = usage != null && spec.namespaces().contains(Namespace.PID)
        && spec.limits().cpuTime().isEmpty();
    Duration[] cpu = wholeContainer ? reported : cgroup.flatMap(Cgroup::cpuTime).orElse(reported);
    b.cpuTime(cpu[0], cpu[1]);
    long peak = cgroup.map(Cgroup::peakMemoryBytes).orElse(-1L);
    b.peakMemoryBytes(peak >= 0 ? peak : usage == null ? 0 : usage[2] * 1024);
    b.outputTruncated(outputBudget != null && outputBudget.exceeded());
    Optional<Duration> cpuLimit = spec.limits().cpuTime();
    if (limitHit == LauncherProtocol.LIMIT_WALL) {
      b.reason(ExitReason.WALL_TIME_LIMIT);
    } else if (limitHit == LauncherProtocol.LIMIT_CPU || cpuLimit.isPresent() && cpu[0].plus(cpu[1]).compareTo(cpuLimit.get()) > 0) {
      b.reason(ExitReason.CPU_TIME_LIMIT);
    } else if (killedForOutput) {
      b.reason(ExitReason.OUTPUT_LIMIT);
    } else if (sig == Signals.SIGKILL && cgroup.map(Cgroup::oomKills).orElse(0L) > 0) {
      b.reason(ExitReason.OOM_KILLED);
    } else if (sig != 0 && sig < 64 && (callerSignals.get() & (1L << sig)) != 0) {
      b.reason(ExitReason.KILLED);
    }
    return b.build();
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
    sentByCaller(Signals.number(signal));
    send(Signals.number(signal));
  }

  /** A death by this signal is the caller's doing. */
  private void sentByCaller(int number) {
    callerSignals.getAndUpdate(bits -> bits | (1L << number));
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
      sentByCaller(Signals.number(Signal.KILL));
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
      sentByCaller(Signals.number(Signal.KILL)); // what the launcher kills with
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

  /** Reads the launcher's fixed-size messages (16 bytes; text messages carry their bytes after). */
  private final class StatusReader {
    boolean eof;
    String text = "";
    byte[] payload = new byte[0];

    /** The last message's payload as native-order 64-bit numbers. */
    long[] longs() {
      java.nio.LongBuffer b = java.nio.ByteBuffer.wrap(payload).order(java.nio.ByteOrder.nativeOrder()).asLongBuffer();
      long[] v = new long[b.remaining()];
      b.get(v);
      return v;
    }
    private final byte[] pending = new byte[4096];
    private int have;

    /** The next message, or null at end of file or (non-blocking) when none is complete yet. */
    int[] next(boolean blocking) throws IOException {
      while (true) {
        if (have >= 16) {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(pending, 0, have).order(java.nio.ByteOrder.nativeOrder());
          int[] msg = {b.getInt(), b.getInt(), b.getInt(), b.getInt()};
          int len = msg[0] == LauncherProtocol.MSG_TEXT || msg[0] == LauncherProtocol.MSG_USAGE ? msg[3] : 0;
          if (have >= 16 + len) {
            text = new String(pending, 16, len, StandardCharsets.UTF_8);
            payload = java.util.Arrays.copyOfRange(pending, 16, 16 + len);
            System.arraycopy(pending, 16 + len, pending, 0, have - 16 - len);
            have -= 16 + len;
            return msg;
          }
        }
        if (eof) {
          return null;
        }
        int fd = status.acquire();
        Memory buffer = Fd.transferBuffer();
        long n;
        try {
          n = LibC.read(fd, buffer, Math.min(buffer.size(), pending.length - have));
        } finally {
          status.release();
        }
        if (n < 0) {
          int e = Native.getLastError();
          if (e == Errno.EINTR) {
            continue;
          }
          if (e == Errno.EAGAIN && !blocking) {
            return null;
          }
          throw new IOException("read the launcher's status: " + Errno.describe(e));
        }
        if (n == 0) {
          eof = true;
          continue;
        }
        buffer.read(0, pending, have, (int) n);
        have += (int) n;
      }
    }
  }

  // ---- descriptors for the launcher ----

  /** [child side, our side or -1] for one standard stream. */
  private static int[] stdio(Stdio s, int number, List<Integer> childSide, List<Integer> ours) throws IOException {
    switch (s.kind()) {
      case PIPE: {
        int[] p = pipe(childSide, ours, number != 0);
        return number == 0 ? new int[] {p[0], p[1]} : new int[] {p[1], p[0]};
      }
      case INHERIT:
        return new int[] {number, -1};
      case DISCARD:
        return new int[] {open("/dev/null", LibC.O_RDWR, childSide), -1};
      case FILE:
        return new int[] {open(s.file().orElseThrow().toString(),
            number == 0 ? LibC.O_RDONLY : LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, childSide), -1};
      case APPEND:
        return new int[] {open(s.file().orElseThrow().toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, childSide), -1};
      default:
        throw new AssertionError(s.kind());
    }
  }

  /**
   * A pipe; which end is the child's: the write end when {@code childWrites}. Both ends are
   * close-on-exec and above the launcher's fixed descriptors.
   */
  private static int[] pipe(List<Integer> childSide, List<Integer> ours, boolean childWrites) throws IOException {
    int[] p = new int[2];
    if (LibC.pipe2(p, LibC.O_CLOEXEC) < 0) {
      throw Errno.last("pipe2");
    }
    p[0] = high(p[0]);
    p[1] = high(p[1]);
    childSide.add(childWrites ? p[1] : p[0]);
    ours.add(childWrites ? p[0] : p[1]);
    return p;
  }

  private static int open(String path, int flags, List<Integer> childSide) throws IOException {
    // O_NOCTTY: a terminal given as a stdio file must not become the JVM's controlling terminal
    int fd = LibC.open(path, flags | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0644);
    if (fd < 0) {
      throw Errno.last("open " + path);
    }
    fd = high(fd);
    childSide.add(fd);
    return fd;
  }

  private static int planMemfd(LaunchPlan plan, List<Integer> childSide) throws IOException {
    int fd = LibC.memfd_create("isola-plan", LibC.MFD_CLOEXEC);
    if (fd < 0) {
      throw Errno.last("memfd_create for the launch plan");
    }
    fd = high(fd);
    childSide.add(fd);
    try (Memory m = plan.copy()) { // freed at once, like every block of the C heap a start takes
      if (LibC.pwrite(fd, m, m.size(), 0) != m.size()) {
        throw Errno.last("write the launch plan");
      }
    }
    return fd;
  }

  /** Moves a descriptor above the launcher's fixed ones (only when the JVM's 0-2 were closed). */
  private static int high(int fd) throws IOException {
    if (fd > LauncherProtocol.FD_CONTROL) {
      return fd;
    }
    int moved = LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, LauncherProtocol.FD_CONTROL + 1);
    LibC.close(fd);
    if (moved < 0) {
      throw Errno.last("fcntl F_DUPFD_CLOEXEC");
    }
    return moved;
  }

  private static void closeAll(List<Integer> fds) {
    fds.forEach(LibC::close);
    fds.clear();
  }

  private static OutputStream closedOutput() {
    OutputStream out = OutputStream.nullOutputStream();
    try {
      out.close();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
