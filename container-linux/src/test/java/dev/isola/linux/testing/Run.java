package dev.isola.linux.testing;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Runs a container to its end and keeps what it printed. */
public final class Run {
  public final String stdout;
  public final String stderr;
  public final ExitStatus status;

  private Run(String stdout, String stderr, ExitStatus status) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.status = status;
  }

  /** A builder with the busybox rootfs and {@code sh -c script}. */
  public static ContainerSpec.Builder sh(String script) {
    return Container.builder().rootfs(TestRootfs.busybox()).command("sh", "-c", script);
  }

  public static Run of(String script) {
    return of(sh(script));
  }

  public static Run of(ContainerSpec.Builder builder) {
    try (Container c = builder.start()) {
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(c.stderr()));
      String out = drain(c.stdout());
      return new Run(out, err.join(), c.waitFor());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Like {@link #of(ContainerSpec.Builder)}, but kills the container and fails if it has not ended
   * within {@code limit}: for tests where a defence that gave way could leave it hanging.
   */
  public static Run of(ContainerSpec.Builder builder, Duration limit) {
    try (Container c = builder.start()) {
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(c.stdout()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(c.stderr()));
      Optional<ExitStatus> status = c.waitFor(limit);
      if (status.isEmpty()) {
        c.close();
        throw new AssertionError("the container did not end within " + limit + "; it printed: " + out.join() + err.join());
      }
      return new Run(out.join(), err.join(), status.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static String drain(InputStream in) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return status + "\nstdout: " + stdout + "\nstderr: " + stderr;
  }
}
