package dev.isola.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Image;
import dev.isola.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The same lifecycle on a real cluster, which the test suite does not have: run it with {@code
 * mvn -pl container-kubernetes -am verify -Pkubernetes-cluster} and {@code KUBECONFIG} (or
 * {@code ~/.kube/config}) naming a cluster whose nodes can pull {@code busybox:1.36}; {@code
 * -Dkubernetes.namespace=…} picks the namespace. The default build leaves this class out.
 */
class KubernetesClusterIT {
  private static final Image BUSYBOX = Image.remote("busybox:1.36");

  @Test
  void outputAndExitCodeComeBack() throws Exception {
    try (Container c = Container.builder().runtime("kubernetes").image(BUSYBOX)
        .command("sh", "-c", "echo from the cluster; exit 3").start()) {
      assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("from the cluster\n");
      ExitStatus s = c.waitFor();
      assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
      assertThat(s.exitCode()).isEqualTo(3);
    }
  }

  @Test
  void theMemoryLimitBitesAsAnOomKill() throws Exception {
    try (Container c = Container.builder().runtime("kubernetes").image(BUSYBOX)
        .command("sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived")
        .limits(Limits.builder().memory(32L << 20).build()).start()) {
      assertThat(c.waitFor().reason()).isEqualTo(ExitReason.OOM_KILLED);
    }
  }

  @Test
  void theWallTimeLimitIsTheDeadline() throws Exception {
    try (Container c = Container.builder().runtime("kubernetes").image(BUSYBOX).command("sleep", "600")
        .limits(Limits.builder().wallTime(Duration.ofSeconds(5)).build()).start()) {
      assertThat(c.waitFor().reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
    }
  }
}
