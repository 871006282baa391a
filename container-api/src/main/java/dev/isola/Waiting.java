package dev.isola;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for an exit future, for {@link Container} and {@link ExecProcess} alike. */
final class Waiting {
  private Waiting() {}

  static ExitStatus waitFor(CompletableFuture<ExitStatus> exit, String what) throws InterruptedException {
    try {
      return exit.get();
    } catch (ExecutionException e) {
      throw new ContainerException("supervising the " + what + " failed", e.getCause());
    }
  }

  static Optional<ExitStatus> waitFor(CompletableFuture<ExitStatus> exit, Duration timeout, String what) throws InterruptedException {
    try {
      return Optional.of(exit.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      throw new ContainerException("supervising the " + what + " failed", e.getCause());
    }
  }
}
