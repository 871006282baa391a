package dev.isola.linux.internal.plan;

import dev.isola.ContainerSpec;
import dev.isola.ExecSpec;
import dev.isola.TerminalSize;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.rootfs.RootLayers;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * Compiles a {@link ContainerSpec} into the {@link LaunchPlan} the launcher runs, after checking
 * what only the host can tell ({@link SpecChecks}). The plan is built in phases, each in the
 * order the launcher takes it: the clone and its namespaces ({@link NamespacePhase}), its root
 * ({@link RootPhase}), what confines its process ({@link HardeningPhase}), and the command
 * ({@link ExecPhase}).
 */
public final class PlanCompiler {
  /** What every container's /proc hides, and what it holds read-only (for the tests that look from inside). */
  public static final List<String> MASKED = RootPhase.MASKED;
  public static final List<String> READ_ONLY = RootPhase.READ_ONLY;

  private final Host host;
  private final Path hostRoot;
  private IntSupplier landlockProbe = Landlock::probe;

  public PlanCompiler(Host host) {
    this(host, Path.of("/"));
  }

  /** {@code hostRoot} lets tests compile against a fake host tree. */
  PlanCompiler(Host host, Path hostRoot) {
    this.host = host;
    this.hostRoot = hostRoot;
  }

  /** Lets tests stand in for the kernel's answer to the Landlock probe ({@link Landlock#probe()}). */
  public PlanCompiler withLandlockProbe(IntSupplier probe) {
    this.landlockProbe = probe;
    return this;
  }

  /** Checks {@code spec} against the host, then compiles it for a container without a cgroup. */
  public LaunchPlan compile(ContainerSpec spec) {
    check(spec);
    return compile(spec, Optional.empty(), Optional.empty());
  }

  /** Throws naming what in {@code spec} this host or user cannot do; creates nothing. */
  public void check(ContainerSpec spec) {
    new SpecChecks(host, hostRoot, landlockProbe).check(spec);
  }

  /**
   * The plan for a {@link #check checked} {@code spec}, whose container joins {@code cgroup}
   * (already made and filled) and whose overlay root is made of {@code layers}.
   */
  public LaunchPlan compile(ContainerSpec spec, Optional<Cgroup> cgroup, Optional<RootLayers> layers) {
    if (layers.isPresent() != RootLayers.needed(spec)) {
      throw new IllegalStateException("the root layers of " + spec + " are " + layers);
    }
    Optional<IdMaps> maps = IdMaps.of(spec, host);
    NamespacePhase namespaces = new NamespacePhase(host);
    LaunchPlan.Builder plan = new LaunchPlan.Builder();
    namespaces.create(plan, spec, maps, cgroup);
    layers.ifPresent(l -> RootPhase.openLayers(plan, l));
    namespaces.enter(plan, spec, maps);
    new RootPhase(hostRoot).build(plan, spec, layers);
    namespaces.configure(plan, spec);
    HardeningPhase.add(plan, spec, spec.tty(), maps, landlockAbi(spec));
    ExecPhase.add(plan, spec, spec.tty(), hostRoot);
    return plan.build();
  }

  /**
   * The spec an exec runs under in the container of {@code spec}: the container's confinement,
   * with the exec's command, environment, working directory and user, and no init of its own
   * (the container's reaps its orphans).
   */
  public ContainerSpec execSpec(ContainerSpec spec, ExecSpec exec) {
    ContainerSpec.Builder b = spec.toBuilder().command(exec.command()).init(false);
    exec.env().forEach(b::env);
    exec.workingDirectory().ifPresent(b::workingDirectory);
    if (exec.uid().isPresent()) {
      b.user(exec.uid().getAsLong(), exec.gid().getAsLong());
    }
    return b.build();
  }

  /**
   * The plan of an exec under {@code execSpec} (see {@link #execSpec}) in the running container
   * of {@code spec}, whose first process is {@code pid} (the host's) and whose cgroup is {@code cgroup}.
   */
  public LaunchPlan compileExec(ContainerSpec spec, ContainerSpec execSpec, Optional<TerminalSize> tty, long pid,
      Optional<Cgroup> cgroup) {
    Optional<IdMaps> maps = IdMaps.of(spec, host);
    LaunchPlan.Builder plan = new LaunchPlan.Builder();
    new NamespacePhase(host).join(plan, spec, maps, cgroup, pid);
    HardeningPhase.add(plan, execSpec, tty, maps, landlockAbi(execSpec));
    ExecPhase.add(plan, execSpec, tty, hostRoot);
    return plan.build();
  }

  /** The Landlock ABI the rules are enforced with: 0 for none, or where best-effort rules meet a kernel without it. */
  private int landlockAbi(ContainerSpec spec) {
    return spec.filesystemRules().map(rules -> Landlock.abiFor(rules, landlockProbe.getAsInt())).orElse(0);
  }
}
