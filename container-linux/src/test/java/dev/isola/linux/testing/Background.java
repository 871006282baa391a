package dev.isola.linux.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A container (or host process) that keeps running while a test does something else: its output
 * lines arrive in a queue, {@link #await(String)} waits for one, and {@link #finish()} closes its
 * stdin (the probes' servers end there) and returns everything it printed.
 */
public final class Background implements AutoCloseable {
  private static final String EOF = "\u0000eof";
  private final Container container;
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();
  private final Map<String, Integer> awaited = new HashMap<>();
  private final CompletableFuture<String> stderr;

  private Background(Container container, Process process, InputStream out, InputStream err) {
    this.container = container;
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("read failed: " + e);
      }
      lines.add(EOF);
    }, "background-reader");
    reader.setDaemon(true);
    reader.start();
    stderr = CompletableFuture.supplyAsync(() -> Run.drain(err));
  }

  public static Background start(ContainerSpec.Builder spec) {
    Container c = spec.start();
    return new Background(c, null, c.stdout(), c.stderr());
  }

  /** A process on the host, for example the probe serving an abstract socket. */
  public static Background host(String... command) {
    try {
      Process p = new ProcessBuilder(command).start();
      return new Background(null, p, p.getInputStream(), p.getErrorStream());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public Container container() {
    return container;
  }

  public long pid() {
    return container != null ? container.pid() : process.pid();
  }

  /**
   * Waits (up to 10 s) for one more line equal to {@code expected} than earlier calls awaited, so
   * that lines from concurrent processes may come in any order; fails with all output so far if
   * none comes.
   */
  public Background await(String expected) {
    int wanted = awaited.merge(expected, 1, Integer::sum);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      while (count(seen, expected) < wanted && System.nanoTime() < deadline) {
        String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (line == null || line.equals(EOF)) {
          break;
        }
        seen.add(line);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (count(seen, expected) < wanted) {
      throw new AssertionError("no line \"" + expected + "\"; output so far: " + seen + ", stderr: "
          + stderr.getNow("(still running)"));
    }
    return this;
  }

  /** Closes stdin and waits for the end; returns every line printed (including those awaited). */
  public List<String> finish() {
    try {
      if (container != null) {
        container.stdin().close();
      } else {
        process.getOutputStream().close();
      }
      for (String line; !(line = lines.poll(10, TimeUnit.SECONDS)).equals(EOF); ) {
        seen.add(line);
      }
    } catch (IOException | NullPointerException e) {
      throw new AssertionError("did not end; output so far: " + seen, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return seen;
  }

  /** After {@link #finish()}: how the container ended. */
  public ExitStatus status() {
    try {
      return container.waitFor(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("still running"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String stderr() {
    return stderr.join();
  }

  public static long count(List<String> lines, String line) {
    return lines.stream().filter(line::equals).count();
  }

  @Override
  public void close() {
    if (container != null) {
      container.close();
    } else {
      process.destroyForcibly();
      try {
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
