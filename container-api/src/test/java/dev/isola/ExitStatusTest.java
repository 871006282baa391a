package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExitStatusTest {
  private static final Duration T = Duration.ofMillis(1234);

  @Test
  void exitedZeroIsSuccess() {
    ExitStatus s = ExitStatus.exited(0, T);

    assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(s.exitCode()).isZero();
    assertThat(s.signal()).isEmpty();
    assertThat(s.wallTime()).isEqualTo(T);
    assertThat(s.isSuccess()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 127, 128, 137, 255})
  void exitedNonZeroIsNotSuccess(int code) {
    ExitStatus s = ExitStatus.exited(code, T);

    assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(s.exitCode()).isEqualTo(code);
    assertThat(s.signal()).isEmpty();
    assertThat(s.isSuccess()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 256, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void exitedRejectsCodesOutside0To255(int code) {
    assertThatThrownBy(() -> ExitStatus.exited(code, T))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exit code")
        .hasMessageContaining("0..255")
        .hasMessageContaining(": " + code);
  }

  @Test
  void signaledByOthersIsSignaled() {
    ExitStatus s = ExitStatus.signaled(11, Signal.SEGV, false, T);

    assertThat(s.reason()).isEqualTo(ExitReason.SIGNALED);
    assertThat(s.exitCode()).isEqualTo(128 + 11);
    assertThat(s.signal()).contains(Signal.SEGV);
    assertThat(s.wallTime()).isEqualTo(T);
    assertThat(s.isSuccess()).isFalse();
  }

  @Test
  void signaledByCallerIsKilled() {
    ExitStatus s = ExitStatus.signaled(9, Signal.KILL, true, T);

    assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
    assertThat(s.exitCode()).isEqualTo(137);
    assertThat(s.signal()).contains(Signal.KILL);
    assertThat(s.isSuccess()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 15, 34, 64, 127})
  void signaledExitCodeIs128PlusNumber(int number) {
    assertThat(ExitStatus.signaled(number, null, false, T).exitCode()).isEqualTo(128 + number);
    assertThat(ExitStatus.signaled(number, null, true, T).exitCode()).isEqualTo(128 + number);
  }

  @Test
  void signalWithoutNameIsEmpty() {
    ExitStatus s = ExitStatus.signaled(34, null, false, T);

    assertThat(s.signal()).isEmpty();
    assertThat(s.reason()).isEqualTo(ExitReason.SIGNALED);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 128, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void signaledRejectsNumbersOutside1To127(int number) {
    assertThatThrownBy(() -> ExitStatus.signaled(number, null, false, T))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("signal number")
        .hasMessageContaining("1..127")
        .hasMessageContaining(": " + number);
  }

  @Test
  void successNeedsExitedNotJustCodeZero() {
    // A signal can never produce exit code 0, but make sure isSuccess() looks at the reason too.
    assertThat(ExitStatus.signaled(1, Signal.HUP, false, T).isSuccess()).isFalse();
  }

  @Test
  void equalsAndHashCodeCompareEveryField() {
    ExitStatus a = ExitStatus.signaled(15, Signal.TERM, true, T);

    assertThat(a).isEqualTo(ExitStatus.signaled(15, Signal.TERM, true, Duration.ofMillis(1234)))
        .hasSameHashCodeAs(ExitStatus.signaled(15, Signal.TERM, true, T));
    assertThat(a).isNotEqualTo(ExitStatus.signaled(15, Signal.TERM, false, T));
    assertThat(a).isNotEqualTo(ExitStatus.signaled(15, null, true, T));
    assertThat(a).isNotEqualTo(ExitStatus.signaled(14, Signal.TERM, true, T));
    assertThat(a).isNotEqualTo(ExitStatus.signaled(15, Signal.TERM, true, T.plusMillis(1)));
    assertThat(a).isNotEqualTo(ExitStatus.exited(143, T));
    assertThat(a).isNotEqualTo(null).isNotEqualTo("143");
    assertThat(ExitStatus.exited(3, T)).isEqualTo(ExitStatus.exited(3, T))
        .hasSameHashCodeAs(ExitStatus.exited(3, T))
        .isNotEqualTo(ExitStatus.exited(4, T));
  }

  @Test
  void toStringDescribesHowItEnded() {
    assertThat(ExitStatus.exited(3, T).toString()).contains("exited with code 3", "1234 ms");
    assertThat(ExitStatus.signaled(9, Signal.KILL, true, T).toString())
        .contains("killed by caller", "SIGKILL", "1234 ms");
    assertThat(ExitStatus.signaled(11, Signal.SEGV, false, T).toString())
        .contains("ended by signal", "SIGSEGV");
    assertThat(ExitStatus.signaled(34, null, false, T).toString()).contains("number 34");
  }

  @Nested
  class Building {
    private final Duration user = Duration.ofMillis(1500);
    private final Duration system = Duration.ofMillis(250);

    private ExitStatus full() {
      return ExitStatus.builder()
          .signaled(9, Signal.KILL)
          .reason(ExitReason.CPU_TIME_LIMIT)
          .wallTime(T)
          .cpuTime(user, system)
          .peakMemoryBytes(64 << 20)
          .outputTruncated(true)
          .build();
    }

    @Test
    void keepsEveryValueSet() {
      ExitStatus s = full();

      assertThat(s.reason()).isEqualTo(ExitReason.CPU_TIME_LIMIT);
      assertThat(s.exitCode()).isEqualTo(137);
      assertThat(s.signal()).contains(Signal.KILL);
      assertThat(s.wallTime()).isEqualTo(T);
      assertThat(s.userCpuTime()).isEqualTo(user);
      assertThat(s.systemCpuTime()).isEqualTo(system);
      assertThat(s.peakMemoryBytes()).isEqualTo(64 << 20);
      assertThat(s.outputTruncated()).isTrue();
      assertThat(s.isSuccess()).isFalse();
    }

    @Test
    void usageDefaultsToNothing() {
      ExitStatus s = ExitStatus.builder().exited(0).wallTime(T).build();

      assertThat(s.userCpuTime()).isZero();
      assertThat(s.systemCpuTime()).isZero();
      assertThat(s.cpuTime()).isZero();
      assertThat(s.peakMemoryBytes()).isZero();
      assertThat(s.outputTruncated()).isFalse();
      assertThat(s).isEqualTo(ExitStatus.exited(0, T));
    }

    @Test
    void shorthandsEqualTheBuilder() {
      assertThat(ExitStatus.exited(3, T)).isEqualTo(ExitStatus.builder().exited(3).wallTime(T).build());
      assertThat(ExitStatus.signaled(15, Signal.TERM, false, T))
          .isEqualTo(ExitStatus.builder().signaled(15, Signal.TERM).wallTime(T).build());
      assertThat(ExitStatus.signaled(15, Signal.TERM, true, T))
          .isEqualTo(ExitStatus.builder().signaled(15, Signal.TERM).reason(ExitReason.KILLED).wallTime(T).build());
    }

    @Test
    void cpuTimeIsUserPlusSystem() {
      assertThat(full().cpuTime()).isEqualTo(Duration.ofMillis(1750));
      assertThat(ExitStatus.builder().exited(0).wallTime(T).cpuTime(Duration.ofNanos(1), Duration.ofSeconds(2))
          .build().cpuTime()).isEqualTo(Duration.ofSeconds(2).plusNanos(1));
    }

    @Test
    void buildWithoutExitedOrSignaledFails() {
      assertThatThrownBy(() -> ExitStatus.builder().wallTime(T).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("say how the process ended")
          .hasMessageContaining("exited(code) or signaled(number, signal)");
      assertThatThrownBy(() -> ExitStatus.builder().build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("say how the process ended");
    }

    @Test
    void aReasonAloneDoesNotSayHowTheProcessEnded() {
      assertThatThrownBy(() -> ExitStatus.builder().reason(ExitReason.OOM_KILLED).wallTime(T).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("say how the process ended");
      assertThatThrownBy(() -> ExitStatus.builder().reason(ExitReason.EXITED).wallTime(T).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("say how the process ended");
    }

    @Test
    void buildWithoutWallTimeFails() {
      assertThatThrownBy(() -> ExitStatus.builder().exited(0).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("wall time is not set");
      assertThatThrownBy(() -> ExitStatus.builder().signaled(9, Signal.KILL).cpuTime(T, T).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("wall time");
    }

    @Test
    void zeroIsAValidWallTimeAndUsage() {
      ExitStatus s = ExitStatus.builder().exited(0).wallTime(Duration.ZERO).cpuTime(Duration.ZERO, Duration.ZERO)
          .peakMemoryBytes(0).build();

      assertThat(s.wallTime()).isZero();
      assertThat(s.cpuTime()).isZero();
    }

    @ParameterizedTest
    @EnumSource(ExitReason.class)
    void reasonSetAfterExitedOverridesIt(ExitReason reason) {
      ExitStatus s = ExitStatus.builder().exited(0).reason(reason).wallTime(T).build();

      assertThat(s.reason()).isEqualTo(reason);
      assertThat(s.exitCode()).isZero();
      assertThat(s.signal()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(ExitReason.class)
    void reasonSetAfterSignaledOverridesIt(ExitReason reason) {
      ExitStatus s = ExitStatus.builder().signaled(9, Signal.KILL).reason(reason).wallTime(T).build();

      assertThat(s.reason()).isEqualTo(reason);
      assertThat(s.exitCode()).isEqualTo(137);
      assertThat(s.signal()).contains(Signal.KILL);
    }

    @Test
    void exitedOrSignaledAfterAReasonResetsIt() {
      assertThat(ExitStatus.builder().reason(ExitReason.OOM_KILLED).exited(1).wallTime(T).build().reason())
          .isEqualTo(ExitReason.EXITED);
      assertThat(ExitStatus.builder().reason(ExitReason.KILLED).signaled(11, Signal.SEGV).wallTime(T).build().reason())
          .isEqualTo(ExitReason.SIGNALED);
    }

    @Test
    void laterEndReplacesEarlier() {
      ExitStatus exitedLast = ExitStatus.builder().signaled(9, Signal.KILL).exited(2).wallTime(T).build();
      ExitStatus signaledLast = ExitStatus.builder().exited(2).signaled(15, Signal.TERM).wallTime(T).build();

      assertThat(exitedLast).isEqualTo(ExitStatus.exited(2, T));
      assertThat(exitedLast.signal()).isEmpty();
      assertThat(signaledLast).isEqualTo(ExitStatus.signaled(15, Signal.TERM, false, T));
    }

    @ParameterizedTest
    @EnumSource(ExitReason.class)
    void onlyExitedWithCodeZeroIsSuccess(ExitReason reason) {
      assertThat(ExitStatus.builder().exited(0).reason(reason).wallTime(T).build().isSuccess())
          .isEqualTo(reason == ExitReason.EXITED);
      assertThat(ExitStatus.builder().exited(1).reason(reason).wallTime(T).build().isSuccess()).isFalse();
      assertThat(ExitStatus.builder().signaled(9, Signal.KILL).reason(reason).wallTime(T).build().isSuccess()).isFalse();
    }

    @Test
    void successIgnoresUsageAndTruncation() {
      assertThat(ExitStatus.builder().exited(0).wallTime(T).cpuTime(user, system).peakMemoryBytes(1).build().isSuccess())
          .isTrue();
    }

    @Test
    void negativeTimesAreRejectedNamingThem() {
      Duration minus = Duration.ofMillis(-1);

      assertThatThrownBy(() -> ExitStatus.builder().wallTime(minus))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("wall time must not be negative")
          .hasMessageEndingWith(": " + minus);
      assertThatThrownBy(() -> ExitStatus.builder().cpuTime(minus, Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("user CPU time must not be negative")
          .hasMessageEndingWith(": " + minus);
      assertThatThrownBy(() -> ExitStatus.builder().cpuTime(Duration.ZERO, minus))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("system CPU time must not be negative")
          .hasMessageEndingWith(": " + minus);
    }

    @Test
    void aRejectedCpuTimeLeavesBothTimesAsTheyWere() {
      ExitStatus.Builder b = ExitStatus.builder().exited(0).wallTime(T).cpuTime(user, system);

      assertThatThrownBy(() -> b.cpuTime(Duration.ofSeconds(9), Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(b.build().userCpuTime()).isEqualTo(user);
      assertThat(b.build().systemCpuTime()).isEqualTo(system);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE})
    void negativePeakMemoryIsRejectedNamingIt(long bytes) {
      assertThatThrownBy(() -> ExitStatus.builder().peakMemoryBytes(bytes))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("peak memory must not be negative")
          .hasMessageEndingWith(": " + bytes);
    }

    @Test
    void nullsAreRejectedNamingThem() {
      assertThatThrownBy(() -> ExitStatus.builder().reason(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("reason");
      assertThatThrownBy(() -> ExitStatus.builder().wallTime(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("wall time");
      assertThatThrownBy(() -> ExitStatus.builder().cpuTime(null, Duration.ZERO))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("user CPU time");
      assertThatThrownBy(() -> ExitStatus.builder().cpuTime(Duration.ZERO, null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("system CPU time");
    }

    @Test
    void builderRangeChecksMatchTheShorthands() {
      assertThatThrownBy(() -> ExitStatus.builder().exited(256))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..255").hasMessageEndingWith(": 256");
      assertThatThrownBy(() -> ExitStatus.builder().signaled(0, null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..127").hasMessageEndingWith(": 0");
    }

    @Test
    void toBuilderRoundTrips() {
      for (ExitStatus s : List.of(full(), ExitStatus.exited(0, T), ExitStatus.exited(255, Duration.ZERO),
          ExitStatus.signaled(34, null, false, T), ExitStatus.signaled(15, Signal.TERM, true, T),
          ExitStatus.builder().exited(0).reason(ExitReason.WALL_TIME_LIMIT).wallTime(T).outputTruncated(true).build())) {
        ExitStatus copy = s.toBuilder().build();
        assertThat(copy).isEqualTo(s).hasSameHashCodeAs(s).hasToString(s.toString());
        assertThat(copy.reason()).isEqualTo(s.reason());
        assertThat(copy.signal()).isEqualTo(s.signal());
        assertThat(copy.userCpuTime()).isEqualTo(s.userCpuTime());
        assertThat(copy.systemCpuTime()).isEqualTo(s.systemCpuTime());
        assertThat(copy.peakMemoryBytes()).isEqualTo(s.peakMemoryBytes());
        assertThat(copy.outputTruncated()).isEqualTo(s.outputTruncated());
      }
    }

    @Test
    void changingTheToBuilderLeavesTheStatusAlone() {
      ExitStatus s = full();
      String before = s.toString();
      s.toBuilder().exited(0).wallTime(Duration.ZERO).cpuTime(Duration.ZERO, Duration.ZERO).peakMemoryBytes(0)
          .outputTruncated(false).build();

      assertThat(s).isEqualTo(full()).hasToString(before);
    }

    @Test
    void changingTheBuilderAfterBuildLeavesTheStatusAlone() {
      ExitStatus.Builder b = ExitStatus.builder().exited(0).wallTime(T);
      ExitStatus first = b.build();

      b.signaled(9, Signal.KILL).reason(ExitReason.OOM_KILLED).wallTime(Duration.ZERO).cpuTime(user, system)
          .peakMemoryBytes(5).outputTruncated(true);

      assertThat(first).isEqualTo(ExitStatus.exited(0, T));
      assertThat(first.isSuccess()).isTrue();
      assertThat(b.build()).isNotEqualTo(first);
    }

    @Test
    void everyFieldTakesPartInEquals() {
      ExitStatus base = full();
      List<ExitStatus> variants = List.of(
          base.toBuilder().reason(ExitReason.WALL_TIME_LIMIT).build(),
          base.toBuilder().signaled(15, Signal.KILL).reason(ExitReason.CPU_TIME_LIMIT).build(),
          base.toBuilder().signaled(9, null).reason(ExitReason.CPU_TIME_LIMIT).build(),
          base.toBuilder().wallTime(T.plusNanos(1)).build(),
          base.toBuilder().cpuTime(user.plusNanos(1), system).build(),
          base.toBuilder().cpuTime(user, system.plusNanos(1)).build(),
          // same total, split differently
          base.toBuilder().cpuTime(system, user).build(),
          base.toBuilder().peakMemoryBytes((64 << 20) + 1).build(),
          base.toBuilder().outputTruncated(false).build(),
          base.toBuilder().accounting(ExitStatus.Accounting.RUSAGE).build(),
          base.toBuilder().oomKills(1).build(),
          base.toBuilder().runtimeFailure("the launch server died").build());

      for (ExitStatus v : variants) {
        assertThat(v).as(v.toString()).isNotEqualTo(base);
        assertThat(base).isNotEqualTo(v);
      }
    }
  }

  @Nested
  class ToStringOfVerdicts {
    private ExitStatus killedFor(ExitReason reason) {
      return ExitStatus.builder().signaled(9, Signal.KILL).reason(reason).wallTime(T).build();
    }

    @Test
    void namesEachLimitReason() {
      assertThat(killedFor(ExitReason.OOM_KILLED).toString()).contains("oom killed (SIGKILL)");
      assertThat(killedFor(ExitReason.WALL_TIME_LIMIT).toString()).contains("wall time limit (SIGKILL)");
      assertThat(killedFor(ExitReason.CPU_TIME_LIMIT).toString()).contains("cpu time limit (SIGKILL)");
      assertThat(killedFor(ExitReason.OUTPUT_LIMIT).toString()).contains("output limit (SIGKILL)");
    }

    @Test
    void aLimitWithAnUnnamedSignalGivesItsNumber() {
      assertThat(ExitStatus.builder().signaled(34, null).reason(ExitReason.WALL_TIME_LIMIT).wallTime(T).build()
          .toString()).contains("wall time limit (number 34)");
    }

    @Test
    void aLimitReachedByAProcessThatExitedGivesTheExitCode() {
      assertThat(ExitStatus.builder().exited(0).reason(ExitReason.CPU_TIME_LIMIT).wallTime(T).build().toString())
          .contains("cpu time limit (exit code 0)");
      assertThat(ExitStatus.builder().exited(3).reason(ExitReason.OUTPUT_LIMIT).wallTime(T).build().toString())
          .contains("output limit (exit code 3)");
    }

    @Test
    void aLimitReachedByAProcessThatExitedAbove128GivesTheExitCodeNotASignal() {
      // A process may end within the CPU time grace with any code; 200 is not signal 72.
      ExitStatus exited = ExitStatus.builder().exited(200).reason(ExitReason.CPU_TIME_LIMIT).wallTime(T).build();
      ExitStatus signaled = ExitStatus.builder().signaled(72, null).reason(ExitReason.CPU_TIME_LIMIT).wallTime(T).build();

      assertThat(exited.toString()).contains("cpu time limit (exit code 200)").doesNotContain("number");
      assertThat(exited.toBuilder().build()).hasToString(exited.toString()).isEqualTo(exited);
      assertThat(signaled.toString()).contains("cpu time limit (number 72)");
      assertThat(exited.exitCode()).isEqualTo(signaled.exitCode());
      assertThat(exited).isNotEqualTo(signaled);
      assertThat(signaled).isNotEqualTo(exited);
    }

    @Test
    void namesTheUsage() {
      ExitStatus s = ExitStatus.builder().exited(0).wallTime(T).cpuTime(Duration.ofMillis(1500), Duration.ofMillis(250))
          .peakMemoryBytes(4096).build();

      assertThat(s).hasToString("ExitStatus{exited with code 0 after 1234 ms, cpu 1750 ms, peak memory 4096 bytes}");
    }

    @Test
    void mentionsTruncatedOutputOnlyWhenTruncated() {
      assertThat(ExitStatus.builder().exited(0).wallTime(T).outputTruncated(true).build().toString())
          .endsWith(", output truncated}");
      assertThat(ExitStatus.exited(0, T).toString()).doesNotContain("truncated");
    }

    @ParameterizedTest
    @EnumSource(ExitReason.class)
    void differsForEveryReason(ExitReason reason) {
      String s = killedFor(reason).toString();
      for (ExitReason other : ExitReason.values()) {
        if (other != reason) {
          assertThat(killedFor(other).toString()).as(other.name()).isNotEqualTo(s);
        }
      }
    }
  }

  @Nested
  class AccountingOomKillsAndRuntimeFailures {
    @Test
    void measuredByTheCgroupUnlessSaidOtherwise() {
      assertThat(ExitStatus.exited(0, T).accounting()).isEqualTo(ExitStatus.Accounting.CGROUP);
      assertThat(ExitStatus.exited(0, T).oomKills()).isZero();
      assertThat(ExitStatus.exited(0, T).runtimeFailure()).isEmpty();
    }

    @Test
    void estimatesAndUnmeasuredUsageSaySoInToString() {
      ExitStatus.Builder b = ExitStatus.builder().exited(0).wallTime(T).cpuTime(Duration.ofMillis(7), Duration.ZERO)
          .peakMemoryBytes(4096);
      assertThat(b.accounting(ExitStatus.Accounting.RUSAGE).build().toString())
          .contains("cpu 7 ms, peak memory 4096 bytes (estimates from wait4)");
      assertThat(b.accounting(ExitStatus.Accounting.NONE).build().toString())
          .contains("usage not measured").doesNotContain("cpu");
      assertThatThrownBy(() -> ExitStatus.builder().accounting(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void oomKillsOfOtherProcessesAreCountedWhateverTheReason() {
      ExitStatus s = ExitStatus.builder().exited(0).wallTime(T).oomKills(2).build();
      assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
      assertThat(s.oomKills()).isEqualTo(2);
      assertThat(s.toString()).contains(", 2 OOM kills");
      assertThat(s.toBuilder().oomKills(1).build().toString()).contains(", 1 OOM kill}");
      assertThatThrownBy(() -> ExitStatus.builder().oomKills(-1)).hasMessageContaining("-1");
    }

    @Test
    void aRuntimeFailureNamesWhatFailedAndBlamesNoProcess() {
      ExitStatus s = ExitStatus.builder().signaled(9, Signal.KILL).runtimeFailure("the launch server died").wallTime(T).build();
      assertThat(s.reason()).isEqualTo(ExitReason.RUNTIME_FAILURE);
      assertThat(s.runtimeFailure()).contains("the launch server died");
      assertThat(s.isSuccess()).isFalse();
      assertThat(s.toString()).contains("ended by a runtime failure (the launch server died; SIGKILL)");
      ExitStatus relabelled = s.toBuilder().reason(ExitReason.KILLED).build();
      assertThat(relabelled.runtimeFailure()).isEmpty();
    }
  }
}
