package dev.isola.spi;

import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import java.util.Optional;

/**
 * A container runtime, found with {@link java.util.ServiceLoader}. The first provider that is
 * available on this host starts every container.
 */
public interface ContainerRuntimeProvider {
  /** Empty when this runtime can start containers here; otherwise the reason it cannot. */
  Optional<String> unavailableReason();

  /**
   * Starts a container. Returns once its command runs, or throws {@link
   * dev.isola.ContainerStartException} or {@link dev.isola.UnsupportedFeatureException} having
   * left nothing behind.
   */
  RunningContainer start(ContainerSpec spec);

  /** The explicit ranges {@code mapping} stands for on this host; see {@link IdMapping#resolved()}. */
  IdMapping resolve(IdMapping mapping);
}
