package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerStatsTest {
  private static final Duration USER = Duration.ofMillis(1500);
  private static final Duration SYSTEM = Duration.ofMillis(250);

  private static ContainerStats stats() {
    return new ContainerStats(USER, SYSTEM, 10 << 20, 20 << 20, 3, false);
  }

  @Test
  void keepsEveryFigure() {
    ContainerStats s = new ContainerStats(USER, SYSTEM, 10 << 20, 20 << 20, 3, true);

    assertThat(s.userCpuTime()).isEqualTo(USER);
    assertThat(s.systemCpuTime()).isEqualTo(SYSTEM);
    assertThat(s.memoryBytes()).isEqualTo(10 << 20);
    assertThat(s.peakMemoryBytes()).isEqualTo(20 << 20);
    assertThat(s.pids()).isEqualTo(3);
    assertThat(s.paused()).isTrue();
  }

  @Test
  void cpuTimeIsUserPlusSystem() {
    assertThat(stats().cpuTime()).isEqualTo(Duration.ofMillis(1750));
    assertThat(new ContainerStats(Duration.ZERO, Duration.ZERO, 0, 0, 0, false).cpuTime()).isZero();
    assertThat(new ContainerStats(Duration.ofNanos(1), Duration.ZERO, 0, 0, 0, false).cpuTime())
        .isEqualTo(Duration.ofNanos(1));
  }

  @Test
  void figuresAHostCannotGiveAreMinusOne() {
    ContainerStats s = new ContainerStats(USER, SYSTEM, -1, -1, -1, false);

    assertThat(s.memoryBytes()).isEqualTo(-1);
    assertThat(s.peakMemoryBytes()).isEqualTo(-1);
    assertThat(s.pids()).isEqualTo(-1);
    assertThat(s.toString()).contains("memory -1 bytes (peak -1)", "pids -1");
  }

  @Test
  void nullTimesAreRejectedNamingThem() {
    assertThatThrownBy(() -> new ContainerStats(null, SYSTEM, 0, 0, 0, false))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("userCpuTime");
    assertThatThrownBy(() -> new ContainerStats(USER, null, 0, 0, 0, false))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("systemCpuTime");
  }

  @Test
  void equalsAndHashCodeCompareEveryField() {
    ContainerStats a = stats();

    assertThat(a).isEqualTo(stats()).hasSameHashCodeAs(stats()).isEqualTo(a);
    List<ContainerStats> variants = List.of(
        new ContainerStats(USER.plusNanos(1), SYSTEM, 10 << 20, 20 << 20, 3, false),
        new ContainerStats(USER, SYSTEM.plusNanos(1), 10 << 20, 20 << 20, 3, false),
        new ContainerStats(USER, SYSTEM, (10 << 20) + 1, 20 << 20, 3, false),
        new ContainerStats(USER, SYSTEM, 10 << 20, (20 << 20) + 1, 3, false),
        new ContainerStats(USER, SYSTEM, 10 << 20, 20 << 20, 4, false),
        new ContainerStats(USER, SYSTEM, 10 << 20, 20 << 20, 3, true),
        // same total CPU time, split differently
        new ContainerStats(SYSTEM, USER, 10 << 20, 20 << 20, 3, false));
    for (ContainerStats v : variants) {
      assertThat(v).as(v.toString()).isNotEqualTo(a);
      assertThat(a).isNotEqualTo(v);
    }
    assertThat(a).isNotEqualTo(null).isNotEqualTo(a.toString());
  }

  @Test
  void toStringNamesTheFigures() {
    assertThat(stats()).hasToString("ContainerStats{cpu 1750 ms, memory 10485760 bytes (peak 20971520), pids 3}");
    assertThat(new ContainerStats(USER, SYSTEM, 1, 2, 1, true).toString()).endsWith(", paused}");
  }
}
