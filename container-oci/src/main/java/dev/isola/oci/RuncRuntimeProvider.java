package dev.isola.oci;

import dev.isola.oci.internal.OciProvider;
import dev.isola.oci.internal.OciRuntime;

/** The runtime {@code runc}, found with {@link java.util.ServiceLoader}; chosen only by name. */
public final class RuncRuntimeProvider extends OciProvider {
  /** Called by {@link java.util.ServiceLoader}. */
  public RuncRuntimeProvider() {
    super(OciRuntime.RUNC);
  }
}
