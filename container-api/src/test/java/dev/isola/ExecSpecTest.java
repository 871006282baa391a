package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** An exec's spec: the container's unless set, and bad values named at once. */
class ExecSpecTest {
  @Test
  void onlyTheCommandIsNeededAndTheRestIsTheContainers() {
    ExecSpec s = ExecSpec.of("ls", "-l");
    assertThat(s.command()).containsExactly("ls", "-l");
    assertThat(s.env()).isEmpty();
    assertThat(s.workingDirectory()).isEmpty();
    assertThat(s.uid()).isEmpty();
    assertThat(s.gid()).isEmpty();
  }

  @Test
  void everythingSetIsKeptAndComparedByValue() {
    ExecSpec a = ExecSpec.builder().command("sh").env("A", "b").workingDirectory("/tmp/./x").user(1000, 100).build();
    assertThat(a.env()).isEqualTo(Map.of("A", "b"));
    assertThat(a.workingDirectory()).contains("/tmp/x");
    assertThat(a.uid()).hasValue(1000);
    assertThat(a.gid()).hasValue(100);
    ExecSpec b = ExecSpec.builder().command("sh").env("A", "b").workingDirectory("/tmp/x").user(1000, 100).build();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(ExecSpec.of("sh"));
    assertThat(a.toString()).contains("[sh]", "/tmp/x", "1000:100");
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> ExecSpec.builder().build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a command");
    assertThatThrownBy(() -> ExecSpec.builder().workingDirectory("tmp")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute").hasMessageContaining("\"tmp\"");
    assertThatThrownBy(() -> ExecSpec.builder().env("A B", "x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not portable");
    assertThatThrownBy(() -> ExecSpec.builder().command("a\0b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> ExecSpec.builder().user(-1, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uid");
  }
}
