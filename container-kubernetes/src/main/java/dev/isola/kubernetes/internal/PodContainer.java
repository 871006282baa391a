package dev.isola.kubernetes.internal;

import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.ContainerStats;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Network;
import dev.isola.Signal;
import dev.isola.Stdio;
import dev.isola.TerminalSize;
import dev.isola.UnsupportedFeatureException;
import dev.isola.spi.RunningContainer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One spec as one Pod: created (with its NetworkPolicy for {@code Network.none()}), watched until
 * its container runs and until it ends, its log as standard output, deleted by {@code kill} and
 * {@code close}. A JVM that ends normally deletes its pods on the way out; one killed outright
 * leaves them to their {@code activeDeadlineSeconds}, labelled {@code
 * app.kubernetes.io/managed-by=isola} for cleanup.
 */
public final class PodContainer implements RunningContainer {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ContainerSpec spec;
  private final Cluster cluster;
  private final KubernetesClient client;
  private final String name;
  private final Map<String, String> labels;
  private final CompletableFuture<Void> running = new CompletableFuture<>();
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final Thread cleanup = new Thread(this::close, "isola-kubernetes-cleanup");
  private volatile long startNanos = System.nanoTime();
  private volatile boolean killedByCaller;
  private volatile @Nullable Watch watch;
  private volatile @Nullable LogWatch log;
  private volatile boolean policyCreated;
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean ending = new java.util.concurrent.atomic.AtomicBoolean();

  private PodContainer(ContainerSpec spec, Cluster cluster, KubernetesClient client, String name) {
    this.spec = spec;
    this.cluster = cluster;
    this.client = client;
    this.name = name;
    this.labels = Map.of(PodSpecs.MANAGED_BY, "isola", PodSpecs.CONTAINER_LABEL, name);
  }

  /** Creates the pod and returns once its container runs (or has already ended); else leaves nothing. */
  public static PodContainer start(ContainerSpec spec, Cluster cluster) {
    PodSpecs.unsupported(spec).ifPresent(what -> {
      throw new UnsupportedFeatureException(what, "the runtime \"kubernetes\" cannot enforce it");
    });
    String name = "isola-" + HexFormat.of().formatHex(bytes(6));
    KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.config).build();
    PodContainer c = new PodContainer(spec, cluster, client, name);
    try {
      c.create();
      c.awaitRunning();
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private PodResource pod() {
    return client.pods().inNamespace(cluster.namespace).withName(name);
  }

  private void create() {
    try {
      watch = pod().watch(new Watcher<Pod>() {
        @Override
        public void eventReceived(Action action, Pod pod) {
          observe(action, pod);
        }

        @Override
        public void onClose(WatcherException e) {
          if (!exit.isDone() && !closed) {
            ended(PodVerdict.deleted(false, elapsed()).toBuilder()
                .runtimeFailure("the watch of pod " + name + " failed: " + e.getMessage()).build());
          }
        }
      });
      if (spec.network().mode() == Network.Mode.NONE) {
        client.network().v1().networkPolicies().inNamespace(cluster.namespace).resource(PodSpecs.isolation(name, labels, cluster))
            .create();
        policyCreated = true;
      }
      client.pods().inNamespace(cluster.namespace).resource(PodSpecs.pod(spec, name, labels, cluster)).create();
      Runtime.getRuntime().addShutdownHook(cleanup);
    } catch (KubernetesClientException e) {
      throw refused("create the pod " + name + " on " + cluster.describe(), e);
    }
  }

  private ContainerStartException refused(String step, KubernetesClientException e) {
    if (e.getCode() <= 0) {
      return new ContainerStartException(step, "cannot reach the cluster: " + rootMessage(e) + "; nothing was created."
          + " Check the kubeconfig context (KUBECONFIG, ~/.kube/config) or -Dkubernetes.master", -1);
    }
    return new ContainerStartException(step, "the cluster answered HTTP " + e.getCode() + ": "
        + (e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage()), -1);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private void awaitRunning() {
    try {
      running.get(cluster.startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      Pod pod = pod().get();
      throw new ContainerStartException("wait for pod " + name + " to run", "not running after " + cluster.startTimeout
          + " (phase " + (pod == null || pod.getStatus() == null ? "unknown" : pod.getStatus().getPhase() + ", conditions "
          + pod.getStatus().getConditions()) + "); set -Disola.kubernetes.startTimeout to wait longer", -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerStartException("wait for pod " + name + " to run", "interrupted", -1);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new ContainerStartException("wait for pod " + name + " to run", String.valueOf(e.getCause()), -1);
    }
    startNanos = System.nanoTime();
  }

  private synchronized void observe(Watcher.Action action, Pod pod) {
    if (action == Watcher.Action.DELETED) {
      running.complete(null);
      ended(PodVerdict.deleted(killedByCaller, elapsed()));
      return;
    }
    Optional<String> hopeless = PodVerdict.hopeless(pod);
    if (hopeless.isPresent() && !running.isDone()) {
      running.completeExceptionally(new ContainerStartException("start the container of pod " + name + " (image "
          + pod.getSpec().getContainers().get(0).getImage() + ")", hopeless.get(), -1));
      return;
    }
    if (PodVerdict.running(pod)) {
      running.complete(null);
    }
    PodVerdict.ended(pod, killedByCaller, elapsed()).ifPresent(status -> {
      running.complete(null);
      ended(status);
    });
  }

  /** Deletes the pod and its policy, then reports the end: who sees the end sees nothing left. */
  private void ended(ExitStatus status) {
    if (ending.compareAndSet(false, true)) {
      deletePodAndPolicy();
      exit.complete(status);
    }
  }

  private Duration elapsed() {
    return running.isDone() ? Duration.ofNanos(System.nanoTime() - startNanos) : Duration.ZERO;
  }

  @Override
  public long pid() {
    return -1; // the process is on a node, not this host
  }

  @Override
  public OutputStream stdin() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("the kubernetes runtime does not attach the pod's standard input; pass input as"
            + " arguments, environment or a file in the image");
      }
    };
  }

  @Override
  public synchronized InputStream stdout() {
    if (spec.stdout().kind() == Stdio.Kind.DISCARD) {
      return InputStream.nullInputStream();
    }
    if (log == null) {
      log = pod().inContainer(PodSpecs.CONTAINER).withReadyWaitTimeout(0).watchLog();
    }
    return log.getOutput();
  }

  /** The pod's log holds both streams, in the order written: they come on {@link #stdout()}. */
  @Override
  public InputStream stderr() {
    return InputStream.nullInputStream();
  }

  @Override
  public CompletableFuture<ExitStatus> exit() {
    return exit;
  }

  @Override
  public void kill(Signal signal) {
    if (signal != Signal.KILL && signal != Signal.TERM) {
      throw new UnsupportedFeatureException("sending " + signal + " to a pod", "a pod is ended by deleting it: TERM (with"
          + " its grace period) or KILL (at once)");
    }
    if (exit.isDone()) {
      return;
    }
    killedByCaller = true;
    try {
      pod().withGracePeriod(signal == Signal.KILL ? 0 : 30).delete();
    } catch (KubernetesClientException e) {
      throw new dev.isola.ContainerException("cannot delete pod " + name + " on " + cluster.describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void killAll() {
    kill(Signal.KILL);
  }

  @Override
  public ContainerStats stats() {
    throw new UnsupportedFeatureException("stats of a pod", "the kubernetes runtime reads no usage (that needs the"
        + " cluster's metrics API)");
  }

  @Override
  public void pause() {
    throw new UnsupportedFeatureException("pausing a pod", "Kubernetes cannot freeze a running pod");
  }

  @Override
  public void resume() {
    throw new UnsupportedFeatureException("resuming a pod", "Kubernetes cannot freeze a running pod");
  }

  @Override
  public void copyIn(FileCopy copy) {
    throw new UnsupportedFeatureException("copyIn on the kubernetes runtime", "not supported yet; put the files in the image");
  }

  @Override
  public void copyOut(String source, Path hostTarget, long maxBytes) {
    throw new UnsupportedFeatureException("copyOut on the kubernetes runtime", "not supported yet; write results to"
        + " standard output");
  }

  @Override
  public int filesystemRulesLevel() {
    return 0;
  }

  @Override
  public void resizeTty(TerminalSize size) {
    throw new UnsupportedFeatureException("a terminal on the kubernetes runtime", "pods are started without one");
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (!exit.isDone()) {
      killedByCaller = true;
      ended(PodVerdict.deleted(true, elapsed()));
    } else {
      deletePodAndPolicy();
    }
    Watch w = watch;
    if (w != null) {
      w.close();
    }
    LogWatch l = log;
    if (l != null) {
      l.close();
    }
    client.close();
    if (Thread.currentThread() != cleanup) {
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // the JVM is going down, or the hook was never added (creation failed)
      }
    }
  }

  /** Deletes what this container created; what is gone already is fine. */
  private void deletePodAndPolicy() {
    try {
      pod().withGracePeriod(0).delete();
      if (policyCreated) {
        client.network().v1().networkPolicies().inNamespace(cluster.namespace).withName(name).delete();
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        System.getLogger("dev.isola.kubernetes").log(System.Logger.Level.WARNING, "could not delete pod " + name + " or its"
            + " network policy on " + cluster.describe() + " (labelled " + PodSpecs.CONTAINER_LABEL + "=" + name + "): "
            + e.getMessage());
      }
    }
  }

  /** The pod's name, for tests and messages. */
  public String name() {
    return name;
  }
}
