package dev.isola.junit;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExecProcess;
import dev.isola.ExitStatus;
import dev.isola.Stdio;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A container for tests: started by {@link Isolated} (or {@link #start()}), ready once its {@link
 * Wait} holds, stopped after. Its output is kept ({@link #logs()}) and shown with a failure.
 *
 * <pre>{@code
 * @Isolated
 * class ServerTest {
 *   @Fixture
 *   static ContainerFixture web = ContainerFixture.of(Container.builder()
 *           .command("busybox", "httpd", "-f", "-p", "8080")
 *           .network(Network.userMode().publish(8080)).build())
 *       .waitingFor(Wait.forListeningPort(8080));
 *
 *   @Test
 *   void answers() {
 *     URI uri = URI.create("http://" + web.host() + ":" + web.mappedPort(8080) + "/");
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class ContainerFixture implements AutoCloseable {
  /** The lines of output a failure shows. */
  static final int FAILURE_LINES = 50;

  private final ContainerSpec spec;
  private volatile Wait wait = Wait.none();
  private volatile @Nullable Container container;
  private final Output output = new Output();

  private ContainerFixture(ContainerSpec spec) {
    this.spec = spec;
  }

  /**
   * A fixture of {@code spec}; its standard output and error become pipes, whose lines the
   * fixture keeps.
   */
  public static ContainerFixture of(ContainerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new ContainerFixture(spec.tty().isPresent() ? spec : spec.toBuilder().stdout(Stdio.pipe()).stderr(Stdio.pipe()).build());
  }

  /** When the fixture is ready; at once unless set. Set it before the fixture starts. */
  public ContainerFixture waitingFor(Wait wait) {
    Objects.requireNonNull(wait, "wait");
    if (container != null) {
      throw new IllegalStateException("the fixture has started; set its wait before");
    }
    this.wait = wait;
    return this;
  }

  public ContainerSpec spec() {
    return spec;
  }

  /**
   * Starts the container and waits until it is ready.
   *
   * @throws FixtureException if it ends first or the wait times out: the message says which and
   *     holds the last lines of its output; nothing of it is left
   */
  public synchronized void start() {
    if (container != null) {
      throw new IllegalStateException("the fixture has started already");
    }
    Container c = Container.start(spec);
    container = c;
    output.follow(c.stdout(), "stdout");
    output.follow(c.stderr(), "stderr");
    try {
      awaitReady(c);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void awaitReady(Container c) {
    long deadline = System.nanoTime() + wait.timeout().toNanos();
    Exception last = null;
    while (true) {
      Optional<ExitStatus> ended = c.onExit().isDone() ? Optional.of(c.onExit().join()) : Optional.empty();
      if (ended.isPresent()) {
        output.awaitEnd(1000); // what it said last, before it ended
        throw failure("ended before it was ready (" + ended.get() + ")", null);
      }
      try {
        if (wait.ready(this)) {
          return;
        }
        last = null;
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw failure("was not ready after " + wait.timeout().toMillis() + " ms", last);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("was interrupted while waiting", e);
      }
    }
  }

  private FixtureException failure(String what, @Nullable Exception cause) {
    String message = "the fixture " + spec.command() + " " + what + ", waiting for " + wait
        + (cause == null ? "" : " (last check: " + cause + ")") + "; " + recentOutput();
    return cause == null ? new FixtureException(message) : new FixtureException(message, cause);
  }

  /** The last lines of the output, for a message. */
  String recentOutput() {
    var lines = output.last(FAILURE_LINES);
    return lines.isEmpty() ? "it printed nothing" : "its last " + lines.size() + " lines of output:\n  " + String.join("\n  ", lines);
  }

  /** The running container. */
  public Container container() {
    Container c = container;
    if (c == null) {
      throw new IllegalStateException("the fixture has not started: give its field @Fixture in an @Isolated class, or start() it");
    }
    return c;
  }

  /** The address to connect to for its published ports. */
  public String host() {
    container();
    return "127.0.0.1";
  }

  /** The host port that leads to the container's TCP {@code containerPort} (published in its spec's network). */
  public int mappedPort(int containerPort) {
    return container().publishedPort(containerPort);
  }

  /** What the container printed on standard output and error so far (their lines as read). */
  public String logs() {
    return output.text();
  }

  /** Runs {@code command} in the running container and waits for it (at most 60 s). */
  public ExecResult exec(String... command) {
    try (ExecProcess p = container().exec(command)) {
      p.stdin().close();
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.stderr()));
      String out = read(p.stdout());
      ExitStatus s = p.waitFor(Duration.ofSeconds(60)).orElseThrow(() -> new FixtureException("exec " + String.join(" ", command)
          + " did not end within 60 s"));
      return new ExecResult(s.exitCode(), out, err.join());
    } catch (java.io.IOException e) {
      throw new FixtureException("exec " + String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FixtureException("exec " + String.join(" ", command) + " was interrupted", e);
    }
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  Output output() {
    return output;
  }

  boolean started() {
    return container != null;
  }

  /** Stops the container and releases all of it; the fixture may then be started again. */
  @Override
  public synchronized void close() {
    Container c = container;
    if (c != null) {
      container = null;
      c.close();
    }
  }

  @Override
  public String toString() {
    return "ContainerFixture{" + spec.command() + ", " + (container == null ? "not running" : "running") + ", ready on " + wait + "}";
  }
}
