package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.Image;
import dev.isola.RuntimeInfo;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.testing.Run;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A spec picks its runtime by name; Isola's own is "linux", the default. */
class RuntimesTest {
  @Test
  void theLinuxEngineIsFoundAndAvailable() {
    assertThat(Container.runtimes()).contains(new RuntimeInfo("linux", Optional.empty()));
    assertThat(Container.runtimes().get(0).available()).isTrue();
  }

  @Test
  void aSpecRunsOnTheRuntimeItNames() throws Exception {
    try (Container c = Run.sh("echo on linux").runtime("linux").start()) {
      assertThat(new String(c.stdout().readAllBytes())).isEqualTo("on linux\n");
      assertThat(c.spec().runtime()).contains("linux");
    }
  }

  @Test
  void aRuntimeThatIsNotThereIsNamedWithThoseThatAre() {
    assertThatThrownBy(() -> Run.sh("true").runtime("gvisor").start()).isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("the runtime \"gvisor\"").hasMessageContaining("found: linux");
    assertThatThrownBy(() -> Run.sh("true").runtime("G Visor")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anImageKnownOnlyByReferenceIsRefusedNamingThePull() {
    assertThatThrownBy(() -> Container.builder().image(Image.remote("busybox:1.36")).command("true").start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("an image known only by its reference (busybox:1.36")
        .hasMessageContaining("Image.pull(reference)").hasMessageContaining("the runtime \"linux\"");
  }
}
