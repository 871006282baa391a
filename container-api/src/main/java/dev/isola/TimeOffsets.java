package dev.isola;

import java.time.Duration;
import java.util.Objects;

/** How far a container's monotonic and boot-time clocks are ahead of the host's ({@link ContainerSpec#timeOffsets()}). */
public record TimeOffsets(Duration monotonic, Duration boottime) {
  /** The kernel's bound on an offset: the clocks must stay positive and within about 146 years. */
  private static final Duration MAX = Duration.ofDays(365L * 100);

  public TimeOffsets {
    Objects.requireNonNull(monotonic, "monotonic");
    Objects.requireNonNull(boottime, "boottime");
    for (Duration d : new Duration[] {monotonic, boottime}) {
      if (d.abs().compareTo(MAX) > 0) {
        throw new IllegalArgumentException("a clock offset must be within 100 years either way: " + d);
      }
    }
  }
}
