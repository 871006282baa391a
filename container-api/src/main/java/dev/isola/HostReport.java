package dev.isola;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What this host will enforce for containers, and why not: {@link Container#doctor()}. Each
 * {@link Check} names a capability (a namespace, a cgroup controller, seccomp, Landlock, the
 * user-mode network, a runtime…), its status, and in one line the reason and the fix.
 *
 * @param checks the checks, in the order the runtime made them
 * @param defaultSpecRuns whether a container of the default spec started and exited here just now
 */
public record HostReport(List<Check> checks, boolean defaultSpecRuns) {
  /** How far a capability is there. */
  public enum Status {
    /** Enforced as asked. */
    AVAILABLE,
    /** There, but with less than it could (a best-effort part, an older kernel's level). */
    DEGRADED,
    /** Not there: specs that need it are refused, with this reason. */
    UNAVAILABLE
  }

  /**
   * One capability.
   *
   * @param name what it is, e.g. {@code "cgroup memory"}
   * @param status how far it is there
   * @param detail what was found, and for anything short of available, why and the fix
   */
  public record Check(String name, Status status, String detail) {
    public Check {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(detail, "detail");
    }
  }

  public HostReport {
    checks = List.copyOf(checks);
  }

  /** The check named {@code name}, if the report has one. */
  public Optional<Check> check(String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst();
  }
}
