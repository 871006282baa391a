package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StdioTest {

  @Test
  void streamKindsWithoutFile() {
    assertThat(Stdio.pipe().kind()).isEqualTo(Stdio.Kind.PIPE);
    assertThat(Stdio.inherit().kind()).isEqualTo(Stdio.Kind.INHERIT);
    assertThat(Stdio.discard().kind()).isEqualTo(Stdio.Kind.DISCARD);
    assertThat(Stdio.pipe().file()).isEmpty();
    assertThat(Stdio.inherit().file()).isEmpty();
    assertThat(Stdio.discard().file()).isEmpty();
  }

  @Test
  void fileAndAppendKeepTheirPath() {
    Path p = Path.of("/var/log/out.txt");

    assertThat(Stdio.file(p).kind()).isEqualTo(Stdio.Kind.FILE);
    assertThat(Stdio.file(p).file()).contains(p);
    assertThat(Stdio.appendTo(p).kind()).isEqualTo(Stdio.Kind.APPEND);
    assertThat(Stdio.appendTo(p).file()).contains(p);
  }

  @Test
  void fileAndAppendRejectNull() {
    assertThatThrownBy(() -> Stdio.file(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("file");
    assertThatThrownBy(() -> Stdio.appendTo(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("file");
  }

  @Test
  void equalsAndHashCode() {
    Path p = Path.of("/a");

    assertThat(Stdio.pipe()).isEqualTo(Stdio.pipe()).hasSameHashCodeAs(Stdio.pipe());
    assertThat(Stdio.file(p)).isEqualTo(Stdio.file(Path.of("/a"))).hasSameHashCodeAs(Stdio.file(p));
    assertThat(Stdio.file(p)).isNotEqualTo(Stdio.appendTo(p));
    assertThat(Stdio.file(p)).isNotEqualTo(Stdio.file(Path.of("/b")));
    assertThat(Stdio.pipe()).isNotEqualTo(Stdio.inherit()).isNotEqualTo(Stdio.discard())
        .isNotEqualTo(null).isNotEqualTo("pipe");
  }

  @Test
  void toStringNamesKindAndFile() {
    assertThat(Stdio.pipe()).hasToString("pipe");
    assertThat(Stdio.inherit()).hasToString("inherit");
    assertThat(Stdio.discard()).hasToString("discard");
    assertThat(Stdio.file(Path.of("/a"))).hasToString("file:/a");
    assertThat(Stdio.appendTo(Path.of("/a"))).hasToString("append:/a");
  }
}
