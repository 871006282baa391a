package dev.isola.benchmarks;

import dev.isola.Container;
import dev.isola.Network;
import dev.isola.junit.ContainerFixture;
import dev.isola.junit.Wait;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Start to ready of a test fixture, as a JUnit test feels it: {@code ContainerFixture.start()}
 * with {@code Wait.forHttp} for busybox {@code httpd} and {@code python3 -m http.server} in the
 * default host view with a published port, against the same server started on the host without
 * isolation and polled the same way; and ten fixtures started at once against the slowest of them
 * alone. Interleaved, medians of {@code runs}, after one warm-up round.
 *
 * <pre>java -cp container-benchmarks/target/isola-benchmarks.jar dev.isola.benchmarks.FixtureStart [runs]</pre>
 */
public final class FixtureStart {
  private static final String BUSYBOX = "mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();

  private FixtureStart() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Machine.print();
    Path www = Files.createTempDirectory("isola-fixture-bench-");
    Files.writeString(www.resolve("index.html"), "hello\n");
    Files.setPosixFilePermissions(www, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Stats hostBusybox = new Stats();
    Stats hostPython = new Stats();
    Stats fixtureBusybox = new Stats();
    Stats fixturePython = new Stats();
    try {
      for (int i = 0; i <= runs; i++) {
        long a = host(List.of("busybox", "httpd", "-f", "-p", "127.0.0.1:%d", "-h", www.toString()));
        // the interpreter and arguments of the fixture (PATH may name another python3 here)
        long b = host(List.of("/usr/bin/python3", "-m", "http.server", "%d", "--directory", www.toString()));
        long c = fixture(BUSYBOX);
        long d = fixture("mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec python3 -m http.server 8080 --directory /tmp/www");
        if (i > 0) { // the first round warms the JIT and the page cache
          hostBusybox.add(a);
          hostPython.add(b);
          fixtureBusybox.add(c);
          fixturePython.add(d);
        }
      }
      System.out.println();
      System.out.println("start to ready (HTTP 200), median of " + runs + " after 1 warm-up round");
      row("busybox httpd, on the host", hostBusybox, null);
      row("busybox httpd, @Fixture", fixtureBusybox, hostBusybox);
      row("python3 http.server, on the host", hostPython, null);
      row("python3 http.server, @Fixture", fixturePython, hostPython);
      parallel(runs);
    } finally {
      try (var files = Files.walk(www)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void row(String label, Stats s, Stats base) {
    String added = base == null ? "" : String.format(Locale.ROOT, "   +%.1f ms over the server alone", s.medianMs() - base.medianMs());
    System.out.println(String.format(Locale.ROOT, "  %-34s %7.1f ms (min %.1f, max %.1f)%s", label, s.medianMs(), s.minMs(), s.maxMs(), added));
  }

  /** Ten busybox fixtures at once, against one alone, a few rounds. */
  private static void parallel(int runs) throws Exception {
    int n = 10;
    Stats all = new Stats();
    Stats one = new Stats();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      for (int r = 0; r < Math.max(3, runs / 4); r++) {
        one.add(fixture(BUSYBOX));
        long t0 = System.nanoTime();
        List<Future<Long>> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          started.add(pool.submit(() -> fixture(BUSYBOX)));
        }
        for (Future<Long> f : started) {
          f.get();
        }
        all.add(System.nanoTime() - t0);
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.println();
    System.out.println(String.format(Locale.ROOT, "%d busybox fixtures started at once: %.1f ms (median), one alone %.1f ms: %.2fx,"
        + " on %d CPUs", n, all.medianMs(), one.medianMs(), all.medianMs() / one.medianMs(), Runtime.getRuntime().availableProcessors()));
  }

  /** Nanoseconds from ContainerFixture.start() to its return, ready; then stops it. */
  private static long fixture(String script) {
    ContainerFixture f = ContainerFixture.of(Container.builder().command("sh", "-c", script)
        .network(Network.userMode().publish(8080)).build()).waitingFor(Wait.forHttp("/", 8080).withTimeout(Duration.ofSeconds(30)));
    long t0 = System.nanoTime();
    f.start();
    long t = System.nanoTime() - t0;
    f.close();
    return t;
  }

  /** Nanoseconds from starting the server on the host to its first HTTP 200, polled every 2 ms. */
  private static long host(List<String> template) throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> argv = new ArrayList<>();
    for (String a : template) {
      argv.add(a.contains("%d") ? String.format(Locale.ROOT, a, port) : a);
    }
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(2)).build();
      while (true) {
        try {
          if (HTTP.send(get, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return System.nanoTime() - t0;
          }
        } catch (IOException e) {
          // not listening yet
        }
        if (!p.isAlive()) {
          throw new IllegalStateException(argv + " ended before it answered");
        }
        Thread.sleep(2);
      }
    } finally {
      p.destroyForcibly().waitFor();
    }
  }
}
