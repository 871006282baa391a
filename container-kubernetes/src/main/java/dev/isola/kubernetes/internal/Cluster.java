package dev.isola.kubernetes.internal;

import io.fabric8.kubernetes.client.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Which cluster pods go to and how, from the usual places: fabric8's own configuration (the
 * {@code kubernetes.*} system properties and {@code KUBERNETES_*} variables, {@code KUBECONFIG}
 * or {@code ~/.kube/config}, an in-cluster service account) and Isola's system properties:
 * {@code isola.kubernetes.runtimeClassName} (e.g. {@code gvisor}) and {@code
 * isola.kubernetes.startTimeout} (an ISO-8601 duration, default PT5M). Requests are retried 3 times
 * unless {@code kubernetes.request.retry.backoffLimit} says otherwise.
 */
public final class Cluster {
  private static final String RETRY_LIMIT = "kubernetes.request.retry.backoffLimit";
  private static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  final Config config;
  final String namespace;
  final @Nullable String runtimeClassName;
  final Duration startTimeout;

  Cluster(Config config, @Nullable String runtimeClassName, Duration startTimeout) {
    this.config = config;
    this.namespace = config.getNamespace() == null || config.getNamespace().isEmpty() ? "default" : config.getNamespace();
    this.runtimeClassName = runtimeClassName;
    this.startTimeout = startTimeout;
  }

  public static Cluster fromEnvironment() {
    String timeout = System.getProperty("isola.kubernetes.startTimeout", "PT5M");
    Duration startTimeout;
    try {
      startTimeout = Duration.parse(timeout);
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("isola.kubernetes.startTimeout must be an ISO-8601 duration such as PT2M: \""
          + timeout + "\"", e);
    }
    String runtimeClass = System.getProperty("isola.kubernetes.runtimeClassName");
    Config config = Config.autoConfigure(null);
    if (System.getProperty(RETRY_LIMIT) == null && System.getenv("KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT") == null) {
      // fabric8 retries 10 times, backing off to a minute and more: an unreachable cluster should fail a start in a second
      config.setRequestRetryBackoffLimit(3);
    }
    return new Cluster(config, runtimeClass == null || runtimeClass.isEmpty() ? null : runtimeClass, startTimeout);
  }

  /** Empty when some configuration names a cluster; else what to set. The cluster is not contacted. */
  public static Optional<String> unconfiguredReason() {
    if (set(System.getProperty("kubernetes.master")) || set(System.getenv("KUBERNETES_MASTER"))
        || set(System.getenv("KUBERNETES_SERVICE_HOST")) || Files.isRegularFile(SERVICE_ACCOUNT_TOKEN)) {
      return Optional.empty();
    }
    String kubeconfig = System.getProperty("kubeconfig", System.getenv("KUBECONFIG"));
    if (set(kubeconfig)) {
      for (String file : kubeconfig.split(java.io.File.pathSeparator)) {
        if (Files.isRegularFile(Path.of(file))) {
          return Optional.empty();
        }
      }
      return Optional.of("KUBECONFIG names no existing file (" + kubeconfig + ")");
    }
    if (Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"))) {
      return Optional.empty();
    }
    return Optional.of("no cluster is configured: no ~/.kube/config or KUBECONFIG, no in-cluster service account,"
        + " no -Dkubernetes.master; configure one with kubectl config, or run in a pod");
  }

  private static boolean set(@Nullable String s) {
    return s != null && !s.isEmpty();
  }

  String describe() {
    return config.getMasterUrl() + " (namespace " + namespace + ")";
  }
}
