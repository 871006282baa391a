package dev.isola.kubernetes;

import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.UnsupportedFeatureException;
import dev.isola.kubernetes.internal.Cluster;
import dev.isola.kubernetes.internal.PodContainer;
import dev.isola.kubernetes.internal.PodSpecs;
import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.util.Optional;

/**
 * The runtime {@code kubernetes}: a spec becomes a Pod on the cluster of the usual configuration
 * (kubeconfig, in-cluster service account, {@code kubernetes.*} system properties), found with
 * {@link java.util.ServiceLoader}. Chosen only by name ({@code runtime("kubernetes")}).
 */
public final class KubernetesRuntimeProvider implements ContainerRuntimeProvider {
  /** Called by {@link java.util.ServiceLoader}. */
  public KubernetesRuntimeProvider() {}

  @Override
  public String name() {
    return "kubernetes";
  }

  @Override
  public boolean selectedByDefault() {
    return false;
  }

  @Override
  public Optional<String> supports(ContainerSpec spec) {
    return PodSpecs.unsupported(spec);
  }

  @Override
  public Optional<String> unavailableReason() {
    return Cluster.unconfiguredReason();
  }

  @Override
  public RunningContainer start(ContainerSpec spec) {
    return PodContainer.start(spec, Cluster.fromEnvironment());
  }

  @Override
  public IdMapping resolve(IdMapping mapping) {
    throw new UnsupportedFeatureException("id mappings on the kubernetes runtime", "the cluster's nodes map ids;"
        + " a pod runs with a user namespace of the node's choosing (hostUsers: false)");
  }
}
