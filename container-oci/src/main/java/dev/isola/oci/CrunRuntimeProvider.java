package dev.isola.oci;

import dev.isola.oci.internal.OciProvider;
import dev.isola.oci.internal.OciRuntime;

/** The runtime {@code crun}, found with {@link java.util.ServiceLoader}; chosen only by name. */
public final class CrunRuntimeProvider extends OciProvider {
  /** Called by {@link java.util.ServiceLoader}. */
  public CrunRuntimeProvider() {
    super(OciRuntime.CRUN);
  }
}
