package dev.isola.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Plays the kubelet for the mock API server, which stores pods but runs nothing: each new pod's
 * log is served, and its status goes to running, then to the outcome the test chose.
 */
final class FakeKubelet implements AutoCloseable {
  /** What happens to a pod: its log, then how it ends (or it runs on, or never starts). */
  record Outcome(String log, int exitCode, String reason, String podReason, String waitingReason, boolean runsOn) {
    static Outcome exits(int code, String log) {
      return new Outcome(log, code, code == 0 ? "Completed" : "Error", null, null, false);
    }

    static Outcome oomKilled() {
      return new Outcome("", 137, "OOMKilled", null, null, false);
    }

    static Outcome deadlineExceeded() {
      return new Outcome("", 137, "Error", "DeadlineExceeded", null, false);
    }

    static Outcome runsOn(String log) {
      return new Outcome(log, 0, null, null, null, true);
    }

    static Outcome neverStarts(String waitingReason) {
      return new Outcome("", 0, null, null, waitingReason, false);
    }
  }

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final ExecutorService worker = Executors.newSingleThreadExecutor();
  private final Watch watch;
  final List<Pod> created = new CopyOnWriteArrayList<>();
  volatile Function<Pod, Outcome> outcomes = pod -> Outcome.exits(0, "");

  FakeKubelet(KubernetesMockServer server, KubernetesClient client, String namespace) {
    this.server = server;
    this.client = client;
    this.watch = client.pods().inNamespace(namespace).watch(new Watcher<Pod>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        if (action == Action.ADDED) {
          created.add(pod);
          worker.execute(() -> run(pod));
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    });
  }

  private void run(Pod pod) {
    Outcome outcome = outcomes.apply(pod);
    String name = pod.getMetadata().getName();
    String namespace = pod.getMetadata().getNamespace();
    server.expect().get().withPath("/api/v1/namespaces/" + namespace + "/pods/" + name + "/log?pretty=false&container=main&follow=true")
        .andReturn(200, outcome.log()).always();
    if (outcome.waitingReason() != null) {
      status(pod, "Pending", null, new ContainerStateBuilder().withNewWaiting().withReason(outcome.waitingReason())
          .withMessage("failed to pull image \"" + pod.getSpec().getContainers().get(0).getImage() + "\": not found").endWaiting().build());
      return;
    }
    status(pod, "Running", null, new ContainerStateBuilder().withNewRunning().withStartedAt("2026-12-07T12:00:00Z").endRunning().build());
    if (outcome.runsOn()) {
      return;
    }
    status(pod, outcome.exitCode() == 0 ? "Succeeded" : "Failed", outcome.podReason(), new ContainerStateBuilder().withNewTerminated()
        .withExitCode(outcome.exitCode()).withReason(outcome.reason()).withFinishedAt("2026-12-07T12:00:01Z").endTerminated().build());
  }

  private void status(Pod pod, String phase, String reason, io.fabric8.kubernetes.api.model.ContainerState state) {
    Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
    if (current == null) {
      return; // deleted meanwhile
    }
    Pod updated = new PodBuilder(current).withNewStatus().withPhase(phase).withReason(reason)
        .withContainerStatuses(new ContainerStatusBuilder().withName("main").withImage(pod.getSpec().getContainers().get(0).getImage())
            .withState(state).build())
        .endStatus().build();
    client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(updated).updateStatus();
  }

  @Override
  public void close() {
    watch.close();
    worker.shutdownNow();
  }
}
