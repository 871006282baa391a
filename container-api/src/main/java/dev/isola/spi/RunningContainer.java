package dev.isola.spi;

import dev.isola.ContainerStats;
import dev.isola.ExecSpec;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Network;
import dev.isola.Signal;
import dev.isola.TerminalSize;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A runtime's handle on one started container; {@link dev.isola.Container} wraps it. */
public interface RunningContainer {
  long pid();

  OutputStream stdin();

  InputStream stdout();

  InputStream stderr();

  /** Completes once the container has ended and its resources are released. */
  CompletableFuture<ExitStatus> exit();

  /** Sends {@code signal} to the container's command; does nothing once it has ended. */
  void kill(Signal signal);

  /** Kills every process of the container; does nothing once it has ended. */
  void killAll();

  /** Current usage; throws {@link dev.isola.UnsupportedFeatureException} where the container has no cgroup. */
  ContainerStats stats();

  /** Freezes every process of the container. */
  void pause();

  /** Thaws what {@link #pause()} froze. */
  void resume();

  /** Copies into the running container's root; see {@link dev.isola.Container#copyIn(FileCopy)}. */
  void copyIn(FileCopy copy);

  /** Copies out of the container's root; see {@link dev.isola.Container#copyOut(String, Path, long)}. */
  void copyOut(String source, Path hostTarget, long maxBytes);

  /**
   * The level at which the spec's filesystem rules are enforced, 0 when none are; a runtime that
   * cannot enforce required rules refuses to start the container instead.
   */
  int filesystemRulesLevel();

  /**
   * Runs a process in the running container; see {@link dev.isola.Container#exec(ExecSpec)}. A
   * runtime that cannot throws {@link dev.isola.UnsupportedFeatureException}.
   */
  default RunningExec exec(ExecSpec spec) {
    throw new dev.isola.UnsupportedFeatureException("exec into a running container", "this runtime ("
        + getClass().getName() + ") cannot run a process in a container it started");
  }

  /** The ports published for the container, each host port as bound (the free one chosen for a 0). */
  default List<Network.Port> publishedPorts() {
    return List.of();
  }

  /** Sets the size of the container's terminal; see {@link dev.isola.Container#resizeTty(int, int)}. */
  void resizeTty(TerminalSize size);

  /** Kills whatever still runs, waits for the end, and releases everything. Idempotent. */
  void close();
}
