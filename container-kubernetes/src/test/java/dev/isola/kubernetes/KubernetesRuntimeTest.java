package dev.isola.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Image;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Network;
import dev.isola.RuntimeInfo;
import dev.isola.Signal;
import dev.isola.UnsupportedFeatureException;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kubernetes runtime against fabric8's mock API server in CRUD mode, with {@link FakeKubelet}
 * moving each pod through its life: no real cluster is available to the test suite. The pod is
 * checked field by field as the cluster would get it, and after every test no pod or network
 * policy is left.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesRuntimeTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  private static final String NAMESPACE = "isola-test";
  private static Image busybox;
  private FakeKubelet kubelet;

  @BeforeAll
  static void pointTheRuntimeAtTheMockServer() throws IOException {
    System.setProperty("kubernetes.master", client.getMasterUrl().toString());
    System.setProperty("kubernetes.namespace", NAMESPACE);
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("isola.kubernetes.startTimeout", "PT10S");
    busybox = Image.remote("docker.io/library/busybox:1.36");
  }

  @AfterAll
  static void forgetTheMockServer() {
    for (String p : List.of("kubernetes.master", "kubernetes.namespace", "kubernetes.trust.certificates",
        "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount", "isola.kubernetes.startTimeout",
        "isola.kubernetes.runtimeClassName")) {
      System.clearProperty(p);
    }
  }

  @BeforeEach
  void startKubelet() {
    kubelet = new FakeKubelet(server, client, NAMESPACE);
  }

  @AfterEach
  void nothingIsLeftOnTheCluster() {
    kubelet.close();
    assertThat(client.pods().inNamespace(NAMESPACE).list().getItems()).as("pods left").isEmpty();
    assertThat(client.network().v1().networkPolicies().inNamespace(NAMESPACE).list().getItems()).as("policies left").isEmpty();
  }

  private static ContainerSpec.Builder spec() {
    return Container.builder().runtime("kubernetes").image(busybox);
  }

  @Test
  void aSpecBecomesAPodWhoseLogIsStdoutAndWhoseEndIsTheVerdict() throws Exception {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.exits(3, "hello from the pod\n");
    System.setProperty("isola.kubernetes.runtimeClassName", "gvisor");
    ExitStatus status;
    try (Container c = spec().command("sh", "-c", "echo hello from the pod; exit 3").env("GREETING", "hi").workingDirectory("/tmp")
        .user(1000, 1000).capabilities(Capability.NET_BIND_SERVICE).mount(Mount.tmpfs("/scratch", 64L << 20))
        .limits(Limits.builder().memory(256L << 20).cpus(0.5).wallTime(Duration.ofMillis(1500)).build())
        .hostname("judge").start()) {
      assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello from the pod\n");
      status = c.waitFor();
      assertThat(client.network().v1().networkPolicies().inNamespace(NAMESPACE).list().getItems()).isEmpty(); // gone with the pod
    } finally {
      System.clearProperty("isola.kubernetes.runtimeClassName");
    }
    assertThat(status.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(status.exitCode()).isEqualTo(3);
    assertThat(status.accounting()).isEqualTo(ExitStatus.Accounting.NONE);

    Pod pod = kubelet.created.get(0);
    assertThat(pod.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "isola");
    var spec = pod.getSpec();
    assertThat(spec.getRestartPolicy()).isEqualTo("Never");
    assertThat(spec.getRuntimeClassName()).isEqualTo("gvisor");
    assertThat(spec.getActiveDeadlineSeconds()).isEqualTo(2L); // 1.5 s, rounded up to whole seconds
    assertThat(spec.getHostname()).isEqualTo("judge");
    assertThat(spec.getHostUsers()).isFalse();
    assertThat(spec.getShareProcessNamespace()).isTrue();
    assertThat(spec.getAutomountServiceAccountToken()).isFalse();
    var container = spec.getContainers().get(0);
    assertThat(container.getImage()).isEqualTo("docker.io/library/busybox:1.36");
    assertThat(container.getCommand()).containsExactly("sh", "-c", "echo hello from the pod; exit 3");
    assertThat(container.getWorkingDir()).isEqualTo("/tmp");
    assertThat(container.getEnv()).anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("GREETING=hi"));
    assertThat(container.getResources().getLimits()).containsOnlyKeys("memory", "cpu");
    assertThat(container.getResources().getLimits().get("cpu").toString()).isEqualTo("500m");
    assertThat(container.getResources().getRequests()).isEqualTo(container.getResources().getLimits());
    SecurityContext sc = container.getSecurityContext();
    assertThat(sc.getRunAsUser()).isEqualTo(1000L);
    assertThat(sc.getRunAsGroup()).isEqualTo(1000L);
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getCapabilities().getAdd()).containsExactly("NET_BIND_SERVICE");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(spec.getVolumes().get(0).getEmptyDir().getMedium()).isEqualTo("Memory");
    assertThat(container.getVolumeMounts().get(0).getMountPath()).isEqualTo("/scratch");
  }

  @Test
  void networkNoneIsADenyAllPolicyAndHostIsTheNodesNetwork() throws Exception {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.runsOn("");
    try (Container c = spec().command("sleep", "60").start()) {
      var policies = client.network().v1().networkPolicies().inNamespace(NAMESPACE).list().getItems();
      assertThat(policies).hasSize(1);
      assertThat(policies.get(0).getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
      assertThat(policies.get(0).getSpec().getIngress()).isNullOrEmpty();
      assertThat(policies.get(0).getSpec().getPodSelector().getMatchLabels())
          .isEqualTo(kubelet.created.get(0).getMetadata().getLabels().entrySet().stream()
              .filter(e -> e.getKey().equals("isola.dev/container")).collect(java.util.stream.Collectors.toMap(e -> e.getKey(), e -> e.getValue())));
    }
    try (Container c = spec().network(Network.host()).command("sleep", "60").start()) {
      assertThat(kubelet.created.get(1).getSpec().getHostNetwork()).isTrue();
      assertThat(client.network().v1().networkPolicies().inNamespace(NAMESPACE).list().getItems()).isEmpty();
    }
  }

  @Test
  void oomKilledAndDeadlineExceededAreTheirVerdicts() throws Exception {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.oomKilled();
    try (Container c = spec().limits(Limits.builder().memory(16L << 20).build()).start()) {
      ExitStatus s = c.waitFor();
      assertThat(s.reason()).isEqualTo(ExitReason.OOM_KILLED);
      assertThat(s.exitCode()).isEqualTo(137);
      assertThat(s.signal()).hasValue(Signal.KILL);
    }
    assertThat(kubelet.created.get(0).getSpec().getContainers().get(0).getCommand()).as("the image's own").isNullOrEmpty();
    kubelet.outcomes = pod -> FakeKubelet.Outcome.deadlineExceeded();
    try (Container c = spec().limits(Limits.builder().wallTime(Duration.ofSeconds(1)).build()).start()) {
      assertThat(c.waitFor().reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
    }
  }

  @Test
  void killDeletesThePodAndTheVerdictSaysKilled() throws Exception {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.runsOn("");
    try (Container c = spec().command("sleep", "60").start()) {
      assertThat(c.isAlive()).isTrue();
      c.kill(Signal.KILL);
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      assertThat(s.signal()).hasValue(Signal.KILL);
      assertThatThrownBy(() -> c.kill(Signal.USR1)).isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("TERM (with its grace period) or KILL");
    }
  }

  @Test
  void closeDeletesARunningPodEvenWhenTheTestFails() {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.runsOn("");
    assertThatThrownBy(() -> {
      try (Container c = spec().command("sleep", "60").start()) {
        throw new AssertionError("a failing test");
      }
    }).hasMessage("a failing test");
    // nothingIsLeftOnTheCluster checks the pod is gone
  }

  @Test
  void anImageThatCannotBePulledFailsTheStartAndLeavesNothing() {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.neverStarts("ErrImagePull");
    assertThatThrownBy(() -> spec().start()).isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("ErrImagePull").hasMessageContaining("docker.io/library/busybox:1.36");
  }

  @Test
  void whatAPodCannotEnforceIsRefusedBeforeAnythingIsCreated() throws IOException {
    Path dir = Files.createTempDirectory("isola-k8s-rootfs-");
    try {
      assertThatThrownBy(() -> Container.builder().runtime("kubernetes").rootfs(dir).command("true").start())
          .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("a host rootfs directory")
          .hasMessageContaining("the runtime \"kubernetes\"");
      assertThatThrownBy(() -> spec().limits(Limits.builder().pids(10).build()).start())
          .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("a pids limit");
      assertThatThrownBy(() -> spec().mount(Mount.bind(dir, "/data")).start())
          .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("bind mount of the host path " + dir);
      assertThatThrownBy(() -> spec().network(Network.userMode().publish(80)).start())
          .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("expose the pod with a Service");
      assertThat(kubelet.created).isEmpty();
    } finally {
      Files.delete(dir);
    }
  }

  @Test
  void anUnreachableClusterIsAStartFailureNamingIt() throws IOException {
    String master = System.getProperty("kubernetes.master");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    System.setProperty("kubernetes.master", "http://127.0.0.1:" + port);
    try {
      assertThatThrownBy(() -> spec().start()).isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("http://127.0.0.1:" + port).hasMessageContaining("cannot reach the cluster")
          .hasMessageContaining("nothing was created");
    } finally {
      System.setProperty("kubernetes.master", master);
    }
  }

  @Test
  void theRuntimeIsListedButNeverChosenForASpecThatNamesNone() {
    assertThat(Container.runtimes()).extracting(RuntimeInfo::name).contains("kubernetes");
    assertThat(new KubernetesRuntimeProvider().selectedByDefault()).isFalse();
  }

  @Test
  void aJvmThatExitsWithoutClosingDeletesItsPods() throws Exception {
    kubelet.outcomes = pod -> FakeKubelet.Outcome.runsOn("");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dkubernetes.master=" + client.getMasterUrl(), "-Dkubernetes.namespace=" + NAMESPACE,
        "-Dkubernetes.trust.certificates=true", "-Dkubernetes.auth.tryKubeConfig=false", "-Dkubernetes.auth.tryServiceAccount=false",
        "-cp", System.getProperty("java.class.path"), LeavesAPodRunning.class.getName());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("started isola-");
    assertThat(kubelet.created).hasSize(1);
  }

  /** Starts a pod and exits without closing it. */
  static final class LeavesAPodRunning {
    public static void main(String[] args) {
      Container c = Container.builder().runtime("kubernetes").image(Image.remote("busybox:1.36")).command("sleep", "60").start();
      System.out.println("started isola- pod: " + c.isAlive());
      System.exit(0); // no close(): the shutdown hook deletes the pod
    }
  }
}
