package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Limits;
import dev.isola.Signal;
import dev.isola.linux.testing.NothingLeftBehind;
import dev.isola.linux.testing.Run;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The usage in a verdict is the whole container's, however it ended. Each container holds 32 MiB
 * in its shell and burns CPU in a grandchild (a subshell) that nothing waits for: {@code wait4} of
 * the first process sees neither when the container is killed, the cgroup sees both.
 */
@ExtendWith(NothingLeftBehind.class)
class VerdictTest {
  private static final Duration BUSY = Duration.ofMillis(1500);
  /** 2^25 bytes written into a shell variable, then a busy grandchild, then {@code end}. */
  private static final String FAT_AND_BUSY = "x=a; i=0; while [ $i -lt 25 ]; do x=$x$x; i=$((i+1)); done;"
      + " (while :; do :; done) & ";
  private static final long HELD = 24L << 20;

  private static ContainerSpec.Builder fatAndBusy(String end) {
    return Run.sh(FAT_AND_BUSY + end);
  }

  private static Limits.Builder safety() {
    return Limits.builder().wallTime(Duration.ofSeconds(20));
  }

  /** At least 70 % of the busy time as CPU, at least 24 MiB of peak memory, measured by the cgroup. */
  private static void accountedWhole(ExitStatus s) {
    assertThat(s.accounting()).as(s.toString()).isEqualTo(ExitStatus.Accounting.CGROUP);
    assertThat(s.cpuTime()).as(s.toString()).isGreaterThanOrEqualTo(BUSY.multipliedBy(7).dividedBy(10));
    assertThat(s.peakMemoryBytes()).as(s.toString()).isGreaterThanOrEqualTo(HELD);
  }

  @Test
  void anOwnExitCountsTheOrphanKilledWithTheContainer() {
    ExitStatus s = Run.of(fatAndBusy("sleep 1.5; exit 3").limits(safety().build())).status;
    assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(s.exitCode()).isEqualTo(3);
    accountedWhole(s);
  }

  @Test
  void aDeathBySignal() {
    ExitStatus s = Run.of(fatAndBusy("sleep 1.5; kill -SEGV $$").limits(safety().build())).status;
    assertThat(s.reason()).isEqualTo(ExitReason.SIGNALED);
    assertThat(s.signal()).contains(Signal.SEGV);
    accountedWhole(s);
  }

  /** The case: a 1.5 s busy loop at a 1.5 s wall limit said 1 ms and the init's memory. */
  @Test
  void theWallTimeLimit() {
    ExitStatus s = Run.of(fatAndBusy("wait").limits(Limits.builder().wallTime(BUSY.plusMillis(300)).build())).status;
    assertThat(s.reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
    accountedWhole(s);
  }

  @Test
  void theCpuTimeLimit() {
    ExitStatus s = Run.of(fatAndBusy("wait").limits(safety().cpuTime(BUSY).build())).status;
    assertThat(s.reason()).isEqualTo(ExitReason.CPU_TIME_LIMIT);
    accountedWhole(s);
    assertThat(s.cpuTime()).isGreaterThanOrEqualTo(BUSY);
  }

  @Test
  void theOutputLimit() {
    ExitStatus s = Run.of(fatAndBusy("sleep 1.5; yes").limits(safety().outputBytes(4096).onOutputLimit(Limits.OutputAction.KILL)
        .build())).status;
    assertThat(s.reason()).isEqualTo(ExitReason.OUTPUT_LIMIT);
    assertThat(s.outputTruncated()).isTrue();
    accountedWhole(s);
  }

  @Test
  void anOomKill() {
    ExitStatus s = Run.of(fatAndBusy("sleep 1.5; while :; do x=$x$x; done").limits(safety().memory(96L << 20).build())).status;
    assertThat(s.reason()).as(s.toString()).isEqualTo(ExitReason.OOM_KILLED);
    assertThat(s.oomKills()).isPositive();
    accountedWhole(s);
  }

  @Test
  void killByTheCaller() throws Exception {
    try (Container c = fatAndBusy("wait").limits(safety().build()).start()) {
      Thread.sleep(BUSY.plusMillis(300).toMillis());
      c.kill(Signal.KILL);
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      accountedWhole(s);
    }
  }

  @Test
  void killAllByTheCaller() throws Exception {
    try (Container c = fatAndBusy("wait").limits(safety().build()).start()) {
      Thread.sleep(BUSY.plusMillis(300).toMillis());
      c.killAll();
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      accountedWhole(s);
    }
  }

  /** A caller's own timeout: waitFor gives up, close() ends the container, the verdict still counts all. */
  @Test
  void closeAfterTheCallersTimeout() throws Exception {
    Container c = fatAndBusy("wait").limits(safety().build()).start();
    Optional<ExitStatus> early = c.waitFor(BUSY.plusMillis(300));
    assertThat(early).isEmpty();
    c.close();
    ExitStatus s = c.onExit().get(10, TimeUnit.SECONDS);
    assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
    accountedWhole(s);
  }

  /** Memory and processes are counted for every container where the host has the controllers, limits or not. */
  @Test
  void statsWithoutLimitsCountMemoryAndProcesses() throws Exception {
    try (Container c = fatAndBusy("wait").start()) {
      Thread.sleep(BUSY.toMillis());
      dev.isola.ContainerStats stats = c.stats();
      assertThat(stats.memoryBytes()).as(stats.toString()).isGreaterThanOrEqualTo(HELD);
      assertThat(stats.pids()).as(stats.toString()).isGreaterThanOrEqualTo(3); // init, the shell, its busy subshell
      c.killAll();
    }
  }

  /** The case: cpus(0.5) over 2 s said 0.002 s. */
  @Test
  void aCpuQuotaIsCountedAtWhatItAllowed() {
    Duration wall = Duration.ofSeconds(2);
    ExitStatus s = Run.of(Run.sh("while :; do :; done").limits(Limits.builder().cpus(0.5).wallTime(wall).build())).status;
    assertThat(s.reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
    assertThat(s.accounting()).isEqualTo(ExitStatus.Accounting.CGROUP);
    assertThat(s.cpuTime()).as(s.toString()).isBetween(wall.dividedBy(2).multipliedBy(7).dividedBy(10), wall.dividedBy(2).plusMillis(300));
  }
}
