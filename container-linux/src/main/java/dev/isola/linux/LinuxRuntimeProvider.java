package dev.isola.linux;

import com.sun.jna.Platform;
import dev.isola.ContainerSpec;
import dev.isola.HostReport;
import dev.isola.IdMapping;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.cgroup.IoDevices;
import dev.isola.linux.internal.cgroup.CgroupHost;
import dev.isola.linux.internal.container.ExecPlans;
import dev.isola.linux.internal.container.LinuxContainer;
import dev.isola.linux.internal.doctor.LinuxDoctor;
import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.plan.Host;
import dev.isola.linux.internal.plan.IdMaps;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.plan.PlanCompiler;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.sys.Supervisor;
import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.util.List;
import java.util.Optional;

/**
 * The Linux runtime, found by {@link java.util.ServiceLoader}. Public only for that; everything
 * else in this module is package-private.
 */
public final class LinuxRuntimeProvider implements ContainerRuntimeProvider {
  /** At DEBUG, a line per start with each phase's time; at WARNING, what is degraded. */
  private static final System.Logger LOG = System.getLogger("dev.isola.linux");

  /** Loaded on first start, not when the service is listed. */
  private static final class Runtime {
    static final Supervisor SUPERVISOR = new Supervisor();
    static final Launcher LAUNCHER = Launcher.load(!Boolean.getBoolean("isola.launcher.noMemfd"), SUPERVISOR);
  }

  /** The host's cgroups, looked at once; stale cgroups of dead JVMs are swept then. */
  private static final class Cgroups {
    static final CgroupHost HOST = sweep(CgroupHost.detect());

    private static CgroupHost sweep(CgroupHost host) {
      Cgroup.sweepStale(host);
      RootLayers.sweepStale();
      return host;
    }
  }

  public LinuxRuntimeProvider() {}

  /** {@code linux}: Isola's own engine. */
  @Override
  public String name() {
    return "linux";
  }

  @Override
  public Optional<String> unavailableReason() {
    if (!Platform.isLinux()) {
      return Optional.of("the container-linux runtime needs Linux; this is " + System.getProperty("os.name"));
    }
    if (!Platform.is64Bit()) {
      return Optional.of("the container-linux runtime needs a 64-bit JVM");
    }
    return Optional.empty();
  }

  @Override
  public List<HostReport.Check> doctor() {
    return LinuxDoctor.checks();
  }

  @Override
  public Optional<String> supports(ContainerSpec spec) {
    if (spec.image().isPresent() && spec.image().get().layers().isEmpty()) {
      return Optional.of("an image known only by its reference (" + spec.image().get().reference().orElse("?")
          + "; this engine runs local layers: fetch them with Image.pull(reference))");
    }
    return Optional.empty();
  }

  @Override
  public RunningContainer start(ContainerSpec spec) {
    long t0 = System.nanoTime();
    Host host = Host.current();
    PlanCompiler compiler = new PlanCompiler(host);
    compiler.check(spec); // bad input is named before anything is made on the host
    long checked = System.nanoTime();
    Optional<Cgroup> cgroup = Cgroup.create(Cgroups.HOST, spec.limits(), host.euid,
        spec.limits().hasIoLimits() ? IoDevices.of(spec) : List.of());
    long grouped = System.nanoTime();
    Optional<RootLayers> layers = Optional.empty();
    try {
      Optional<IdMaps> maps = IdMaps.of(spec, host);
      long[] rootIds = IdMaps.rootIds(maps, host);
      if (RootLayers.needed(spec)) {
        // an ordinary user whose container maps more ids than his own could not delete what they write
        boolean manyIdsRootless = !host.isRoot() && maps.map(IdMaps::viaHelpers).orElse(false);
        layers = Optional.of(RootLayers.prepare(spec, rootIds, manyIdsRootless));
      }
      long rooted = System.nanoTime();
      LaunchPlan plan = compiler.compile(spec, cgroup, layers);
      long compiled = System.nanoTime();
      Launcher launcher = Runtime.LAUNCHER; // its first use spawns the launch server
      long ready = System.nanoTime();
      Optional<Cgroup> joined = cgroup;
      ExecPlans execPlans = (exec, pid) -> {
        ContainerSpec execSpec = compiler.execSpec(spec, exec);
        return new ExecPlans.Compiled(execSpec, compiler.compileExec(spec, execSpec, exec.tty(), pid, joined), exec.tty());
      };
      LinuxContainer c = LinuxContainer.start(spec, plan, cgroup, layers, rootIds, execPlans, launcher, Runtime.SUPERVISOR);
      long started = System.nanoTime();
      LOG.log(System.Logger.Level.DEBUG, () -> String.format(java.util.Locale.ROOT, "started container pid %d on linux in %.2f ms:"
          + " check %.2f, cgroup %.2f, root layers %.2f, plan %.2f, launch server %.2f, launch until running %.2f",
          c.pid(), ms(started - t0), ms(checked - t0), ms(grouped - checked), ms(rooted - grouped), ms(compiled - rooted),
          ms(ready - compiled), ms(started - ready)));
      return c;
    } catch (RuntimeException e) {
      layers.ifPresent(RootLayers::remove);
      cgroup.ifPresent(Cgroup::remove);
      throw e;
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  @Override
  public IdMapping resolve(IdMapping mapping) {
    IdMaps maps = IdMaps.resolve(mapping, Host.current());
    return IdMapping.of(maps.uids(), maps.gids());
  }
}
