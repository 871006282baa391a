package dev.isola;

/** Why a container's process ended. */
public enum ExitReason {
  /** It exited by itself; {@link ExitStatus#exitCode()} is its exit code. */
  EXITED,
  /** A signal that neither the caller nor a limit sent ended it, for example a crash ({@code SEGV}). */
  SIGNALED,
  /** The kernel killed it for lack of memory within the container's memory limit. */
  OOM_KILLED,
  /** It ran past {@link Limits#wallTime()} and was killed. */
  WALL_TIME_LIMIT,
  /** The container used more than {@link Limits#cpuTime()} of CPU time (it was killed, or it ended within the grace). */
  CPU_TIME_LIMIT,
  /** Its output reached {@link Limits#outputBytes()} and it was killed. */
  OUTPUT_LIMIT,
  /** The caller ended it, with {@link Container#kill(Signal)}, {@link Container#killAll()} or {@link Container#close()}. */
  KILLED,
  /**
   * The runtime failed while the container ran (its launch server or monitor was killed, its
   * cgroup vanished…) and the container ended with it: nothing the container's process did.
   * {@link ExitStatus#runtimeFailure()} says what failed.
   */
  RUNTIME_FAILURE
}
