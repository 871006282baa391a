package dev.isola.images;

import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.UnsupportedFeatureException;
import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.util.List;
import java.util.Optional;

/**
 * Stands in for container-linux, which these tests leave off the class path (its build and tests
 * are not theirs): it resolves {@link IdMapping#automatic()} the way the Linux runtime does on a
 * host without /etc/subuid entries, and starts nothing.
 */
public final class TestRuntime implements ContainerRuntimeProvider {
  static final long HOST_BASE = IdMapping.DEFAULT_HOST_BASE;

  @Override
  public Optional<String> unavailableReason() {
    return Optional.empty();
  }

  @Override
  public RunningContainer start(ContainerSpec spec) {
    throw new UnsupportedFeatureException("starting containers", "the image tests run without a runtime");
  }

  @Override
  public IdMapping resolve(IdMapping mapping) {
    if (mapping.kind() != IdMapping.Kind.AUTOMATIC) {
      throw new UnsupportedFeatureException(mapping.toString(), "the image tests resolve only automatic()");
    }
    List<IdMapping.Range> ranges = LibC.INSTANCE.geteuid() == 0
        ? List.of(IdMapping.Range.of(0, HOST_BASE, 65536))
        : List.of(IdMapping.Range.of(0, LibC.INSTANCE.geteuid(), 1));
    return IdMapping.of(ranges, ranges);
  }
}
