package dev.isola.benchmarks;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import dev.isola.RuntimeInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same spec on each engine from one JVM, interleaved: start to exit of {@code /bin/true} in the
 * default host view ({@code linux}, {@code runc}, {@code gvisor}; {@code crun} where available),
 * and a system-call-heavy workload, {@code find /usr | wc -l}, on {@code linux} and {@code
 * gvisor}. Medians and ratios against {@code linux}; the first runs (warm-up) are left out.
 *
 * <pre>java -cp container-benchmarks/target/isola-benchmarks.jar dev.isola.benchmarks.Engines [runs]</pre>
 */
public final class Engines {
  private Engines() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Machine.print();
    List<String> engines = new ArrayList<>();
    for (RuntimeInfo r : Container.runtimes()) {
      if (r.available()) {
        engines.add(r.name());
      } else {
        System.out.println("not measured: " + r.name() + ": " + r.unavailableReason().orElse(""));
      }
    }
    report("/bin/true, start to exit", engines, runs, 3, "true");
    List<String> heavy = engines.stream().filter(e -> e.equals("linux") || e.equals("gvisor")).toList();
    report("find /usr | wc -l (system calls), start to exit", heavy, Math.max(3, runs / 4), 1, "sh", "-c", "find /usr | wc -l");
  }

  private static void report(String title, List<String> engines, int runs, int warmup, String... command) throws Exception {
    Map<String, Stats> stats = new LinkedHashMap<>();
    engines.forEach(e -> stats.put(e, new Stats()));
    for (int i = 0; i < warmup + runs; i++) {
      for (String engine : engines) { // interleaved: the machine's drift falls on every engine alike
        long t0 = System.nanoTime();
        ExitStatus s = run(engine, command);
        long t = System.nanoTime() - t0;
        if (!s.isSuccess()) {
          throw new IllegalStateException(engine + ": " + String.join(" ", command) + " ended " + s);
        }
        if (i >= warmup) {
          stats.get(engine).add(t);
        }
      }
    }
    System.out.println();
    System.out.println(title + ", median of " + runs + " after " + warmup + " warm-up");
    double base = stats.containsKey("linux") ? stats.get("linux").medianMs() : Double.NaN;
    for (Map.Entry<String, Stats> e : stats.entrySet()) {
      double m = e.getValue().medianMs();
      System.out.println(String.format(Locale.ROOT, "  %-8s %9.1f ms   %6.2fx linux   (min %.1f, max %.1f)", e.getKey(), m, m / base,
          e.getValue().minMs(), e.getValue().maxMs()));
    }
  }

  private static ExitStatus run(String engine, String... command) throws Exception {
    ContainerSpec.Builder spec = Container.builder().runtime(engine).command(command);
    if (!engine.equals("linux")) {
      spec.init(false); // OCI runtimes run the command as PID 1
    }
    try (Container c = spec.stdout(dev.isola.Stdio.discard()).stderr(dev.isola.Stdio.discard()).stdin(dev.isola.Stdio.discard())
        .start()) {
      return c.waitFor();
    }
  }
}
