package dev.isola.linux;

import com.sun.jna.Platform;
import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.Namespace;
import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.util.Optional;

/**
 * The Linux runtime, found by {@link java.util.ServiceLoader}. Public only for that; everything
 * else in this module is package-private.
 */
public final class LinuxRuntimeProvider implements ContainerRuntimeProvider {
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
  public RunningContainer start(ContainerSpec spec) {
    Host host = Host.current();
    PlanCompiler compiler = new PlanCompiler(host);
    compiler.check(spec); // bad input is named before anything is made on the host
    Optional<Cgroup> cgroup = Cgroup.create(Cgroups.HOST, spec.limits(), host.euid);
    Optional<RootLayers> layers = Optional.empty();
    try {
      if (RootLayers.needed(spec)) {
        IdMaps maps = maps(spec, host);
        // an ordinary user whose container maps more ids than his own could not delete what they write
        boolean manyIdsRootless = !host.isRoot() && maps != null && maps.viaHelpers;
        layers = Optional.of(RootLayers.prepare(spec, rootIds(maps, host), manyIdsRootless));
      }
      LaunchPlan plan = compiler.compile(spec, cgroup, layers);
      return LinuxContainer.start(spec, plan, cgroup, layers, Runtime.LAUNCHER, Runtime.SUPERVISOR);
    } catch (RuntimeException e) {
      layers.ifPresent(RootLayers::remove);
      cgroup.ifPresent(Cgroup::remove);
      throw e;
    }
  }

  /** The host uid and gid of the container's root: who owns what Isola makes for its root. */
  static long[] rootIds(ContainerSpec spec, Host host) {
    return rootIds(maps(spec, host), host);
  }

  private static long[] rootIds(IdMaps maps, Host host) {
    return maps == null ? new long[] {host.euid, host.egid} : new long[] {hostId(maps.uids), hostId(maps.gids)};
  }

  /** The container's id maps; null when it keeps the host's user namespace. */
  private static IdMaps maps(ContainerSpec spec, Host host) {
    return spec.namespaces().contains(Namespace.USER) ? IdMaps.resolve(spec.idMapping(), host) : null;
  }

  private static long hostId(java.util.List<IdMapping.Range> ranges) {
    return ranges.stream().filter(r -> r.containerId() == 0).findFirst().orElseThrow().hostId();
  }

  @Override
  public IdMapping resolve(IdMapping mapping) {
    IdMaps maps = IdMaps.resolve(mapping, Host.current());
    return IdMapping.of(maps.uids, maps.gids);
  }
}
