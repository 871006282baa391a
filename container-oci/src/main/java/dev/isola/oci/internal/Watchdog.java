package dev.isola.oci.internal;

import dev.isola.ExitReason;
import dev.isola.Limits;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The wall-time and CPU-time limits of OCI containers: the runtimes know neither. The wall time is
 * a timer; the CPU time is the cgroup's, read every 20 ms, so the container may overrun it by that
 * much CPU before the kill (plus the limit's grace).
 */
final class Watchdog {
  private static final long CPU_POLL_MILLIS = 20;
  private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "isola-oci-limits");
    t.setDaemon(true);
    return t;
  });

  private Watchdog() {}

  static void watch(OciContainer c, Limits limits) {
    limits.wallTime().ifPresent(wall -> {
      ScheduledFuture<?> timer = TIMERS.schedule(() -> kill(c, ExitReason.WALL_TIME_LIMIT), wall.toNanos(), TimeUnit.NANOSECONDS);
      c.exit().whenComplete((s, e) -> timer.cancel(false));
    });
    limits.cpuTime().ifPresent(cpu -> {
      Duration allowed = cpu.plus(limits.cpuTimeGrace());
      ScheduledFuture<?>[] poll = new ScheduledFuture<?>[1];
      poll[0] = TIMERS.scheduleWithFixedDelay(() -> {
        if (c.hasEnded()) {
          poll[0].cancel(false);
          return;
        }
        c.cgroup().cpuTime().ifPresent(t -> {
          if (t[0].plus(t[1]).compareTo(allowed) > 0) {
            kill(c, ExitReason.CPU_TIME_LIMIT);
          }
        });
      }, CPU_POLL_MILLIS, CPU_POLL_MILLIS, TimeUnit.MILLISECONDS);
      c.exit().whenComplete((s, e) -> poll[0].cancel(false));
    });
  }

  private static void kill(OciContainer c, ExitReason reason) {
    try {
      c.killFor(reason);
    } catch (RuntimeException e) {
      System.getLogger("dev.isola.oci").log(System.Logger.Level.WARNING, "could not end a container at its limit: " + e);
    }
  }
}
