package dev.isola.kubernetes.internal;

import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Signal;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a pod's status says of how its container ended, as an {@link ExitStatus}. The kubelet
 * gives the exit code, the signal when it knows it, {@code OOMKilled}, and {@code
 * DeadlineExceeded} for {@code activeDeadlineSeconds}; CPU time and peak memory it does not give,
 * so they are zero with {@link ExitStatus.Accounting#NONE}. The wall time is this JVM's, from
 * the start's return to the end's observation.
 */
final class PodVerdict {
  /** Waiting reasons after which the container will not start by itself. */
  static final List<String> HOPELESS = List.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
      "CreateContainerConfigError", "CreateContainerError", "RunContainerError");

  private PodVerdict() {}

  static @Nullable ContainerStatus main(Pod pod) {
    PodStatus status = pod.getStatus();
    if (status == null || status.getContainerStatuses() == null) {
      return null;
    }
    return status.getContainerStatuses().stream().filter(s -> PodSpecs.CONTAINER.equals(s.getName())).findFirst().orElse(null);
  }

  /** Why the container will never run, if its status says so. */
  static Optional<String> hopeless(Pod pod) {
    ContainerStatus main = main(pod);
    if (main != null && main.getState() != null && main.getState().getWaiting() != null
        && HOPELESS.contains(main.getState().getWaiting().getReason())) {
      return Optional.of(main.getState().getWaiting().getReason() + ": " + main.getState().getWaiting().getMessage());
    }
    return Optional.empty();
  }

  static boolean running(Pod pod) {
    ContainerStatus main = main(pod);
    return main != null && main.getState() != null && main.getState().getRunning() != null;
  }

  /** The verdict when the pod's container has ended, else empty. */
  static Optional<ExitStatus> ended(Pod pod, boolean killedByCaller, Duration wallTime) {
    PodStatus status = pod.getStatus();
    if (status == null) {
      return Optional.empty();
    }
    boolean deadline = "DeadlineExceeded".equals(status.getReason());
    ContainerStatus main = main(pod);
    ContainerStateTerminated terminated = main == null || main.getState() == null ? null : main.getState().getTerminated();
    ExitStatus.Builder b = ExitStatus.builder().wallTime(wallTime).accounting(ExitStatus.Accounting.NONE);
    if (terminated != null) {
      Integer signal = terminated.getSignal();
      int code = terminated.getExitCode() == null ? 0 : terminated.getExitCode();
      if (signal != null && signal > 0) {
        b.signaled(signal, named(signal));
      } else if ((killedByCaller || deadline || "OOMKilled".equals(terminated.getReason())) && code > 128 && code < 160) {
        b.signaled(code - 128, named(code - 128)); // the runtime reports death by signal n as 128+n
      } else {
        b.exited(code & 0xff);
      }
      if ("OOMKilled".equals(terminated.getReason())) {
        b.reason(ExitReason.OOM_KILLED).oomKills(1);
      } else if (deadline) {
        b.reason(ExitReason.WALL_TIME_LIMIT);
      } else if (killedByCaller && code > 128) {
        b.reason(ExitReason.KILLED);
      }
      return Optional.of(b.build());
    }
    if (deadline) { // the kubelet killed it before its status recorded an end
      return Optional.of(b.signaled(9, Signal.KILL).reason(ExitReason.WALL_TIME_LIMIT).build());
    }
    if ("Failed".equals(status.getPhase()) || "Succeeded".equals(status.getPhase())) {
      return Optional.of(b.signaled(9, Signal.KILL).runtimeFailure("the pod ended (" + status.getPhase() + ", "
          + status.getReason() + ": " + status.getMessage() + ") without a status of its container").build());
    }
    return Optional.empty();
  }

  /** Ended because the pod was deleted: by us (a kill), or by someone else. */
  static ExitStatus deleted(boolean killedByCaller, Duration wallTime) {
    ExitStatus.Builder b = ExitStatus.builder().wallTime(wallTime).accounting(ExitStatus.Accounting.NONE).signaled(9, Signal.KILL);
    return killedByCaller ? b.reason(ExitReason.KILLED).build()
        : b.runtimeFailure("the pod was deleted by someone else before its container ended").build();
  }

  static @Nullable Signal named(int number) {
    return number >= 1 && number <= Signal.values().length ? Signal.values()[number - 1] : null;
  }
}
