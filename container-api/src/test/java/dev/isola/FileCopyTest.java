package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FileCopyTest {
  @Test
  void aCopyOfBytesKeepsItsOwnCopy() {
    byte[] content = {1, 2, 3};
    FileCopy f = FileCopy.of(content, "/etc//x", 0640);
    content[0] = 9;
    assertThat(f.content()).hasValueSatisfying(c -> assertThat(c).containsExactly(1, 2, 3));
    f.content().get()[1] = 9;
    assertThat(f.content().get()).containsExactly(1, 2, 3);
    assertThat(f.target()).isEqualTo("/etc/x");
    assertThat(f.mode()).isEqualTo(0640);
    assertThat(f.source()).isEmpty();
    assertThat(f).isEqualTo(FileCopy.of(new byte[] {1, 2, 3}, "/etc/x", 0640)).hasSameHashCodeAs(FileCopy.of(new byte[] {1, 2, 3}, "/etc/x", 0640));
    assertThat(f.toString()).contains("3 bytes", "0640", "/etc/x");
  }

  @Test
  void aCopyOfAHostPath() {
    FileCopy f = FileCopy.of(Path.of("/srv/app/../app"), "/opt/app");
    assertThat(f.source()).contains(Path.of("/srv/app"));
    assertThat(f.content()).isEmpty();
    assertThat(f.toString()).contains("/srv/app -> /opt/app");
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> FileCopy.of(Path.of("rel"), "/x")).hasMessageContaining("absolute path: rel");
    assertThatThrownBy(() -> FileCopy.of(new byte[0], "x", 0644)).hasMessageContaining("\"x\"");
    assertThatThrownBy(() -> FileCopy.of(new byte[0], "/a/../b", 0644)).hasMessageContaining("..");
    assertThatThrownBy(() -> FileCopy.of(new byte[0], "/", 0644)).hasMessageContaining("not /");
    assertThatThrownBy(() -> FileCopy.of(new byte[0], "/x", 010000)).hasMessageContaining("010000");
  }

  @Test
  void copiesNeedARootToGoInto() {
    assertThatThrownBy(() -> Container.builder().copy(FileCopy.of(new byte[0], "/x", 0644)).command("true").build())
        .hasMessageContaining("needs a rootfs, an overlay or an image");
    ContainerSpec spec = Container.builder().rootfs(Path.of("/r")).copy(FileCopy.of(new byte[0], "/x", 0644)).command("true").build();
    assertThat(spec.files()).hasSize(1);
    assertThat(spec.toBuilder().build()).isEqualTo(spec);
  }

  @Test
  void theUserIsCheckedEarly() {
    assertThatThrownBy(() -> Container.builder().user(0, -5)).hasMessageContaining("gid must be within 0..4294967294: -5");
    assertThat(Container.builder().user(1000, 1000).command("true").build().uid()).isEqualTo(1000);
  }
}
