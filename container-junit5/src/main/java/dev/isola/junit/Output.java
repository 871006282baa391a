package dev.isola.junit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * What a fixture's container printed, both streams in the order read, kept to its last {@value
 * #KEPT} lines: read by a daemon thread per stream, so that the container never blocks on a full
 * pipe.
 */
final class Output {
  static final int KEPT = 10_000;
  private final Deque<String> lines = new ArrayDeque<>();
  private final StringBuilder all = new StringBuilder();
  private final java.util.List<Thread> readers = new java.util.concurrent.CopyOnWriteArrayList<>();

  void follow(InputStream stream, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          add(line);
        }
      } catch (IOException e) {
        // the container's end, or its close
      }
    }, "isola-fixture-" + name);
    t.setDaemon(true);
    readers.add(t);
    t.start();
  }

  /** Waits (at most {@code millis}) until the streams' ends are read: for a container that ended. */
  void awaitEnd(long millis) {
    long deadline = System.currentTimeMillis() + millis;
    for (Thread t : readers) {
      try {
        t.join(Math.max(1, deadline - System.currentTimeMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private synchronized void add(String line) {
    lines.addLast(line);
    all.append(line).append('\n');
    if (lines.size() > KEPT) {
      String gone = lines.removeFirst();
      all.delete(0, gone.length() + 1);
    }
  }

  /** Everything kept, a line each. */
  synchronized String text() {
    return all.toString();
  }

  /** The last {@code n} lines. */
  synchronized List<String> last(int n) {
    List<String> copy = List.copyOf(lines);
    return copy.subList(Math.max(0, copy.size() - n), copy.size());
  }
}
