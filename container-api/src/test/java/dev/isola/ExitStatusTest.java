package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
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
}
