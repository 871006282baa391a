package dev.isola;

/** Why a container's process ended. */
public enum ExitReason {
  /** It exited by itself; {@link ExitStatus#exitCode()} is its exit code. */
  EXITED,
  /** A signal that the caller did not send ended it, for example a crash ({@code SEGV}). */
  SIGNALED,
  /** The caller ended it, with {@link Container#kill(Signal)} or {@link Container#close()}. */
  KILLED
}
