package dev.isola.kubernetes.internal;

import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.Image;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Network;
import dev.isola.SeccompPolicy;
import dev.isola.Stdio;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A spec as a Pod: what of it a cluster can enforce, and the Pod and NetworkPolicy that do. Each
 * part of a spec either becomes a field of the Pod or is named by {@link #unsupported} — none is
 * dropped.
 */
public final class PodSpecs {
  /** The name of the one container of every pod. */
  static final String CONTAINER = "main";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String CONTAINER_LABEL = "isola.dev/container";

  private PodSpecs() {}

  /** The first part of {@code spec} that a pod cannot enforce, in words, or empty. */
  public static Optional<String> unsupported(ContainerSpec spec) {
    if (spec.image().flatMap(Image::reference).isEmpty()) {
      String root = spec.image().isPresent() ? "an image without a registry reference"
          : spec.rootfs().isPresent() ? "a host rootfs directory" : spec.overlay().isPresent() ? "an overlay of host directories"
          : "the host view root (no image)";
      return Optional.of(root + " (a cluster runs images by reference: give the spec Image.remote(reference), or an image"
          + " from Image.pull)");
    }
    if (!spec.files().isEmpty()) {
      return Optional.of("files copied in before the start");
    }
    for (Mount m : spec.mounts()) {
      if (m.type() == Mount.Type.BIND) {
        return Optional.of("a bind mount of the host path " + m.source().orElseThrow() + " (nodes do not have this host's files)");
      }
      if (m.isReadOnly() || m.flags().contains(Mount.Flag.NO_EXEC)) {
        return Optional.of("a read-only or noexec tmpfs at " + m.target() + " (an emptyDir volume is writable and executable)");
      }
    }
    if (spec.network().mode() == Network.Mode.USER_MODE) {
      return Optional.of("user-mode networking with published ports (on a cluster, expose the pod with a Service)");
    }
    for (Namespace ns : List.of(Namespace.MOUNT, Namespace.UTS, Namespace.CGROUP)) {
      if (!spec.namespaces().contains(ns)) {
        return Optional.of("sharing the node's " + ns + " namespace");
      }
    }
    if (spec.timeOffsets().isPresent()) {
      return Optional.of("time namespace offsets");
    }
    if (spec.idMapping().kind() != IdMapping.automatic().kind()) {
      return Optional.of("an explicit id mapping (" + spec.idMapping() + ")");
    }
    if (spec.tty().isPresent()) {
      return Optional.of("a terminal (tty)");
    }
    if (spec.stdin().kind() == Stdio.Kind.INHERIT || spec.stdin().kind() == Stdio.Kind.FILE) {
      return Optional.of("standard input from " + spec.stdin() + " (the pod's standard input is not attached)");
    }
    for (Stdio out : List.of(spec.stdout(), spec.stderr())) {
      if (out.kind() != Stdio.Kind.PIPE && out.kind() != Stdio.Kind.DISCARD) {
        return Optional.of("output to " + out + " (a pod's output is read from its log, as a pipe)");
      }
    }
    SeccompPolicy seccomp = spec.seccomp();
    if (!seccomp.equals(SeccompPolicy.defaultPolicy()) && !seccomp.equals(SeccompPolicy.unconfined())) {
      return Optional.of("a seccomp policy of its own (a pod gets the runtime's default profile or none; a custom one"
          + " must be installed on the nodes as a Localhost profile)");
    }
    if (spec.filesystemRules().isPresent()) {
      return Optional.of("filesystem rules (Landlock)");
    }
    return unsupportedLimit(spec.limits());
  }

  private static Optional<String> unsupportedLimit(Limits limits) {
    if (limits.pids().isPresent()) {
      return Optional.of("a pids limit (a node's setting: the kubelet's podPidsLimit)");
    }
    if (limits.cpuTime().isPresent()) {
      return Optional.of("a CPU time limit");
    }
    if (limits.outputBytes().isPresent()) {
      return Optional.of("an output limit");
    }
    if (limits.memoryAndSwap().isPresent()) {
      return Optional.of("a memory and swap limit");
    }
    if (limits.cpuWeight().isPresent() || !limits.cpuset().isEmpty()) {
      return Optional.of("a CPU weight or CPU set");
    }
    // The default CORE 0 is left to the node: a pod's core dumps go where the node's core_pattern
    // says, never into the pod. Any rlimit set on purpose is refused: the kubelet sets none.
    Map<Limits.Rlimit, Long> rlimits = new HashMap<>(limits.rlimits());
    rlimits.remove(Limits.Rlimit.CORE, 0L);
    if (!rlimits.isEmpty()) {
      return Optional.of("resource limits (rlimits " + rlimits.keySet() + ")");
    }
    return Optional.empty();
  }

  /** The pod for {@code spec}, which {@link #unsupported} has passed. */
  static Pod pod(ContainerSpec spec, String name, Map<String, String> labels, Cluster cluster) {
    List<EnvVar> env = new ArrayList<>();
    spec.env().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> volumeMounts = new ArrayList<>();
    int i = 0;
    for (Mount m : spec.mounts()) {
      String volume = "tmpfs-" + i++;
      Quantity size = m.sizeBytes().isPresent() ? new Quantity(Long.toString(m.sizeBytes().getAsLong())) : null;
      volumes.add(new VolumeBuilder().withName(volume).withEmptyDir(new EmptyDirVolumeSource("Memory", null, size)).build());
      volumeMounts.add(new VolumeMountBuilder().withName(volume).withMountPath(m.target()).build());
    }
    Capabilities capabilities = new Capabilities(spec.capabilities().stream().map(Enum::name).sorted().toList(), List.of("ALL"));
    boolean unconfined = spec.seccomp().equals(SeccompPolicy.unconfined());
    ContainerBuilder container = new ContainerBuilder().withName(CONTAINER)
        .withImage(spec.image().flatMap(Image::reference).orElseThrow())
        .withCommand(spec.command().isEmpty() ? null : spec.command()) // empty: the image's own
        .withEnv(env)
        .withWorkingDir(spec.workingDirectory())
        .withVolumeMounts(volumeMounts)
        .withResources(resources(spec.limits()))
        .withSecurityContext(new SecurityContextBuilder()
            .withRunAsUser(spec.uid()).withRunAsGroup(spec.gid()).withRunAsNonRoot(spec.uid() != 0)
            .withReadOnlyRootFilesystem(spec.readOnlyRootfs())
            .withAllowPrivilegeEscalation(false).withPrivileged(false)
            .withCapabilities(capabilities)
            .withNewSeccompProfile().withType(unconfined ? "Unconfined" : "RuntimeDefault").endSeccompProfile()
            .build());
    PodBuilder pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(cluster.namespace).withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withContainers(container.build())
        .withVolumes(volumes)
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        // the pod's pause process is PID 1 and reaps orphans, as the spec's init would
        .withShareProcessNamespace(spec.init() && spec.namespaces().contains(Namespace.PID) ? true : null)
        .withHostPID(!spec.namespaces().contains(Namespace.PID))
        .withHostIPC(!spec.namespaces().contains(Namespace.IPC))
        .withHostNetwork(spec.network().mode() == Network.Mode.HOST || !spec.namespaces().contains(Namespace.NETWORK))
        .withHostUsers(spec.namespaces().contains(Namespace.USER) ? false : null)
        .withHostname(spec.hostname().orElse(null))
        .withRuntimeClassName(cluster.runtimeClassName)
        .withActiveDeadlineSeconds(spec.limits().wallTime().map(PodSpecs::deadlineSeconds).orElse(null))
        .endSpec();
    return pod.build();
  }

  /** activeDeadlineSeconds counts whole seconds: a wall-time limit is rounded up to the next one. */
  static long deadlineSeconds(Duration wallTime) {
    long seconds = wallTime.getSeconds() + (wallTime.getNano() > 0 ? 1 : 0);
    return Math.max(1, seconds);
  }

  private static io.fabric8.kubernetes.api.model.ResourceRequirements resources(Limits limits) {
    Map<String, Quantity> quantities = new HashMap<>();
    limits.memory().ifPresent(m -> quantities.put("memory", new Quantity(Long.toString(m))));
    limits.cpus().ifPresent(c -> quantities.put("cpu", new Quantity(Math.max(1, Math.round(c * 1000)) + "m")));
    // requests equal to limits: the pod is scheduled where it fits, and gets the Guaranteed class
    return new ResourceRequirementsBuilder().withLimits(quantities).withRequests(quantities).build();
  }

  /** A policy that admits no traffic in or out of the pod: {@code Network.none()} on a cluster. */
  static NetworkPolicy isolation(String name, Map<String, String> labels, Cluster cluster) {
    return new NetworkPolicyBuilder().withNewMetadata().withName(name).withNamespace(cluster.namespace).withLabels(labels)
        .endMetadata()
        .withNewSpec().withNewPodSelector().withMatchLabels(Map.of(CONTAINER_LABEL, labels.get(CONTAINER_LABEL)))
        .endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec()
        .build();
  }
}
