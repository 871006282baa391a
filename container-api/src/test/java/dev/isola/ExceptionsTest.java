package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ExceptionsTest {

  @Test
  void startExceptionNamesStepAndError() {
    ContainerStartException e = new ContainerStartException("mount proc on /proc", "Permission denied (EACCES)", 13);

    assertThat(e).isInstanceOf(ContainerException.class)
        .hasMessage("container setup failed at step \"mount proc on /proc\": Permission denied (EACCES)");
    assertThat(e.step()).isEqualTo("mount proc on /proc");
    assertThat(e.error()).isEqualTo("Permission denied (EACCES)");
    assertThat(e.errorNumber()).hasValue(13);
  }

  @Test
  void startExceptionWithoutErrorNumber() {
    assertThat(new ContainerStartException("s", "e", -1).errorNumber()).isEmpty();
    assertThat(new ContainerStartException("s", "e", 0).errorNumber()).hasValue(0);
  }

  @Test
  void unsupportedFeatureNamesFeatureAndReason() {
    UnsupportedFeatureException e = new UnsupportedFeatureException("cgroup limits", "kernel too old");

    assertThat(e).isInstanceOf(ContainerException.class)
        .hasMessage("cgroup limits is not available: kernel too old");
    assertThat(e.feature()).isEqualTo("cgroup limits");
  }

  @Test
  void containerExceptionKeepsMessageAndCause() {
    IOException cause = new IOException("boom");

    assertThat(new ContainerException("m", cause)).hasMessage("m").hasCause(cause);
    assertThat(new ContainerException("m")).hasMessage("m").hasNoCause();
  }
}
