package dev.isola.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** One way of running {@code /bin/true}, with the latencies it took. */
final class Candidate {
  /** One run, start to exit; throws with the reason when it did not exit with 0. */
  interface Body {
    Sample run() throws Exception;
  }

  /**
   * Nanoseconds from the call that starts it to the observed exit; {@code startedNanos} to the
   * return of the start call, when the API returns once the command runs (else -1).
   */
  static final class Sample {
    final long exitNanos;
    final long startedNanos;

    Sample(long exitNanos, long startedNanos) {
      this.exitNanos = exitNanos;
      this.startedNanos = startedNanos;
    }
  }

  final String label;
  final String command;
  final @Nullable Body body;
  final @Nullable String unavailable;
  final Stats exit = new Stats();
  final Stats started = new Stats();
  volatile @Nullable String failure;

  private Candidate(String label, String command, @Nullable Body body, @Nullable String unavailable) {
    this.label = label;
    this.command = command;
    this.body = body;
    this.unavailable = unavailable;
  }

  static Candidate of(String label, String command, Body body) {
    return new Candidate(label, command, body, null);
  }

  static Candidate unavailable(String label, String command, String why) {
    return new Candidate(label, command, null, why);
  }

  /** A host program started with ProcessBuilder (the JDK's default launch mechanism), default pipes. */
  static Candidate process(String label, List<String> argv) {
    return of(label, String.join(" ", argv), () -> runProcess(argv));
  }

  /** Starts {@code argv} with ProcessBuilder and waits for it; throws unless it exits with 0. */
  static Sample runProcess(List<String> argv) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv);
    long t0 = System.nanoTime();
    Process p = pb.start();
    int rc = p.waitFor();
    long t1 = System.nanoTime();
    try {
      if (rc != 0) {
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        throw new IllegalStateException("exit code " + rc + (err.isEmpty() ? "" : ": " + err));
      }
    } finally {
      closeStreams(p);
    }
    return new Sample(t1 - t0, -1);
  }

  boolean runnable() {
    return body != null && failure == null;
  }

  /** Runs once; records the sample when {@code record}; a failure takes the candidate out. */
  void runOnce(boolean record) {
    Body b = body;
    if (b == null || failure != null) {
      return;
    }
    try {
      Sample s = b.run();
      if (record) {
        synchronized (this) {
          exit.add(s.exitNanos);
          if (s.startedNanos >= 0) {
            started.add(s.startedNanos);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      failure = e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ');
    }
  }

  static void closeStreams(Process p) {
    try {
      p.getOutputStream().close();
      p.getInputStream().close();
      p.getErrorStream().close();
    } catch (IOException e) {
      // our own pipes
    }
  }
}
