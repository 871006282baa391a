package dev.isola.oci;

import dev.isola.oci.internal.OciProvider;
import dev.isola.oci.internal.OciRuntime;

/** The runtime {@code gvisor}, found with {@link java.util.ServiceLoader}; chosen only by name. */
public final class GvisorRuntimeProvider extends OciProvider {
  /** Called by {@link java.util.ServiceLoader}. */
  public GvisorRuntimeProvider() {
    super(OciRuntime.GVISOR);
  }
}
