package dev.isola;

import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;

/**
 * A running (or ended) container. Start one with {@code Container.builder()….start()}, read its
 * output, wait for it, and close it: {@link #close()} kills whatever still runs in it and
 * releases everything it held.
 *
 * <pre>{@code
 * try (Container c = Container.builder().rootfs(rootfs).command("sh", "-c", "echo hi").start()) {
 *   ExitStatus status = c.waitFor();
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class Container implements AutoCloseable {
  private final ContainerSpec spec;
  private final RunningContainer running;

  private Container(ContainerSpec spec, RunningContainer running) {
    this.spec = spec;
    this.running = running;
  }

  public static ContainerSpec.Builder builder() {
    return new ContainerSpec.Builder();
  }

  /**
   * Starts a container and returns once its command runs.
   *
   * @throws ContainerStartException if a setup step failed (the message names it)
   * @throws UnsupportedFeatureException if the host or runtime cannot do what the spec asks
   */
  public static Container start(ContainerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ContainerRuntimeProvider provider = Runtime.forSpec(spec);
    Optional<String> unsupported = provider.supports(spec);
    if (unsupported.isPresent()) {
      throw new UnsupportedFeatureException(unsupported.get(), "the runtime \"" + provider.name() + "\" cannot enforce it;"
          + " choose another with runtime(name), or drop it from the spec");
    }
    return new Container(spec, provider.start(spec));
  }

  /**
   * What this host will enforce, and why not: the default runtime's checks (namespaces, cgroup
   * controllers, seccomp, Landlock, id mapping, the user-mode network…), each other runtime's
   * availability, and whether a container of the default spec starts and exits here (one is run to
   * find out). {@code isola doctor} prints it.
   */
  public static HostReport doctor() {
    List<HostReport.Check> checks = new ArrayList<>(Runtime.PROVIDER.doctor());
    for (ContainerRuntimeProvider p : Runtime.ALL) {
      if (p != Runtime.PROVIDER) {
        checks.addAll(p.doctor());
      }
    }
    boolean runs;
    String detail;
    try (Container c = builder().command("true").stdin(Stdio.discard()).stdout(Stdio.discard()).stderr(Stdio.discard()).start()) {
      ExitStatus s = c.waitFor();
      runs = s.isSuccess();
      detail = runs ? "started and exited in " + s.wallTime().toMillis() + " ms" : "ended " + s;
    } catch (ContainerException e) {
      runs = false;
      detail = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      runs = false;
      detail = "interrupted";
    }
    checks.add(new HostReport.Check("a default container", runs ? HostReport.Status.AVAILABLE : HostReport.Status.UNAVAILABLE,
        detail));
    return new HostReport(checks, runs);
  }

  /** The container runtimes on the class path, in the order they are found, with their availability here. */
  public static List<RuntimeInfo> runtimes() {
    List<RuntimeInfo> found = new ArrayList<>();
    for (ContainerRuntimeProvider p : Runtime.ALL) {
      found.add(new RuntimeInfo(p.name(), p.unavailableReason()));
    }
    return found;
  }

  public ContainerSpec spec() {
    return spec;
  }

  /** The host's process id of the container's first process (its pid 1). */
  public long pid() {
    return running.pid();
  }

  /** The command's standard input when it is a {@link Stdio#pipe()}; else a closed stream. */
  public OutputStream stdin() {
    return running.stdin();
  }

  /** The command's standard output when it is a {@link Stdio#pipe()}; else an empty stream. */
  public InputStream stdout() {
    return running.stdout();
  }

  /** The command's standard error when it is a {@link Stdio#pipe()}; else an empty stream. */
  public InputStream stderr() {
    return running.stderr();
  }

  /** Waits for the container to end. */
  public ExitStatus waitFor() throws InterruptedException {
    return Waiting.waitFor(running.exit(), "container");
  }

  /** Waits at most {@code timeout} for the container to end; empty if it still runs. */
  public Optional<ExitStatus> waitFor(Duration timeout) throws InterruptedException {
    return Waiting.waitFor(running.exit(), timeout, "container");
  }

  /** Completes when the container has ended; completing the returned future changes nothing. */
  public CompletableFuture<ExitStatus> onExit() {
    return running.exit().copy();
  }

  public boolean isAlive() {
    return !running.exit().isDone();
  }

  /**
   * Sends {@code signal} to the container's command (through its init, when it has one). Does
   * nothing once the container has ended.
   */
  public void kill(Signal signal) {
    running.kill(Objects.requireNonNull(signal, "signal"));
  }

  /**
   * Sets the size of the container's terminal ({@code tty(columns, rows)} in its spec): the kernel sends
   * {@code SIGWINCH} to its foreground process group.
   *
   * @throws IllegalStateException if it has no terminal, or has ended
   * @throws IllegalArgumentException if a size is not within 1..65535
   */
  public void resizeTty(int columns, int rows) {
    running.resizeTty(TerminalSize.forResize(columns, rows, spec.tty().isPresent(), isAlive(), "container"));
  }

  /**
   * The host port that leads to the container's TCP port {@code containerPort}, published with
   * {@link Network#publish}: the one given, or the free one chosen at start.
   *
   * @throws IllegalArgumentException if that port is not published
   */
  public int publishedPort(int containerPort) {
    return published(containerPort).hostPort();
  }

  /** The host address and port that lead to the container's TCP port {@code containerPort}; see {@link #publishedPort}. */
  public InetSocketAddress publishedAddress(int containerPort) {
    Network.Port p = published(containerPort);
    return new InetSocketAddress(p.hostAddress(), p.hostPort());
  }

  private Network.Port published(int containerPort) {
    for (Network.Port p : running.publishedPorts()) {
      if (p.protocol() == Network.Protocol.TCP && p.containerPort() == containerPort) {
        return p;
      }
    }
    throw new IllegalArgumentException("TCP port " + containerPort + " of the container is not published (" + spec.network() + ")");
  }

  /**
   * Runs {@code command} in the running container, like {@code docker exec}; see {@link
   * #exec(ExecSpec)}.
   */
  public ExecProcess exec(String... command) {
    return exec(ExecSpec.of(command));
  }

  /**
   * Runs a process in the running container: it joins every namespace and the cgroup of the
   * container (so the container's limits cover it; its cgroup namespace is its own, rooted at the
   * container's cgroup, so it sees the same) and runs as confined as the container's
   * command: the same user, capabilities, no_new_privs, filesystem rules, seccomp filter and
   * rlimits, unless {@code spec} sets the user. Its orphans are the container's init's. It has
   * pipes of its own and an {@link ExitStatus} of its own, whose usage figures are the process's
   * ({@link ExitStatus.Accounting#RUSAGE}); the container's cover it too.
   *
   * @throws ContainerException if the container has ended, is closed or is paused (the message
   *     says which)
   * @throws UnsupportedFeatureException if the container shares the host's pid namespace, or the
   *     runtime cannot run a process in a container
   */
  public ExecProcess exec(ExecSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new ExecProcess(spec, running.exec(spec));
  }

  /** Kills every process of the container at once ({@code SIGKILL}); does nothing once it has ended. */
  public void killAll() {
    running.killAll();
  }

  /**
   * What the container uses now: CPU time, memory, processes.
   *
   * @throws UnsupportedFeatureException where the container has no cgroup (an ordinary user
   *     without a delegated cgroup subtree)
   */
  public ContainerStats stats() {
    return running.stats();
  }

  /**
   * Freezes every process of the container (cgroup freezer): they stop running and their time
   * limits' CPU clock stops with them; the wall clock does not.
   *
   * @throws UnsupportedFeatureException where the container has no cgroup
   */
  public void pause() {
    running.pause();
  }

  /** Thaws what {@link #pause()} froze. */
  public void resume() {
    running.resume();
  }

  /**
   * Copies a host file or directory, or bytes, into the running container, owned by its root.
   * The target's parent directories are resolved inside the container's root (its symbolic links
   * cannot lead out of it) and created when missing; an existing file at the target is replaced,
   * a symbolic link there is refused.
   *
   * @throws ContainerException if the container has ended or the copy fails (the message names
   *     the path)
   */
  public void copyIn(FileCopy copy) {
    running.copyIn(Objects.requireNonNull(copy, "copy"));
  }

  /**
   * Copies {@code source}, a file or directory, to {@code hostTarget}, which must not exist yet.
   * While the container runs, {@code source} is what the container sees at that path: its tmpfs
   * mounts ({@code /tmp}) and binds included, walked within its root (a link it made cannot lead
   * the copy out). After it ended, until {@link #close()}, what stays is its root file system: a
   * rootfs directory, or an overlay's upper layer over its lower ones (its tmpfs mounts are gone).
   * Symbolic links are copied as links, never followed; files keep their permission bits but not
   * setuid or setgid, and belong to the caller; a pipe, socket or device is refused without being
   * opened.
   *
   * @throws UnsupportedFeatureException after the end, if the root was the host view, which keeps nothing
   * @throws ContainerException if the source is missing or the copy fails (the message names it)
   */
  public void copyOut(String source, Path hostTarget) {
    copyOut(source, hostTarget, Long.MAX_VALUE);
  }

  /**
   * Like {@link #copyOut(String, Path)}, but fails once the copy would hold more than {@code
   * maxBytes} bytes of file content (a sandbox's 100 GB sparse file), removing what it wrote.
   */
  public void copyOut(String source, Path hostTarget, long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    running.copyOut(ContainerPaths.requireAbsolute("copy source", source), Objects.requireNonNull(hostTarget, "hostTarget"), maxBytes);
  }

  /**
   * The level at which the spec's {@link ContainerSpec#filesystemRules() filesystem rules} are
   * enforced: on Linux the kernel's Landlock ABI version (higher levels restrict more kinds of
   * access). 0 when none are: the spec has none, or they are best-effort and the kernel cannot
   * enforce them.
   */
  public int filesystemRulesLevel() {
    return running.filesystemRulesLevel();
  }

  /** Kills whatever still runs in the container, waits for its end, and releases everything. */
  @Override
  public void close() {
    running.close();
  }

  @Override
  public String toString() {
    return "Container{pid=" + pid() + ", " + (isAlive() ? "running" : "ended") + ", " + spec.command() + "}";
  }

  static ContainerRuntimeProvider runtime() {
    return Runtime.PROVIDER;
  }

  /** The runtimes, found once. */
  private static final class Runtime {
    static final List<ContainerRuntimeProvider> ALL = load();
    static final ContainerRuntimeProvider PROVIDER = firstAvailable();

    private static List<ContainerRuntimeProvider> load() {
      List<ContainerRuntimeProvider> all = new ArrayList<>();
      ServiceLoader.load(ContainerRuntimeProvider.class, Container.class.getClassLoader()).forEach(all::add);
      return List.copyOf(all);
    }

    private static ContainerRuntimeProvider firstAvailable() {
      List<String> reasons = new ArrayList<>();
      for (ContainerRuntimeProvider provider : ALL) {
        if (!provider.selectedByDefault()) {
          continue;
        }
        Optional<String> reason = provider.unavailableReason();
        if (reason.isEmpty()) {
          return provider;
        }
        reasons.add(provider.name() + ": " + reason.get());
      }
      String why = reasons.isEmpty()
          ? "no container runtime on the class path; add the artifact dev.isola:container-linux (runs on Linux)"
          : String.join("; ", reasons);
      return new Unavailable(why);
    }

    /** The runtime {@code spec} names, or the first available one. */
    static ContainerRuntimeProvider forSpec(ContainerSpec spec) {
      if (spec.runtime().isEmpty()) {
        return PROVIDER;
      }
      String name = spec.runtime().get();
      for (ContainerRuntimeProvider p : ALL) {
        if (p.name().equals(name)) {
          Optional<String> reason = p.unavailableReason();
          if (reason.isPresent()) {
            throw new UnsupportedFeatureException("the runtime \"" + name + "\"", reason.get());
          }
          return p;
        }
      }
      throw new UnsupportedFeatureException("the runtime \"" + name + "\"", "no runtime of that name is on the class path"
          + (ALL.isEmpty() ? "" : "; found: " + String.join(", ", ALL.stream().map(ContainerRuntimeProvider::name).toList())));
    }
  }

  /** Stands in when no runtime is usable, so that every start names the reason. */
  private static final class Unavailable implements ContainerRuntimeProvider {
    private final String reason;

    Unavailable(String reason) {
      this.reason = reason;
    }

    @Override
    public String name() {
      return "none";
    }

    @Override
    public Optional<String> unavailableReason() {
      return Optional.of(reason);
    }

    @Override
    public RunningContainer start(ContainerSpec spec) {
      throw new UnsupportedFeatureException("starting a container", reason);
    }

    @Override
    public IdMapping resolve(IdMapping mapping) {
      throw new UnsupportedFeatureException("resolving an id mapping", reason);
    }
  }
}
