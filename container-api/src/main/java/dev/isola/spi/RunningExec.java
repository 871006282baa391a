package dev.isola.spi;

import dev.isola.ExitStatus;
import dev.isola.Signal;
import dev.isola.TerminalSize;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/** A runtime's handle on one process run in a running container; {@link dev.isola.ExecProcess} wraps it. */
public interface RunningExec {
  /** The host's process id of the process. */
  long pid();

  OutputStream stdin();

  InputStream stdout();

  InputStream stderr();

  /** Completes once the process has ended. */
  CompletableFuture<ExitStatus> exit();

  /** Sends {@code signal} to the process; does nothing once it has ended. */
  void kill(Signal signal);

  /** Sets the size of the process's terminal; see {@link dev.isola.ExecProcess#resizeTty(int, int)}. */
  void resizeTty(TerminalSize size);

  /** Kills the process if it still runs, waits for its end, and releases its streams. Idempotent. */
  void close();
}
