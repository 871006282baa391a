package dev.isola.junit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * When a {@link ContainerFixture} is ready: checked again and again from its start until it holds,
 * the container ends, or {@link #timeout()} (60 s unless {@link #withTimeout set}) passes.
 * Immutable.
 */
public final class Wait {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** One look at the fixture: whether it is ready. */
  interface Check {
    boolean ready(ContainerFixture fixture) throws Exception;
  }

  private final String description;
  private final Check check;
  private final Duration timeout;

  private Wait(String description, Check check, Duration timeout) {
    this.description = description;
    this.check = check;
    this.timeout = timeout;
  }

  /** Ready at once, once started. */
  static Wait none() {
    return new Wait("started", f -> true, DEFAULT_TIMEOUT);
  }

  /**
   * Ready once a socket of the container listens on TCP {@code containerPort}: read from the
   * container's own {@code /proc/<pid>/net/tcp} and {@code tcp6}, since a user-mode network
   * accepts on the published host port before anything in the container listens.
   */
  public static Wait forListeningPort(int containerPort) {
    if (containerPort < 1 || containerPort > 65535) {
      throw new IllegalArgumentException("container port must be within 1..65535: " + containerPort);
    }
    String hex = String.format(Locale.ROOT, ":%04X", containerPort);
    return new Wait("TCP port " + containerPort + " listening", f -> {
      for (String table : List.of("tcp", "tcp6")) {
        Path file = Path.of("/proc", Long.toString(f.container().pid()), "net", table);
        if (!Files.exists(file)) {
          continue;
        }
        for (String line : Files.readAllLines(file)) {
          String[] cols = line.trim().split("\\s+");
          if (cols.length > 3 && cols[1].endsWith(hex) && cols[3].equals("0A")) { // 0A: LISTEN
            return true;
          }
        }
      }
      return false;
    }, DEFAULT_TIMEOUT);
  }

  /** Ready once the container's output has a line matching {@code regex}. */
  public static Wait forLogMessage(String regex) {
    return forLogMessage(regex, 1);
  }

  /** Ready once the container's output has {@code times} lines matching {@code regex}. */
  public static Wait forLogMessage(String regex, int times) {
    Pattern p = Pattern.compile(Objects.requireNonNull(regex, "regex"));
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1: " + times);
    }
    return new Wait(times == 1 ? "a line matching /" + regex + "/" : times + " lines matching /" + regex + "/",
        f -> f.output().text().lines().filter(l -> p.matcher(l).find()).count() >= times, DEFAULT_TIMEOUT);
  }

  /** Ready once an HTTP GET of {@code path} on the published {@code containerPort} answers 200. */
  public static Wait forHttp(String path, int containerPort) {
    return forHttp(path, containerPort, 200);
  }

  /** Ready once an HTTP GET of {@code path} on the published {@code containerPort} answers {@code status}. */
  public static Wait forHttp(String path, int containerPort, int status) {
    if (!Objects.requireNonNull(path, "path").startsWith("/")) {
      throw new IllegalArgumentException("the HTTP path must start with /: \"" + path + "\"");
    }
    return new Wait("HTTP " + status + " from GET " + path + " on port " + containerPort, f -> {
      URI uri = URI.create("http://" + f.host() + ":" + f.mappedPort(containerPort) + path);
      try {
        HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        return r.statusCode() == status;
      } catch (IOException notYet) {
        return false;
      }
    }, DEFAULT_TIMEOUT);
  }

  /** Ready once {@code command}, run in the container ({@link ContainerFixture#exec}), exits with 0. */
  public static Wait forSuccessfulCommand(String... command) {
    List<String> argv = List.of(command);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("forSuccessfulCommand needs a command");
    }
    return new Wait("the command " + argv + " succeeding", f -> f.exec(command).exitCode() == 0, DEFAULT_TIMEOUT);
  }

  /** Ready once all of {@code waits} are, checked in order; the longest of their timeouts applies. */
  public static Wait allOf(Wait... waits) {
    List<Wait> all = List.of(waits);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("allOf needs at least one wait");
    }
    Duration longest = all.stream().map(w -> w.timeout).max(Duration::compareTo).orElseThrow();
    String what = String.join(", ", all.stream().map(w -> w.description).toList());
    return new Wait(what, f -> {
      for (Wait w : all) {
        if (!w.check.ready(f)) {
          return false;
        }
      }
      return true;
    }, longest);
  }

  /** The same wait, given up after {@code timeout}. */
  public Wait withTimeout(Duration timeout) {
    if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new Wait(description, check, timeout);
  }

  public Duration timeout() {
    return timeout;
  }

  boolean ready(ContainerFixture fixture) throws Exception {
    return check.ready(fixture);
  }

  @Override
  public String toString() {
    return description;
  }
}
