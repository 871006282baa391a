package dev.isola.oci.internal;

import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.ContainerStats;
import dev.isola.ExecSpec;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.IdMapping;
import dev.isola.Limits;
import dev.isola.Namespace;
import dev.isola.Signal;
import dev.isola.TerminalSize;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.rootfs.EtcFiles;
import dev.isola.linux.internal.cgroup.CgroupHost;
import dev.isola.linux.internal.cgroup.IoDevices;
import dev.isola.linux.internal.rootfs.EtcFiles;
import dev.isola.spi.RunningContainer;
import dev.isola.spi.RunningExec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * One container on an OCI runtime: a bundle in a private directory (config.json and, for an image,
 * its overlay as the root), a cgroup of Isola's own that carries the limits and is the verdict's
 * accounting (the runtime's cgroup is its child, {@code <ours>/ctr}, so that what it counted stays
 * after the runtime removes its own), and the runtime's foreground {@code run}, whose standard
 * streams are the container's. Wall-time and CPU-time limits are watched here.
 */
final class OciContainer implements RunningContainer {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final ContainerSpec spec;
  private final OciRuntime runtime;
  private final String id;
  private final Path bundle;
  private final Cgroup cgroup;
  private final @Nullable Path overlayRoot;
  private @Nullable Process process;
  private long pid;
  private long startNanos;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private volatile @Nullable ExitReason killReason;
  private volatile boolean closed;
  private volatile boolean callerSignaled;

  private OciContainer(ContainerSpec spec, OciRuntime runtime, String id, Path bundle, Cgroup cgroup, @Nullable Path overlayRoot) {
    this.spec = spec;
    this.runtime = runtime;
    this.id = id;
    this.bundle = bundle;
    this.cgroup = cgroup;
    this.overlayRoot = overlayRoot;
  }

  static OciContainer start(ContainerSpec spec, OciRuntime runtime) {
    String id = "isola-" + HexFormat.of().formatHex(bytes(6));
    IdMapping mapping = spec.namespaces().contains(Namespace.USER) ? spec.idMapping().resolved() : IdMapping.hostRoot();
    Path bundle;
    try {
      // 0711: the container's root (an unprivileged host id) must pass through to its root directory
      bundle = Files.createTempDirectory("isola-oci-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
    } catch (IOException e) {
      throw new ContainerStartException("create the bundle directory", e.toString(), -1);
    }
    Cgroup cgroup = null;
    Path overlayRoot = null;
    try {
      // gVisor's sandbox runs in the cgroup, its threads counted with the container's processes
      Limits limits = runtime == OciRuntime.GVISOR ? spec.limits().toBuilder().unlimitedPids().build() : spec.limits();
      cgroup = Cgroup.create(CgroupHost.detect(), limits, 0, limits.hasIoLimits() ? IoDevices.of(spec) : List.of()).orElseThrow(() -> new UnsupportedFeatureException(
          "the runtime \"" + runtime.runtimeName + "\"", "this host has no cgroup controller Isola can use"));
      Path root;
      if (spec.rootfs().isPresent()) {
        root = spec.rootfs().get();
      } else if (spec.overlay().isPresent()) {
        overlayRoot = Overlays.mount(spec.overlay().get(), bundle, BundleConfig.hostRoot(mapping));
        root = overlayRoot;
      } else {
        // the host view: an empty root of the container's root, where the runtime makes the mount points
        root = Files.createDirectory(bundle.resolve("rootfs"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwxr-xr-x")));
        long[] owner = BundleConfig.hostRoot(mapping);
        Files.setAttribute(root, "unix:uid", (int) owner[0]);
        Files.setAttribute(root, "unix:gid", (int) owner[1]);
      }
      String name = cgroup.procsFiles().get(0).getParent().getFileName().toString();
      // Isola's /etc files, bound over the root's as the linux runtime binds them
      Path etc = Files.createDirectory(bundle.resolve("etc-files"));
      Map<String, String> etcFiles = EtcFiles.of(spec, Path.of("/"));
      for (Map.Entry<String, String> f : etcFiles.entrySet()) {
        Files.writeString(etc.resolve(f.getKey().substring("/etc/".length())), f.getValue());
      }
      Files.writeString(bundle.resolve("config.json"),
          BundleConfig.of(spec, root, name + "/ctr", mapping, etc, etcFiles.keySet()).toString());
      OciContainer c = new OciContainer(spec, runtime, id, bundle, cgroup, overlayRoot);
      c.run();
      return c;
    } catch (IOException e) {
      cleanUp(runtime, id, cgroup, overlayRoot, bundle);
      throw new ContainerStartException("prepare the bundle " + bundle, e.toString(), -1);
    } catch (RuntimeException | Error e) {
      cleanUp(runtime, id, cgroup, overlayRoot, bundle);
      throw e;
    }
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Starts the runtime's {@code run}; returns once the container's process exists. */
  private void run() throws IOException {
    List<String> command = new ArrayList<>(runtime.global(spec.network()));
    command.addAll(List.of("--log", bundle.resolve("runtime.log").toString()));
    Path pidFile = bundle.resolve("pid");
    command.addAll(List.of("run", "--bundle", bundle.toString(), "--pid-file", pidFile.toString(), id));
    ProcessBuilder pb = new ProcessBuilder(command).directory(bundle.toFile());
    Redirects.apply(pb, spec);
    Files.createDirectories(OciRuntime.STATE);
    long t0 = System.nanoTime();
    Process p = pb.start();
    process = p;
    long deadline = t0 + START_TIMEOUT.toNanos();
    // the runtime creates the file before it writes the pid (runsc, on a loaded machine, ms later)
    String text;
    while ((text = Files.exists(pidFile) ? Files.readString(pidFile).trim() : "").isEmpty()) {
      boolean alive = p.isAlive();
      if (!alive || System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new ContainerStartException("start the container with " + runtime.binary, alive
            ? "it gave no pid in " + pidFile + " within " + START_TIMEOUT.toSeconds() + " s" : runtimeError(), -1);
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new ContainerStartException("start the container with " + runtime.binary, "interrupted", -1);
      }
    }
    pid = Long.parseLong(text);
    if (runtime == OciRuntime.GVISOR) {
      joinUnified();
    }
    startNanos = System.nanoTime();
    Watchdog.watch(this, spec.limits());
    p.onExit().thenRun(this::ended);
  }

  /**
   * Moves gVisor's sandbox into Isola's cgroup of the v2 tree, where a hybrid host's CPU time and
   * freezer are: runsc joins only the v1 hierarchies. Its boot before this moment is not counted,
   * the container's command is (it had not started).
   */
  private void joinUnified() throws IOException {
    Path unified = cgroup.unifiedDir().orElse(null);
    if (unified == null) {
      return;
    }
    for (Path procs : cgroup.procsFiles()) {
      Path runtimeProcs = procs.resolveSibling("ctr").resolve("cgroup.procs");
      if (!procs.startsWith(unified) && Files.exists(runtimeProcs)) {
        for (String p : Files.readAllLines(runtimeProcs)) {
          if (!p.isBlank()) {
            moveToUnified(unified, p.trim());
          }
        }
        return;
      }
    }
  }

  /** One of the sandbox's processes into the v2 cgroup; one that has ended since it was listed stays out. */
  private static void moveToUnified(Path unified, String pid) throws IOException {
    try {
      Files.writeString(unified.resolve("cgroup.procs"), pid);
    } catch (IOException e) {
      if (Files.exists(Path.of("/proc", pid))) {
        throw e;
      }
    }
  }

  /** What the runtime logged as its error, for a start that failed. */
  private String runtimeError() {
    try {
      String log = Files.readString(bundle.resolve("runtime.log")).strip();
      return log.isEmpty() ? runtime.binary + " exited without saying why" : log.lines().reduce((a, b) -> b).orElse(log);
    } catch (IOException e) {
      return runtime.binary + " exited, and its log is unreadable: " + e;
    }
  }

  /** The verdict, from the runtime's exit code and the cgroup that counted every process. */
  private void ended() {
    Process p = process;
    int code = p == null ? 255 : p.exitValue();
    Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
    ExitStatus.Builder b = RuntimeExitCodes.of(code).wallTime(wall);
    cgroup.cpuTime().ifPresent(t -> b.cpuTime(t[0], t[1]));
    b.peakMemoryBytes(cgroup.peakMemoryBytes());
    long ooms = cgroup.oomKills();
    if (ooms == 0 && code == 128 + 9 && killReason == null && memoryLimitReached()) {
      ooms = 1; // inferred on cgroup v1: see memoryLimitReached
    }
    b.oomKills(ooms);
    ExitReason reason = killReason;
    if (reason != null) {
      b.reason(reason);
    } else if (callerSignaled && code > 128) {
      b.reason(ExitReason.KILLED);
    } else if (ooms > 0 && code == 128 + 9) {
      b.reason(ExitReason.OOM_KILLED);
    }
    ExitStatus status = b.build();
    cleanUp(runtime, id, cgroup, overlayRoot, bundle);
    exit.complete(status);
  }

  /**
   * Whether the memory limit was reached: then a SIGKILL that Isola did not send is the kernel's
   * OOM kill. On cgroup v1 the kernel counts OOM kills in the memory cgroup of the process it
   * killed, the runtime's own, which the runtime removes as the container ends; what stays in
   * Isola's parent cgroup is the peak, which is the limit when the kernel had to kill.
   */
  private boolean memoryLimitReached() {
    return spec.limits().memory().isPresent() && cgroup.peakMemoryBytes() >= spec.limits().memory().getAsLong() - (1L << 20);
  }

  /** Ends the container for {@code reason}: a limit, or the caller. */
  void killFor(ExitReason reason) {
    if (killReason == null) {
      killReason = reason;
    }
    runtimeCommand("kill", "--all", id, "KILL");
  }

  Cgroup cgroup() {
    return cgroup;
  }

  boolean hasEnded() {
    return exit.isDone();
  }

  /** Runs a short command of the runtime; its failure, once the container has ended, is fine. */
  String runtimeCommand(String... args) {
    List<String> command = new ArrayList<>(runtime.global(spec.network()));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new ContainerException(runtime.binary + " " + String.join(" ", args) + " did not end in 30 s");
      }
      if (p.exitValue() != 0 && !exit.isDone()) {
        throw new ContainerException(runtime.binary + " " + String.join(" ", args) + " failed: " + out.strip());
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + runtime.binary, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerException("interrupted while running " + runtime.binary + " " + args[0]);
    }
  }

  private static void cleanUp(OciRuntime runtime, String id, @Nullable Cgroup cgroup, @Nullable Path overlayRoot, Path bundle) {
    try {
      List<String> delete = new ArrayList<>(runtime.global(dev.isola.Network.none()));
      delete.addAll(List.of("delete", "--force", id));
      Process p = new ProcessBuilder(delete).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      // the runtime is gone: nothing of it to delete
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cgroup != null) {
      cgroup.killAll();
      RuntimeCgroups.removeLeftovers(cgroup);
      cgroup.remove();
    }
    if (overlayRoot != null) {
      Overlays.unmount(overlayRoot);
    }
    try (Stream<Path> files = Files.walk(bundle)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      System.getLogger("dev.isola.oci").log(System.Logger.Level.WARNING, "could not remove the bundle " + bundle + ": " + e);
    }
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public OutputStream stdin() {
    return process.getOutputStream();
  }

  @Override
  public InputStream stdout() {
    return process.getInputStream();
  }

  @Override
  public InputStream stderr() {
    return process.getErrorStream();
  }

  @Override
  public CompletableFuture<ExitStatus> exit() {
    return exit;
  }

  @Override
  public void kill(Signal signal) {
    if (!exit.isDone()) {
      callerSignaled = true;
      runtimeCommand("kill", id, signal.name());
    }
  }

  @Override
  public void killAll() {
    if (!exit.isDone()) {
      killFor(ExitReason.KILLED);
    }
  }

  @Override
  public ContainerStats stats() {
    return cgroup.stats();
  }

  /** Frozen by Isola's cgroup, the parent of the runtime's: gVisor's sandbox and its gofer with it. */
  @Override
  public void pause() {
    cgroup.freeze(true);
  }

  @Override
  public void resume() {
    cgroup.freeze(false);
  }

  @Override
  public void copyIn(FileCopy copy) {
    CopyByExec.in(this, copy);
  }

  @Override
  public void copyOut(String source, Path hostTarget, long maxBytes) {
    CopyByExec.out(this, source, hostTarget, maxBytes);
  }

  @Override
  public int filesystemRulesLevel() {
    return 0;
  }

  @Override
  public RunningExec exec(ExecSpec exec) {
    if (exec.tty().isPresent()) {
      throw new UnsupportedFeatureException("an exec with a terminal on the runtime \"" + runtime.runtimeName + "\"",
          "not supported yet; use the linux runtime");
    }
    if (exit.isDone()) {
      throw new ContainerException("the container has ended: nothing to exec into");
    }
    return OciExec.start(this, exec);
  }

  /** The runtime's global flags and an {@code exec} for this container. */
  List<String> execCommand() {
    List<String> command = new ArrayList<>(runtime.global(spec.network()));
    command.add("exec");
    return command;
  }

  String id() {
    return id;
  }

  ContainerSpec spec() {
    return spec;
  }

  @Override
  public void resizeTty(TerminalSize size) {
    throw new UnsupportedFeatureException("a terminal on the runtime \"" + runtime.runtimeName + "\"", "containers start without one");
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (!exit.isDone()) {
      try {
        killFor(ExitReason.KILLED);
      } catch (ContainerException e) {
        process.destroyForcibly();
      }
    }
    exit.join();
  }
}
