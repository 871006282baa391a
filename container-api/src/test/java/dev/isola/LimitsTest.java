package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Limits.Kind;
import dev.isola.Limits.OutputAction;
import dev.isola.Limits.Rlimit;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class LimitsTest {

  private static Limits full() {
    return Limits.builder()
        .memory(256 << 20)
        .memoryAndSwap(512 << 20)
        .pids(64)
        .cpus(0.5)
        .cpuWeight(200)
        .cpuset(3, 1)
        .wallTime(Duration.ofSeconds(10))
        .cpuTime(Duration.ofSeconds(2))
        .cpuTimeGrace(Duration.ofMillis(500))
        .outputBytes(1 << 20)
        .onOutputLimit(OutputAction.DISCARD)
        .rlimit(Rlimit.NOFILE, 256)
        .rlimit(Rlimit.CORE, 4096)
        .bestEffort(Kind.CPU_WEIGHT, Kind.CPUSET)
        .build();
  }

  @Nested
  class Defaults {
    private final Limits none = Limits.none();

    @Test
    void noneLimitsNothingButTheCoreDumpSize() {
      assertThat(none.memory()).isEmpty();
      assertThat(none.memoryAndSwap()).isEmpty();
      assertThat(none.pids()).isEmpty();
      assertThat(none.cpus()).isEmpty();
      assertThat(none.cpuWeight()).isEmpty();
      assertThat(none.cpuset()).isEmpty();
      assertThat(none.wallTime()).isEmpty();
      assertThat(none.cpuTime()).isEmpty();
      assertThat(none.cpuTimeGrace()).isEqualTo(Duration.ZERO);
      assertThat(none.outputBytes()).isEmpty();
      assertThat(none.onOutputLimit()).isEqualTo(OutputAction.KILL);
      assertThat(none.rlimits()).containsExactly(Map.entry(Rlimit.CORE, 0L));
      assertThat(none.bestEffort()).isEmpty();
    }

    @Test
    void noneNeedsNoCgroup() {
      assertThat(none.needsCgroup()).isFalse();
    }

    @Test
    void noneIsOneValueAndEqualsAnEmptyBuild() {
      assertThat(Limits.none()).isSameAs(none);
      assertThat(Limits.builder().build()).isEqualTo(none).hasSameHashCodeAs(none).hasToString(none.toString());
    }

    @Test
    void coreIsZeroWhateverElseIsSet() {
      Limits l = Limits.builder().rlimit(Rlimit.NOFILE, 10).memory(Limits.MIN_MEMORY_BYTES).build();

      assertThat(l.rlimits()).containsOnly(Map.entry(Rlimit.NOFILE, 10L), Map.entry(Rlimit.CORE, 0L));
    }

    @Test
    void coreCanBeSet() {
      assertThat(Limits.builder().rlimit(Rlimit.CORE, 1 << 20).build().rlimits())
          .containsExactly(Map.entry(Rlimit.CORE, 1L << 20));
    }

    @Test
    void minimumMemoryIsOneMebibyte() {
      assertThat(Limits.MIN_MEMORY_BYTES).isEqualTo(1L << 20);
    }
  }

  @Test
  void keepsEveryValueSet() {
    Limits l = full();

    assertThat(l.memory()).hasValue(256L << 20);
    assertThat(l.memoryAndSwap()).hasValue(512L << 20);
    assertThat(l.pids()).hasValue(64);
    assertThat(l.cpus()).hasValue(0.5);
    assertThat(l.cpuWeight()).hasValue(200);
    assertThat(l.cpuset()).containsExactly(1, 3);
    assertThat(l.wallTime()).contains(Duration.ofSeconds(10));
    assertThat(l.cpuTime()).contains(Duration.ofSeconds(2));
    assertThat(l.cpuTimeGrace()).isEqualTo(Duration.ofMillis(500));
    assertThat(l.outputBytes()).hasValue(1 << 20);
    assertThat(l.onOutputLimit()).isEqualTo(OutputAction.DISCARD);
    assertThat(l.rlimits()).containsOnly(Map.entry(Rlimit.NOFILE, 256L), Map.entry(Rlimit.CORE, 4096L));
    assertThat(l.bestEffort()).containsExactlyInAnyOrder(Kind.CPU_WEIGHT, Kind.CPUSET);
    assertThat(l.needsCgroup()).isTrue();
  }

  @Nested
  class Memory {
    @Test
    void acceptsTheMinimumAndMore() {
      assertThat(Limits.builder().memory(Limits.MIN_MEMORY_BYTES).build().memory()).hasValue(Limits.MIN_MEMORY_BYTES);
      assertThat(Limits.builder().memory(Long.MAX_VALUE).build().memory()).hasValue(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(longs = {Limits.MIN_MEMORY_BYTES - 1, 4096, 1, 0, -1, Long.MIN_VALUE})
    void rejectsLessThanTheMinimumNamingIt(long bytes) {
      assertThatThrownBy(() -> Limits.builder().memory(bytes))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("memory limit must be at least " + Limits.MIN_MEMORY_BYTES + " bytes")
          .hasMessageEndingWith(": " + bytes);
    }

    @ParameterizedTest
    @ValueSource(longs = {Limits.MIN_MEMORY_BYTES - 1, 0, -1})
    void memoryAndSwapRejectsLessThanTheMinimumNamingIt(long bytes) {
      assertThatThrownBy(() -> Limits.builder().memoryAndSwap(bytes))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("memory-and-swap limit must be at least " + Limits.MIN_MEMORY_BYTES + " bytes")
          .hasMessageEndingWith(": " + bytes);
    }

    @Test
    void memoryAndSwapMayEqualMemoryOrStandAlone() {
      Limits same = Limits.builder().memory(8 << 20).memoryAndSwap(8 << 20).build();
      Limits alone = Limits.builder().memoryAndSwap(8 << 20).build();

      assertThat(same.memory()).hasValue(8 << 20);
      assertThat(same.memoryAndSwap()).hasValue(8 << 20);
      assertThat(alone.memory()).isEmpty();
      assertThat(alone.memoryAndSwap()).hasValue(8 << 20);
    }

    @Test
    void memoryAndSwapBelowMemoryIsRejectedNamingBoth() {
      long memory = 64L << 20;
      long memoryAndSwap = memory - 1;

      assertThatThrownBy(() -> Limits.builder().memory(memory).memoryAndSwap(memoryAndSwap).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("memory-and-swap limit " + memoryAndSwap)
          .hasMessageContaining("below the memory limit " + memory);
      // Whatever the order they were set in.
      assertThatThrownBy(() -> Limits.builder().memoryAndSwap(memoryAndSwap).memory(memory).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(String.valueOf(memoryAndSwap))
          .hasMessageContaining(String.valueOf(memory));
    }

    @Test
    void laterValueReplacesEarlier() {
      assertThat(Limits.builder().memory(8 << 20).memory(4 << 20).build().memory()).hasValue(4 << 20);
    }
  }

  @Nested
  class Pids {
    @ParameterizedTest
    @ValueSource(longs = {1, 64, Long.MAX_VALUE})
    void acceptsOneOrMore(long max) {
      assertThat(Limits.builder().pids(max).build().pids()).hasValue(max);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void rejectsLessThanOneNamingIt(long max) {
      assertThatThrownBy(() -> Limits.builder().pids(max))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pids limit must be at least 1")
          .hasMessageEndingWith(": " + max);
    }

    @Test
    void theDefaultAppliesUntilALimitIsSetOrNoneIsAsked() {
      assertThat(Limits.none().defaultPids()).isTrue();
      assertThat(Limits.none().pids()).isEmpty();
      assertThat(Limits.builder().pids(10).build().defaultPids()).isFalse();
      Limits unlimited = Limits.builder().pids(10).unlimitedPids().build();
      assertThat(unlimited.defaultPids()).isFalse();
      assertThat(unlimited.pids()).isEmpty();
      assertThat(unlimited.toString()).contains("pids=unlimited");
      assertThat(unlimited).isNotEqualTo(Limits.none());
      assertThat(unlimited.toBuilder().build()).isEqualTo(unlimited);
      assertThat(unlimited.needsCgroup()).isFalse();
    }
  }

  @Nested
  class Io {
    @Test
    void eachIoLimitIsSetAloneAndNeedsACgroup() {
      Limits l = Limits.builder().ioReadBandwidth(1 << 20).ioWriteOps(100).build();
      assertThat(l.ioReadBandwidth()).hasValue(1 << 20);
      assertThat(l.ioWriteBandwidth()).isEmpty();
      assertThat(l.ioReadOps()).isEmpty();
      assertThat(l.ioWriteOps()).hasValue(100);
      assertThat(l.hasIoLimits()).isTrue();
      assertThat(l.needsCgroup()).isTrue();
      assertThat(l.toBuilder().build()).isEqualTo(l).isNotEqualTo(Limits.none());
      assertThat(l.toString()).contains("ioReadBandwidth=1048576 bytes/s", "ioWriteOps=100/s");
      assertThat(Limits.none().hasIoLimits()).isFalse();
      assertThatThrownBy(() -> Limits.builder().ioWriteBandwidth(0))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("io write bandwidth limit must be at least 1 per second: 0");
    }
  }

  @Nested
  class WritableRoot {
    @Test
    void defaultsToWhatTmpHoldsAndTakesAMibOrMore() {
      assertThat(Limits.none().writableRootBytes()).isEqualTo(Limits.DEFAULT_WRITABLE_ROOT_BYTES).isEqualTo(256L << 20);
      Limits big = Limits.builder().writableRootBytes(8L << 30).build();
      assertThat(big.writableRootBytes()).isEqualTo(8L << 30);
      assertThat(big.toBuilder().build()).isEqualTo(big).isNotEqualTo(Limits.none());
      assertThat(big.toString()).contains("writableRootBytes=" + (8L << 30));
      assertThat(big.needsCgroup()).isFalse();
      assertThatThrownBy(() -> Limits.builder().writableRootBytes(4096))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("writable root size must be at least 1048576 bytes: 4096");
    }
  }

  @Nested
  class Cpus {
    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.5, 1, 2.5, 1024})
    void acceptsAHundredthOrMore(double cpus) {
      assertThat(Limits.builder().cpus(cpus).build().cpus()).hasValue(cpus);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, -0.0, 0.009, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        Double.MIN_VALUE, -Double.MAX_VALUE})
    void rejectsZeroTooLittleNanAndInfinityNamingIt(double cpus) {
      assertThatThrownBy(() -> Limits.builder().cpus(cpus))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cpus must be at least 0.01")
          .hasMessageEndingWith(": " + cpus);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100, 10000})
    void weightAccepts1To10000(int weight) {
      assertThat(Limits.builder().cpuWeight(weight).build().cpuWeight()).hasValue(weight);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 10001, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void weightRejectsOthersNamingIt(int weight) {
      assertThatThrownBy(() -> Limits.builder().cpuWeight(weight))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cpu weight must be in 1..10000")
          .hasMessageEndingWith(": " + weight);
    }
  }

  @Nested
  class Cpuset {
    @Test
    void isSortedWithoutDuplicates() {
      assertThat(Limits.builder().cpuset(5, 0, 2, 5, 0).build().cpuset()).containsExactly(0, 2, 5);
    }

    @Test
    void laterCallReplacesEarlierAndEmptyMeansAll() {
      assertThat(Limits.builder().cpuset(1, 2).cpuset(3).build().cpuset()).containsExactly(3);
      assertThat(Limits.builder().cpuset(1, 2).cpuset().build().cpuset()).isEmpty();
      assertThat(Limits.builder().cpuset(1, 2).cpuset().build().needsCgroup()).isFalse();
    }

    @Test
    void acceptsCpuZeroAndLargeNumbers() {
      assertThat(Limits.builder().cpuset(0, Integer.MAX_VALUE).build().cpuset()).containsExactly(0, Integer.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, -2, Integer.MIN_VALUE})
    void rejectsANegativeCpuNamingIt(int cpu) {
      assertThatThrownBy(() -> Limits.builder().cpuset(0, cpu, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("CPU numbers start at 0")
          .hasMessageEndingWith(": " + cpu);
    }

    @Test
    void rejectsNull() {
      assertThatThrownBy(() -> Limits.builder().cpuset((int[]) null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aRejectedCpusetLeavesTheEarlierOne() {
      Limits.Builder b = Limits.builder().cpuset(0, 1);

      assertThatThrownBy(() -> b.cpuset(2, -1, 3)).isInstanceOf(IllegalArgumentException.class);
      assertThat(b.build().cpuset()).containsExactly(0, 1);
    }
  }

  @Nested
  class Times {
    @Test
    void keepsTheDurations() {
      Limits l = Limits.builder().wallTime(Duration.ofNanos(1)).cpuTime(Duration.ofDays(1)).build();

      assertThat(l.wallTime()).contains(Duration.ofNanos(1));
      assertThat(l.cpuTime()).contains(Duration.ofDays(1));
      assertThat(l.cpuTimeGrace()).isZero();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -1_000_000_000L})
    void wallTimeMustBePositiveNamingIt(long nanos) {
      Duration d = Duration.ofNanos(nanos);

      assertThatThrownBy(() -> Limits.builder().wallTime(d))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("wall time limit must be positive")
          .hasMessageEndingWith(": " + d);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -1_000_000_000L})
    void cpuTimeMustBePositiveNamingIt(long nanos) {
      Duration d = Duration.ofNanos(nanos);

      assertThatThrownBy(() -> Limits.builder().cpuTime(d))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("CPU time limit must be positive")
          .hasMessageEndingWith(": " + d);
    }

    @Test
    void graceMayBeZeroOrPositiveWithACpuTimeLimit() {
      Limits.Builder b = Limits.builder().cpuTime(Duration.ofSeconds(1));

      assertThat(b.cpuTimeGrace(Duration.ZERO).build().cpuTimeGrace()).isZero();
      assertThat(b.cpuTimeGrace(Duration.ofMillis(1)).build().cpuTimeGrace()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void zeroGraceNeedsNoCpuTimeLimit() {
      assertThat(Limits.builder().cpuTimeGrace(Duration.ZERO).build()).isEqualTo(Limits.none());
    }

    @Test
    void negativeGraceIsRejectedNamingIt() {
      Duration d = Duration.ofMillis(-1);

      assertThatThrownBy(() -> Limits.builder().cpuTime(Duration.ofSeconds(1)).cpuTimeGrace(d))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("CPU time grace must not be negative")
          .hasMessageEndingWith(": " + d);
    }

    @Test
    void graceWithoutCpuTimeLimitIsRejectedNamingIt() {
      assertThatThrownBy(() -> Limits.builder().cpuTimeGrace(Duration.ofMillis(500)).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("CPU time grace of PT0.5S")
          .hasMessageContaining("needs a CPU time limit");
      // A wall-time limit is not enough.
      assertThatThrownBy(() -> Limits.builder().wallTime(Duration.ofSeconds(1)).cpuTimeGrace(Duration.ofMillis(1)).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("needs a CPU time limit");
    }

    @Test
    void nullsAreRejectedNamingTheValue() {
      assertThatThrownBy(() -> Limits.builder().wallTime(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("wall time");
      assertThatThrownBy(() -> Limits.builder().cpuTime(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("CPU time");
      assertThatThrownBy(() -> Limits.builder().cpuTimeGrace(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("grace");
    }
  }

  @Nested
  class Output {
    @ParameterizedTest
    @ValueSource(longs = {1, 1 << 20, Limits.MAX_OUTPUT_BYTES})
    void acceptsOneByteUpToWhatAnArrayHolds(long bytes) {
      Limits l = Limits.builder().outputBytes(bytes).build();

      assertThat(l.outputBytes()).hasValue(bytes);
      assertThat(l.onOutputLimit()).isEqualTo(OutputAction.KILL);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void rejectsLessThanOneByteNamingIt(long bytes) {
      assertThatThrownBy(() -> Limits.builder().outputBytes(bytes))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("output limit must be at least 1 byte")
          .hasMessageEndingWith(": " + bytes);
    }

    @Test
    void discardWithAnOutputLimit() {
      assertThat(Limits.builder().outputBytes(10).onOutputLimit(OutputAction.DISCARD).build().onOutputLimit())
          .isEqualTo(OutputAction.DISCARD);
    }

    @Test
    void discardWithoutAnOutputLimitIsRejectedNamingIt() {
      assertThatThrownBy(() -> Limits.builder().onOutputLimit(OutputAction.DISCARD).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("onOutputLimit(DISCARD)")
          .hasMessageContaining("needs an output limit");
    }

    @Test
    void killWithoutAnOutputLimitIsTheDefaultAndAllowed() {
      assertThat(Limits.builder().onOutputLimit(OutputAction.KILL).build()).isEqualTo(Limits.none());
    }

    @Test
    void nullActionIsRejected() {
      assertThatThrownBy(() -> Limits.builder().onOutputLimit(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("action");
    }
  }

  @Nested
  class Rlimits {
    @ParameterizedTest
    @EnumSource(Rlimit.class)
    void eachCanBeSetToZeroOrMore(Rlimit r) {
      assertThat(Limits.builder().rlimit(r, 0).build().rlimits()).containsEntry(r, 0L);
      assertThat(Limits.builder().rlimit(r, Long.MAX_VALUE).build().rlimits()).containsEntry(r, Long.MAX_VALUE);
    }

    @ParameterizedTest
    @EnumSource(Rlimit.class)
    void negativeIsRejectedNamingTheResourceAndValue(Rlimit r) {
      assertThatThrownBy(() -> Limits.builder().rlimit(r, -1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("rlimit " + r + " must not be negative")
          .hasMessageEndingWith(": -1");
      assertThatThrownBy(() -> Limits.builder().rlimit(r, Long.MIN_VALUE))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageEndingWith(": " + Long.MIN_VALUE);
    }

    @Test
    void laterValueReplacesEarlier() {
      assertThat(Limits.builder().rlimit(Rlimit.NOFILE, 10).rlimit(Rlimit.NOFILE, 20).build().rlimits())
          .containsEntry(Rlimit.NOFILE, 20L);
    }

    @Test
    void nullResourceIsRejected() {
      assertThatThrownBy(() -> Limits.builder().rlimit(null, 1))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("resource");
    }

    @Test
    void needNoCgroup() {
      Limits.Builder b = Limits.builder();
      for (Rlimit r : Rlimit.values()) {
        b.rlimit(r, 1);
      }

      assertThat(b.build().needsCgroup()).isFalse();
    }
  }

  @Nested
  class BestEffort {
    @Test
    void collectsKindsOverCalls() {
      Limits l = Limits.builder().bestEffort(Kind.MEMORY).bestEffort(Kind.PIDS, Kind.MEMORY).build();

      assertThat(l.bestEffort()).containsExactlyInAnyOrder(Kind.MEMORY, Kind.PIDS);
    }

    @Test
    void aloneNeedsNoCgroup() {
      assertThat(Limits.builder().bestEffort(Kind.values()).build().needsCgroup()).isFalse();
    }

    @Test
    void rejectsNull() {
      assertThatThrownBy(() -> Limits.builder().bestEffort(Kind.MEMORY, null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("kind");
    }
  }

  @Nested
  class NeedsCgroup {
    @Test
    void forMemoryPidsCpuAndCpuTime() {
      List<UnaryOperator<Limits.Builder>> needing = List.of(
          b -> b.memory(Limits.MIN_MEMORY_BYTES),
          b -> b.memoryAndSwap(Limits.MIN_MEMORY_BYTES),
          b -> b.pids(1),
          b -> b.cpus(1),
          b -> b.cpuWeight(100),
          b -> b.cpuset(0),
          b -> b.cpuTime(Duration.ofSeconds(1)));

      for (int i = 0; i < needing.size(); i++) {
        Limits l = needing.get(i).apply(Limits.builder()).build();
        assertThat(l.needsCgroup()).as(l.toString()).isTrue();
      }
    }

    @Test
    void notForWallTimeOutputRlimitsOrBestEffort() {
      Limits l = Limits.builder()
          .wallTime(Duration.ofSeconds(1))
          .outputBytes(1)
          .onOutputLimit(OutputAction.DISCARD)
          .rlimit(Rlimit.NOFILE, 10)
          .rlimit(Rlimit.CPU, 1)
          .bestEffort(Kind.MEMORY)
          .build();

      assertThat(l.needsCgroup()).isFalse();
    }
  }

  @Nested
  class ValueSemantics {
    @Test
    void toBuilderKeepsEveryLimit() {
      assertThat(full().toBuilder().build()).isEqualTo(full());
      assertThat(full().toBuilder().pids(7).build().pids()).hasValue(7L);
    }

    @Test
    void untrustedDefaultsBoundEveryResource() {
      Limits u = Limits.untrustedDefaults();
      assertThat(u.memory()).hasValue(512L << 20);
      assertThat(u.pids()).hasValue(256L);
      assertThat(u.cpus()).hasValue(1.0);
      assertThat(u.cpuTime()).contains(java.time.Duration.ofSeconds(10));
      assertThat(u.wallTime()).contains(java.time.Duration.ofSeconds(30));
      assertThat(u.outputBytes()).hasValue(16L << 20);
      assertThat(u.onOutputLimit()).isEqualTo(Limits.OutputAction.KILL);
      assertThat(u.rlimits()).containsEntry(Limits.Rlimit.NOFILE, 1024L).containsEntry(Limits.Rlimit.CORE, 0L);
      assertThat(u.bestEffort()).isEmpty();
      assertThat(u.toBuilder().wallTime(java.time.Duration.ofSeconds(5)).build().wallTime()).contains(java.time.Duration.ofSeconds(5));
    }

    @Test
    void equalBuildsAreEqual() {
      assertThat(full()).isEqualTo(full()).hasSameHashCodeAs(full()).hasToString(full().toString());
      assertThat(full()).isNotSameAs(full());
    }

    @Test
    void orderOfCallsDoesNotMatter() {
      Limits a = Limits.builder().cpuset(2, 1).rlimit(Rlimit.NOFILE, 1).rlimit(Rlimit.AS, 1 << 30)
          .bestEffort(Kind.PIDS, Kind.MEMORY).build();
      Limits b = Limits.builder().bestEffort(Kind.MEMORY).bestEffort(Kind.PIDS).rlimit(Rlimit.AS, 1 << 30)
          .rlimit(Rlimit.NOFILE, 1).cpuset(1, 2).build();

      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).hasToString(b.toString());
    }

    @Test
    void everyFieldTakesPartInEquals() {
      Limits base = full();
      List<Limits> variants = List.of(
          modified(b -> b.memory(255 << 20)),
          modified(b -> b.memoryAndSwap(513 << 20)),
          modified(b -> b.pids(65)),
          modified(b -> b.cpus(0.51)),
          modified(b -> b.cpuWeight(201)),
          modified(b -> b.cpuset(1)),
          modified(b -> b.wallTime(Duration.ofSeconds(11))),
          modified(b -> b.cpuTime(Duration.ofSeconds(3))),
          modified(b -> b.cpuTimeGrace(Duration.ofMillis(501))),
          modified(b -> b.outputBytes(1 << 21)),
          modified(b -> b.onOutputLimit(OutputAction.KILL)),
          modified(b -> b.rlimit(Rlimit.NOFILE, 255)),
          modified(b -> b.rlimit(Rlimit.CORE, 0)),
          modified(b -> b.rlimit(Rlimit.STACK, 8 << 20)),
          modified(b -> b.bestEffort(Kind.MEMORY)));

      for (Limits v : variants) {
        assertThat(v).as(v.toString()).isNotEqualTo(base);
        assertThat(base).isNotEqualTo(v);
      }
      assertThat(base).isNotEqualTo(null).isNotEqualTo(base.toString());
    }

    /** {@link #full()} with one more call before build. */
    private Limits modified(UnaryOperator<Limits.Builder> change) {
      return change.apply(Limits.builder()
          .memory(256 << 20)
          .memoryAndSwap(512 << 20)
          .pids(64)
          .cpus(0.5)
          .cpuWeight(200)
          .cpuset(3, 1)
          .wallTime(Duration.ofSeconds(10))
          .cpuTime(Duration.ofSeconds(2))
          .cpuTimeGrace(Duration.ofMillis(500))
          .outputBytes(1 << 20)
          .onOutputLimit(OutputAction.DISCARD)
          .rlimit(Rlimit.NOFILE, 256)
          .rlimit(Rlimit.CORE, 4096)
          .bestEffort(Kind.CPU_WEIGHT, Kind.CPUSET)).build();
    }

    @Test
    void theModifiedHelperMatchesFull() {
      assertThat(modified(b -> b)).isEqualTo(full());
    }

    @Test
    void coreZeroSetExplicitlyEqualsTheDefault() {
      assertThat(Limits.builder().rlimit(Rlimit.CORE, 0).build()).isEqualTo(Limits.none())
          .hasSameHashCodeAs(Limits.none());
    }

    @Test
    void collectionsAreUnmodifiable() {
      Limits l = full();

      assertThatThrownBy(() -> l.cpuset().add(7)).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.cpuset().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.cpuset().headSet(3).clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.rlimits().put(Rlimit.NPROC, 1L)).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.rlimits().remove(Rlimit.CORE)).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.rlimits().entrySet().iterator().next().setValue(1L))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.bestEffort().add(Kind.PIDS)).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> l.bestEffort().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> Limits.none().rlimits().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> Limits.none().cpuset().add(0)).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> Limits.none().bestEffort().add(Kind.PIDS))
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void changingTheBuilderAfterBuildLeavesTheLimitsAlone() {
      Limits.Builder b = Limits.builder()
          .memory(8 << 20).cpuset(0, 1).rlimit(Rlimit.NOFILE, 10).bestEffort(Kind.MEMORY)
          .outputBytes(5).cpuTime(Duration.ofSeconds(1));
      Limits first = b.build();
      String before = first.toString();

      b.memory(16 << 20).memoryAndSwap(32 << 20).pids(3).cpus(2).cpuWeight(5).cpuset(7)
          .rlimit(Rlimit.NOFILE, 20).rlimit(Rlimit.FSIZE, 1).bestEffort(Kind.PIDS)
          .outputBytes(6).onOutputLimit(OutputAction.DISCARD).wallTime(Duration.ofSeconds(9))
          .cpuTime(Duration.ofSeconds(2)).cpuTimeGrace(Duration.ofSeconds(1));

      assertThat(first.memory()).hasValue(8 << 20);
      assertThat(first.memoryAndSwap()).isEmpty();
      assertThat(first.pids()).isEmpty();
      assertThat(first.cpus()).isEmpty();
      assertThat(first.cpuWeight()).isEmpty();
      assertThat(first.cpuset()).containsExactly(0, 1);
      assertThat(first.rlimits()).containsOnly(Map.entry(Rlimit.NOFILE, 10L), Map.entry(Rlimit.CORE, 0L));
      assertThat(first.bestEffort()).containsExactly(Kind.MEMORY);
      assertThat(first.outputBytes()).hasValue(5);
      assertThat(first.onOutputLimit()).isEqualTo(OutputAction.KILL);
      assertThat(first.wallTime()).isEmpty();
      assertThat(first.cpuTime()).contains(Duration.ofSeconds(1));
      assertThat(first.cpuTimeGrace()).isZero();
      assertThat(first).hasToString(before);
      assertThat(b.build()).isNotEqualTo(first);
    }

    @Test
    void aFailedBuildLeavesTheBuilderUsable() {
      Limits.Builder b = Limits.builder().onOutputLimit(OutputAction.DISCARD);

      assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class);
      assertThat(b.outputBytes(1).build().onOutputLimit()).isEqualTo(OutputAction.DISCARD);
    }

    @Test
    void toStringNamesEverySetValue() {
      assertThat(full().toString()).contains(
          "memory=268435456 bytes",
          "memoryAndSwap=536870912 bytes",
          "pids=64",
          "cpus=0.5",
          "cpuWeight=200",
          "cpuset=[1, 3]",
          "wallTime=PT10S",
          "cpuTime=PT2S (+PT0.5S grace)",
          "outputBytes=1048576 then DISCARD",
          "NOFILE=256",
          "CORE=4096",
          "bestEffort=[CPU_WEIGHT, CPUSET]");
    }

    @Test
    void toStringOfNoneShowsOnlyTheCoreLimit() {
      assertThat(Limits.none()).hasToString("Limits{rlimits={CORE=0}}");
    }
  }

  @Test
  void anOutputLimitBeyondWhatAnArrayHoldsIsRefusedNamingTheWayOut() {
    assertThat(Limits.builder().outputBytes(Limits.MAX_OUTPUT_BYTES).build().outputBytes()).hasValue(Limits.MAX_OUTPUT_BYTES);
    assertThatThrownBy(() -> Limits.builder().outputBytes(Limits.MAX_OUTPUT_BYTES + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Limits.MAX_OUTPUT_BYTES + 1)).hasMessageContaining("Stdio.file");
    assertThatThrownBy(() -> Limits.builder().outputBytes(Long.MAX_VALUE)).hasMessageContaining("in memory");
  }
}
