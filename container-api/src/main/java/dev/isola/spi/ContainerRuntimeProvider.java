package dev.isola.spi;

import dev.isola.ContainerSpec;
import dev.isola.HostReport;
import dev.isola.IdMapping;
import java.util.List;
import java.util.Optional;

/**
 * A container runtime, found with {@link java.util.ServiceLoader}. A spec names the one it runs
 * on ({@link dev.isola.ContainerSpec.Builder#runtime(String)}); without a name, the first provider
 * found that is {@linkplain #selectedByDefault() chosen by default} and available on this host
 * starts it.
 */
public interface ContainerRuntimeProvider {
  /** The name a spec picks this runtime by: {@code linux} for Isola's own engine. */
  String name();

  /**
   * Empty when this runtime can honour every part of {@code spec}; otherwise what it cannot,
   * which {@code start} then refuses before anything is made. Checked at each start.
   */
  default Optional<String> supports(ContainerSpec spec) {
    return Optional.empty();
  }

  /**
   * Whether a spec that names no runtime may run here. A runtime that sends containers elsewhere (a
   * cluster) says no: adding its artifact must not move every unnamed spec off this machine.
   */
  default boolean selectedByDefault() {
    return true;
  }

  /** Empty when this runtime can start containers here; otherwise the reason it cannot. */
  Optional<String> unavailableReason();

  /**
   * Starts a container. Returns once its command runs, or throws {@link
   * dev.isola.ContainerStartException} or {@link dev.isola.UnsupportedFeatureException} having
   * left nothing behind.
   */
  RunningContainer start(ContainerSpec spec);

  /**
   * What this host offers this runtime, check by check, for {@link dev.isola.Container#doctor()};
   * by default one check: the runtime's availability.
   */
  default List<HostReport.Check> doctor() {
    Optional<String> reason = unavailableReason();
    return List.of(new HostReport.Check("runtime " + name(), reason.isPresent() ? HostReport.Status.UNAVAILABLE
        : HostReport.Status.AVAILABLE, reason.orElse("available")));
  }

  /**
   * The explicit ranges {@code mapping} stands for on this host; see {@link IdMapping#resolved()}.
   * Only runtimes {@linkplain #selectedByDefault() chosen by default} are asked.
   */
  IdMapping resolve(IdMapping mapping);
}
