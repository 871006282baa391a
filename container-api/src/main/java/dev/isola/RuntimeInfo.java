package dev.isola;

import java.util.Optional;

/**
 * A container runtime found on the class path ({@link Container#runtimes()}): its name, and why
 * it cannot start containers here when it cannot.
 */
public record RuntimeInfo(String name, Optional<String> unavailableReason) {
  public RuntimeInfo {
    java.util.Objects.requireNonNull(name, "name");
    java.util.Objects.requireNonNull(unavailableReason, "unavailableReason");
  }

  public boolean available() {
    return unavailableReason.isEmpty();
  }
}
