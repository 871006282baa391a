package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.spi.ContainerRuntimeProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** container-api's tests have no runtime on the class path: every start must say what to add. */
class ContainerTest {

  @Test
  void noProviderIsOnTheTestClassPath() {
    assertThat(ServiceLoader.load(ContainerRuntimeProvider.class, Container.class.getClassLoader()))
        .isEmpty();
  }

  @Test
  void noRuntimeIsListedAndNoneCanBeNamed() {
    assertThat(Container.runtimes()).isEmpty();
    assertThatThrownBy(() -> Container.builder().command("true").runtime("linux").start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("the runtime \"linux\"")
        .hasMessageContaining("no runtime of that name");
  }

  @Test
  void startWithoutRuntimeNamesTheArtifactToAdd() {
    ContainerSpec spec = Container.builder().command("true").build();

    assertThatThrownBy(() -> Container.start(spec))
        .isInstanceOf(UnsupportedFeatureException.class)
        .isInstanceOf(ContainerException.class)
        .hasMessageContaining("dev.isola:container-linux")
        .hasMessageContaining("no container runtime on the class path")
        .satisfies(e -> assertThat(((UnsupportedFeatureException) e).feature()).isEqualTo("starting a container"));
  }

  @Test
  void builderStartWithoutRuntimeNamesTheArtifactToAdd() {
    assertThatThrownBy(() -> Container.builder().command("true").start())
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("dev.isola:container-linux");
  }

  @Test
  void everyStartFailsTheSameWay() {
    ContainerSpec spec = Container.builder().command("true").build();
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> Container.start(spec))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("dev.isola:container-linux");
    }
  }

  @Test
  void builderStartChecksTheSpecFirst() {
    assertThatThrownBy(() -> Container.builder().start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("command must name a program");
  }

  @Test
  void startRejectsNull() {
    assertThatThrownBy(() -> Container.start(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("spec");
  }

  @Test
  void builderReturnsAFreshBuilderEachTime() {
    ContainerSpec.Builder a = Container.builder().command("a");
    ContainerSpec.Builder b = Container.builder();

    assertThat(a).isNotSameAs(b);
    assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class);
  }
}
