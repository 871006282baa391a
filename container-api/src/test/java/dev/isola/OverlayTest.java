package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverlayTest {
  @Test
  void ephemeralAndPersistent() {
    Overlay e = Overlay.ephemeral(List.of(Path.of("/a/../l1"), Path.of("/l2")));
    assertThat(e.lower()).containsExactly(Path.of("/l1"), Path.of("/l2"));
    assertThat(e.upper()).isEmpty();
    Overlay p = Overlay.persistent(List.of(Path.of("/l1")), Path.of("/state"));
    assertThat(p.upper()).contains(Path.of("/state"));
    assertThat(p).isEqualTo(Overlay.persistent(List.of(Path.of("/l1")), Path.of("/state"))).isNotEqualTo(e);
    assertThat(p.toString()).contains("/state");
    assertThat(e.toString()).contains("ephemeral");
  }

  @Test
  void badLayersAreNamed() {
    assertThatThrownBy(() -> Overlay.ephemeral(List.of())).hasMessageContaining("1 to 500");
    assertThatThrownBy(() -> Overlay.ephemeral(Collections.nCopies(501, Path.of("/l")))).hasMessageContaining("501");
    assertThatThrownBy(() -> Overlay.ephemeral(List.of(Path.of("l1")))).hasMessageContaining("absolute path: l1");
    assertThatThrownBy(() -> Overlay.ephemeral(List.of(Path.of("/l"), Path.of("/l/")))).hasMessageContaining("given twice");
    assertThatThrownBy(() -> Overlay.persistent(List.of(Path.of("/l")), Path.of("up"))).hasMessageContaining("absolute path: up");
    assertThatThrownBy(() -> Overlay.persistent(List.of(Path.of("/l")), Path.of("/l/up"))).hasMessageContaining("outside");
    assertThatThrownBy(() -> Overlay.persistent(List.of(Path.of("/data/l")), Path.of("/data"))).hasMessageContaining("outside");
  }

  @Test
  void aSpecWithAnOverlayIsWritableUnlessAsked() {
    ContainerSpec spec = Container.builder().overlay(Overlay.ephemeral(List.of(Path.of("/l")))).command("true").build();
    assertThat(spec.readOnlyRootfs()).isFalse();
    assertThat(spec.image()).isEmpty();
    assertThat(spec.toString()).contains("Overlay{");
    assertThat(spec.toBuilder().build()).isEqualTo(spec);
  }
}
