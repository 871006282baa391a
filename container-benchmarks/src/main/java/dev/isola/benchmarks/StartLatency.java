package dev.isola.benchmarks;

import dev.isola.Container;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.IdMapping;
import dev.isola.Limits;
import dev.isola.Network;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The benchmark of issue 6: how long {@code /bin/true} takes from start to exit with
 * ProcessBuilder (the floor), bubblewrap, crun and Isola (with and without limits), interleaved in one run; containers per
 * second with 1, 2 and 8 concurrent starters; and what a running Isola container costs the host
 * and the JVM. Prints the machine first, then one section each.
 *
 * <pre>
 * java -jar container-benchmarks/target/isola-benchmarks.jar [--runs N] [--warmup W] [--jit-warmup S]
 *     [--seconds S] [--sleepers K[,K2…]] [--only latency,throughput,sleepers]
 * </pre>
 */
public final class StartLatency {
  /** What a judge would set: every kind of limit that needs a cgroup, and the time and output limits. */
  private static final Limits LIMITS = Limits.builder().memory(256L << 20).pids(64).cpus(1.0)
      .cpuTime(Duration.ofSeconds(10)).wallTime(Duration.ofSeconds(10)).outputBytes(1 << 20).build();
  private static final String LIMITS_SHOWN = "memory 256 MiB, pids 64, cpus 1.0, cpuTime 10 s, wallTime 10 s, outputBytes 1 MiB";
  private static final int[] STARTERS = {1, 2, 8};

  private int runs = 200;
  private int warmup = 20;
  /**
   * At most this many seconds of the JIT's warm-up (see {@link #warmJit}); 0 skips it.
   */
  private int jitWarmup = 180;
  private int seconds = 5;
  private final List<Integer> sleepers = new ArrayList<>(List.of(100));
  private List<String> only = List.of("latency", "throughput", "sleepers");

  private StartLatency() {}

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    StartLatency b = new StartLatency();
    String usage = "usage: java -jar isola-benchmarks.jar [--runs N (200)] [--warmup W (20)] [--jit-warmup S (180)] [--seconds S (5)]"
        + " [--sleepers K[,K2...] (100)] [--only latency,throughput,sleepers]";
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(usage);
      return;
    }
    try {
      b.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("isola-benchmarks: " + e.getMessage());
      System.err.println(usage);
      System.exit(2);
    }
    System.exit(b.run());
  }

  private void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value: " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--runs": runs = positive(a, v); break;
        case "--warmup": warmup = number(a, v, 0); break;
        case "--jit-warmup": jitWarmup = number(a, v, 0); break;
        case "--seconds": seconds = positive(a, v); break;
        case "--sleepers":
          sleepers.clear();
          for (String k : v.split(",")) {
            sleepers.add(positive(a, k.trim()));
          }
          break;
        case "--only":
          only = List.of(v.split(","));
          if (!List.of("latency", "throughput", "sleepers").containsAll(only)) {
            throw new IllegalArgumentException("--only takes latency, throughput and sleepers, not " + v);
          }
          break;
        default: throw new IllegalArgumentException("unknown option " + a);
      }
    }
  }

  private static int positive(String option, String value) {
    return number(option, value, 1);
  }

  private static int number(String option, String value, int min) {
    try {
      int n = Integer.parseInt(value);
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(option + " needs a whole number of at least " + min + ", not \"" + value + "\"");
  }

  private int run() throws Exception {
    System.out.println("Isola start benchmark (issue 6): /bin/true from a warm JVM, and what a running container costs");
    System.out.println();
    section("Machine");
    Machine.print();

    Path busybox = Proc.which("busybox");
    if (busybox == null) {
      System.out.println("!! no busybox on the PATH: the rootfs is a static busybox (Debian: apt-get install busybox-static)");
      return 1;
    }
    if (Proc.isDynamicElf(busybox.toRealPath())) {
      System.out.println("!! " + busybox + " is dynamically linked: the rootfs needs a static one (Debian: apt-get install busybox-static)");
      return 1;
    }
    Workspace ws = Workspace.create();
    try {
      ws.buildRootfs(busybox.toRealPath());
      System.out.printf("  %-10s %s: static busybox (%s), a link per applet, /proc /dev /tmp /etc%n", "rootfs", ws.rootfs, busybox);
      List<Candidate> candidates = candidates(ws);
      System.out.println();

      if (only.contains("latency") || only.contains("throughput")) {
        warmJit();
      }
      if (only.contains("latency")) {
        latency(candidates);
      }
      if (only.contains("throughput")) {
        throughput(candidates);
      }
      if (only.contains("sleepers")) {
        for (int k : sleepers) {
          section("Cost per running container: " + k + " Isola containers running `sleep 600`");
          Sleepers.run(ws.rootfs, k);
          System.out.println();
        }
      }
    } finally {
      ws.close(); // also stops crun's namespace holder
    }
    // the launch server lives as long as the JVM, by design: it is not a container left behind
    long left = ProcessHandle.current().children().filter(p -> !comm(p.pid()).equals("isola-server")).count();
    System.out.println("Load average at the end: " + Machine.loadAverage());
    System.out.println("Cleaned up: " + ws.dir + (ws.deleted() ? " deleted" : " NOT fully deleted") + "; "
        + (left == 0 ? "no child process left but Isola's launch server." : left + " child process(es) still running!"));
    return 0;
  }

  private static String comm(long pid) {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/comm")).strip();
    } catch (java.io.IOException e) {
      return "";
    }
  }

  // ---- the candidates ----

  /** Label → candidate, in table order; missing peers stay in, as "missing". */
  private Map<String, Candidate> table = new LinkedHashMap<>();
  private @Nullable Candidate floor;
  private @Nullable Candidate bwrap;
  private @Nullable Candidate crun;
  private @Nullable Candidate nsenter;
  private @Nullable Candidate isola;
  private @Nullable Candidate limited;
  private @Nullable String crunNote;

  private List<Candidate> candidates(Workspace ws) throws IOException {
    String root = ws.rootfs.toString();
    floor = Candidate.process("ProcessBuilder(\"/bin/true\")  (the floor)", List.of("/bin/true"));
    add(floor);

    Path bw = Proc.which("bwrap");
    List<String> bwArgs = List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", root, "/",
        "--proc", "/proc", "--dev", "/dev", "/bin/true");
    bwrap = bw == null
        ? Candidate.unavailable("bwrap --unshare-all", String.join(" ", bwArgs), "missing (no bwrap on the PATH; Debian: bubblewrap)")
        : Candidate.process("bwrap --unshare-all", replaceFirst(bwArgs, bw.toString()));
    add(bwrap);

    crunCandidates(ws);
    add(crun);
    if (nsenter != null) {
      add(nsenter);
    }

    isola = Candidate.of("Isola, default (full isolation)",
        "Container.builder().rootfs(" + root + ").command(\"/bin/true\").start(), then waitFor()", () -> isolaOnce(ws, Limits.none()));
    add(isola);
    limited = Candidate.of("Isola, with limits (cgroups)", "the same with .limits(" + LIMITS_SHOWN + ")", () -> isolaOnce(ws, LIMITS));
    add(limited);
    if (Proc.which("pasta") != null) {
      add(Candidate.of("Isola, Network.userMode() (pasta)", "the default with .network(Network.userMode())",
          () -> isolaOnce(ws, Limits.none(), Network.userMode())));
      add(Candidate.of("Isola, userMode: start() -> port served", "busybox nc -l -p 8080 with .publish(8080), until it"
          + " has served a connection to the published port and ended", () -> publishedPortAccepts(ws)));
    } else {
      add(Candidate.unavailable("Isola, Network.userMode() (pasta)", "", "missing (no pasta on the PATH; Debian: passt)"));
    }

    section("Candidates (each runs /bin/true; stdio: pipes to this JVM)");
    for (Candidate c : table.values()) {
      System.out.printf("  %-42s %s%n", c.label, c.command);
      if (c.unavailable != null) {
        System.out.printf("  %-42s   -> %s%n", "", c.unavailable);
      }
    }
    System.out.println("  All: new user, mount, pid, net, ipc, uts and cgroup namespaces; the busybox root read-only; a fresh /proc; a /dev.");
    System.out.println("  bwrap:  user namespace maps 0->0; no seccomp filter, no cgroup, /proc not masked.");
    System.out.println("  crun:   maps 0->" + idBase("subuid") + " (65536 ids, like Isola); no capabilities, no_new_privs,"
        + " Isola's masked and read-only /proc paths; no seccomp filter, no cgroup (--cgroup-manager=disabled).");
    System.out.println("  Isola:  maps 0->" + idBase("subuid") + " (65536 ids); no capabilities, no_new_privs, masked /proc paths,"
        + " Docker's seccomp profile, an init as pid 1;");
    System.out.println("          " + isolaCgroup(ws));
    if (crunNote != null) {
      System.out.println(crunNote);
    }
    return new ArrayList<>(table.values());
  }

  private void crunCandidates(Workspace ws) throws IOException {
    Path crunBin = Proc.which("crun");
    String label = "crun run (cgroups disabled)";
    if (crunBin == null) {
      crun = Candidate.unavailable(label, "crun --cgroup-manager=disabled run --bundle …", "missing (no crun on the PATH; Debian: crun)");
      return;
    }
    if (!Machine.isRoot()) {
      crun = Candidate.unavailable(label, "crun run", "skipped: this benchmark's crun bundle (with a 65536-id user namespace) needs root");
      return;
    }
    ws.writeCrunBundle(idBase("subuid"), idBase("subgid"));
    List<String> prefix = new ArrayList<>();
    if (Machine.cgroupLayout().startsWith("hybrid")) {
      Path unshare = Proc.which("unshare");
      Path nsenterBin = Proc.which("nsenter");
      if (unshare == null || nsenterBin == null) {
        crun = Candidate.unavailable(label, "crun run", "missing: crun 1.8 refuses hybrid cgroup hosts, and the workaround needs unshare and nsenter (util-linux)");
        return;
      }
      long holder;
      try {
        holder = ws.holdCrunNamespace(unshare);
      } catch (IOException e) {
        crun = Candidate.unavailable(label, "crun run", "failed: " + e.getMessage());
        return;
      }
      prefix.addAll(List.of(nsenterBin.toString(), "-t", Long.toString(holder), "-m", "--"));
      nsenter = Candidate.process("  nsenter -m /bin/true (crun's wrapper)", List.of(nsenterBin.toString(), "-t", Long.toString(holder), "-m", "--", "/bin/true"));
    }
    AtomicLong ids = new AtomicLong();
    String bundle = ws.bundle.toString();
    String state = ws.crunState.toString();
    String shown = String.join(" ", prefix) + (prefix.isEmpty() ? "" : " ") + crunBin + " --root " + state
        + " --cgroup-manager=disabled run --bundle " + bundle + " <id>";
    Candidate.Body body = () -> {
      List<String> argv = new ArrayList<>(prefix);
      argv.addAll(List.of(crunBin.toString(), "--root", state, "--cgroup-manager=disabled", "run", "--bundle", bundle,
          "isola-bench-" + ProcessHandle.current().pid() + "-" + ids.incrementAndGet()));
      return Candidate.runProcess(argv);
    };
    crun = Candidate.of(label, shown, body);
    if (nsenter != null) {
      crunNote = "  crun: this host's cgroups are hybrid, which crun 1.8 refuses. crun runs in a private mount namespace (held by pid "
          + prefix.get(2) + ")\n  in which an empty file hides " + Workspace.UNIFIED_CONTROLLERS
          + ", through nsenter; the row \"nsenter -m /bin/true\"\n  is that wrapper's own cost, included in crun's.";
    }
  }

  /** One Isola container running /bin/true: start() → waitFor(); also the time start() took. */
  private static Candidate.Sample isolaOnce(Workspace ws, Limits limits) throws InterruptedException {
    return isolaOnce(ws, limits, Network.none());
  }

  private static Candidate.Sample isolaOnce(Workspace ws, Limits limits, Network network) throws InterruptedException {
    long t0 = System.nanoTime();
    try (Container c = Container.builder().rootfs(ws.rootfs).command("/bin/true").limits(limits).network(network).start()) {
      long t1 = System.nanoTime();
      ExitStatus s = c.waitFor();
      long t2 = System.nanoTime();
      if (s.reason() != ExitReason.EXITED || s.exitCode() != 0) {
        throw new IllegalStateException("ended with " + s);
      }
      return new Candidate.Sample(t2 - t0, t1 - t0);
    }
  }

  /** From start() of a server behind a published port to the first connection accepted there; also the time start() took. */
  private static Candidate.Sample publishedPortAccepts(Workspace ws) throws Exception {
    long t0 = System.nanoTime();
    try (Container c = Container.builder().rootfs(ws.rootfs).command("busybox", "nc", "-l", "-p", "8080")
        .network(Network.userMode().publish(8080)).start()) {
      long t1 = System.nanoTime();
      java.net.InetSocketAddress at = c.publishedAddress(8080);
      while (true) {
        try (java.net.Socket s = new java.net.Socket()) {
          s.connect(at, 1000);
          // pasta accepts on the host at once: the server had it only if nc, which serves one
          // connection, ends once this one closes (otherwise pasta found no listener and reset it)
          s.getOutputStream().write('x');
          s.shutdownOutput();
          if (c.waitFor(java.time.Duration.ofMillis(500)).isPresent()) {
            return new Candidate.Sample(System.nanoTime() - t0, t1 - t0);
          }
        } catch (java.io.IOException notYet) {
          Thread.sleep(1);
        }
        if (System.nanoTime() - t0 > 10_000_000_000L) {
          throw new IllegalStateException("the published port accepted nothing in 10 s");
        }
      }
    }
  }

  /** Where Isola's default puts a container on this host, read from the host side while one sleeps. */
  private static String isolaCgroup(Workspace ws) {
    try (Container c = Container.builder().rootfs(ws.rootfs).command("sleep", "30").start()) {
      String own = Proc.read("/proc/self/cgroup");
      String its = Proc.read("/proc/" + c.pid() + "/cgroup");
      List<String> moved = new ArrayList<>();
      for (String line : its.split("\n")) {
        if (!line.isBlank() && !own.contains(line)) {
          moved.add(line.startsWith("0::") ? "v2 " + line.substring(3) : line.replaceFirst("^\\d+:", "v1 "));
        }
      }
      return moved.isEmpty() ? "without limits, no cgroup of its own (it stays in the JVM's)."
          : "without limits, a cgroup of its own: " + String.join(", ", moved) + ".";
    } catch (RuntimeException e) {
      return "(could not tell Isola's default cgroup: " + e.getMessage() + ")";
    }
  }

  private void add(@Nullable Candidate c) {
    if (c != null) {
      table.put(c.label, c);
    }
  }

  private static List<String> replaceFirst(List<String> argv, String program) {
    List<String> l = new ArrayList<>(argv);
    l.set(0, program);
    return l;
  }

  /** The first host id of Isola's default mapping as root: root's /etc/subuid entry, else 1610612736. */
  private static long idBase(String file) {
    try {
      for (String line : Files.readAllLines(Path.of("/etc", file))) {
        String[] f = line.split(":");
        if (f.length == 3 && (f[0].equals("root") || f[0].equals("0"))) {
          return Long.parseLong(f[1].trim());
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no entry
    }
    return IdMapping.DEFAULT_HOST_BASE;
  }

  // ---- the JIT's warm-up ----

  /** Rounds in a row that must compile little before the JIT counts as warm. */
  private static final int QUIET_ROUNDS = 3;

  /**
   * The issue measures from a warm JVM. HotSpot compiles a method that runs once per start with C2
   * only after thousands of starts, and its compiling then takes seconds of CPU: on 2 CPUs enough to
   * cost a CPU-bound row a fifth of its rate, and the JVM-side candidates more than the peers. So
   * before either section, rounds of one 1-second slice of the most starters for each candidate
   * whose start path is Java in this JVM, until {@link #QUIET_ROUNDS} rounds in a row compiled for
   * less than 2% of their CPU time, or {@code --jit-warmup} seconds have passed.
   */
  private void warmJit() throws InterruptedException {
    List<Candidate> jvmSide = jvmSide();
    if (jitWarmup == 0 || jvmSide.isEmpty()) {
      return;
    }
    int most = STARTERS[STARTERS.length - 1];
    int cpus = Runtime.getRuntime().availableProcessors();
    section("The JIT's warm-up: 1-second slices of " + most + " starters for each of ProcessBuilder and Isola, discarded,"
        + " until the JIT is quiet (at most " + jitWarmup + " s; --jit-warmup 0 skips it)");
    long t0 = System.nanoTime();
    long deadline = t0 + Duration.ofSeconds(jitWarmup).toNanos();
    long compiled = 0;
    long started = 0;
    int rounds = 0;
    int quiet = 0;
    while (quiet < QUIET_ROUNDS && System.nanoTime() < deadline) {
      long r0 = System.nanoTime();
      long jit = 0;
      for (Candidate c : jvmSide) {
        Tally t = slice(c, most, Duration.ofSeconds(1));
        jit += t.jitMillis;
        started += t.done;
      }
      double capacityMillis = (System.nanoTime() - r0) / 1e6 * cpus;
      quiet = jit < 0.02 * capacityMillis ? quiet + 1 : 0;
      compiled += jit;
      rounds++;
    }
    System.out.printf("  %d rounds, %.0f s, %d starts; the JIT compiled for %.1f s of CPU in them, and %s.%n%n", rounds,
        (System.nanoTime() - t0) / 1e9, started, compiled / 1e3, quiet >= QUIET_ROUNDS
            ? "less than 2% of the CPU time in the last " + QUIET_ROUNDS + " rounds"
            : "was still compiling at the limit: the rows below include its work (see their JIT ms)");
  }

  // ---- latency ----

  private void latency(List<Candidate> all) {
    List<Candidate> runnable = new ArrayList<>();
    for (Candidate c : all) {
      if (c.runnable()) {
        runnable.add(c);
      }
    }
    section("Start-to-exit latency of /bin/true: " + runs + " rounds (after " + warmup + " warm-up rounds, discarded)");
    System.out.println("  Each round runs every candidate once, one after another, starting one later each round,"
        + " so that drift hits all alike.");
    long t0 = System.nanoTime();
    int total = warmup + runs;
    int n = runnable.size();
    boolean tty = System.console() != null;
    for (int round = 0; round < total; round++) {
      for (int i = 0; i < n; i++) {
        runnable.get((round + i) % n).runOnce(round >= warmup);
      }
      if (tty && (round % 10 == 9 || round == total - 1)) {
        System.err.printf("\r  round %d of %d", round + 1, total);
      }
    }
    if (tty) {
      System.err.print("\r                              \r");
    }
    System.out.printf("  (took %.1f s; load average now %s)%n%n", (System.nanoTime() - t0) / 1e9, Machine.loadAverage());

    double floorMedian = floor != null && floor.exit.count() > 0 ? floor.exit.medianMs() : Double.NaN;
    String head = String.format("  %-42s %8s %8s %8s %8s %8s", "candidate (ms)", "median", "p99", "min", "max", "x floor");
    System.out.println(head);
    System.out.println("  " + "-".repeat(head.length() - 2));
    for (Candidate c : all) {
      latencyRow(c.label, c, c.exit, floorMedian);
      if (c == isola && c.started.count() > 0) {
        latencyRow("  of which: until start() returned", c, c.started, floorMedian);
      }
    }
    System.out.println();
    System.out.println("  median, p99 (nearest rank), min, max of the measured rounds; \"x floor\": median / ProcessBuilder's median."
        + " Peers and ProcessBuilder are started with ProcessBuilder; their rows include that cost.");
    if (isola != null && isola.exit.count() > 0) {
      double i = isola.exit.medianMs();
      System.out.println("  Targets of issue 6, on medians of this run:");
      target("Isola / ProcessBuilder", i, floor, 1.5, "about");
      target("Isola / bwrap", i, bwrap, 0.5, "<=");
      target("Isola / crun", i, crun, 0.3, "<=");
    }
    System.out.println();
  }

  /** The candidates whose cost is mostly this JVM's code: ProcessBuilder and Isola's two. */
  private List<Candidate> jvmSide() {
    List<Candidate> jvmSide = new ArrayList<>();
    for (Candidate c : Arrays.asList(floor, isola, limited)) {
      if (c != null && c.runnable()) {
        jvmSide.add(c);
      }
    }
    return jvmSide;
  }

  private static void latencyRow(String label, Candidate c, Stats s, double floorMedian) {
    if (c.unavailable != null) {
      System.out.printf("  %-42s %s%n", label, c.unavailable);
    } else if (s.count() == 0) {
      System.out.printf("  %-42s failed: %s%n", label, c.failure);
    } else {
      System.out.printf("  %-42s %8.2f %8.2f %8.2f %8.2f %7.2fx%s%n", label, s.medianMs(), s.percentileMs(99), s.minMs(), s.maxMs(),
          s.medianMs() / floorMedian, c.failure == null ? "" : "  (then failed: " + c.failure + ")");
    }
  }

  private static void target(String what, double isolaMs, @Nullable Candidate peer, double goal, String relation) {
    if (peer == null || peer.exit.count() == 0) {
      System.out.printf("    %-26s n/a: %s%n", what, peer == null ? "missing" : peer.unavailable != null ? peer.unavailable : "failed");
      return;
    }
    double ratio = isolaMs / peer.exit.medianMs();
    boolean met = relation.equals("<=") ? ratio <= goal : ratio <= goal * 1.1;
    System.out.printf("    %-26s %5.2f   (target %s %.1f: %s)%n", what, ratio, relation, goal, met ? "met" : "not met");
  }

  // ---- throughput ----

  private void throughput(List<Candidate> all) throws InterruptedException {
    section("Throughput: containers per second, N starters each looping start -> exit; " + seconds
        + " slices of 1 s per candidate and N, interleaved");
    int most = STARTERS[STARTERS.length - 1];
    List<Candidate> measured = new ArrayList<>();
    Map<Candidate, Tally[]> tallies = new LinkedHashMap<>();
    for (Candidate c : all) {
      if (c != nsenter && c.body != null && c.runnable()) {
        measured.add(c);
        Tally[] t = new Tally[STARTERS.length];
        Arrays.setAll(t, k -> new Tally());
        tallies.put(c, t);
      }
    }
    // like the latency rounds: every candidate once per slice, starting one later each slice, so
    // that the machine's drift (other work on it) hits all alike
    for (int n = 0; n < STARTERS.length; n++) {
      for (int slice = 0; slice < seconds; slice++) {
        for (int k = 0; k < measured.size(); k++) {
          Candidate c = measured.get((slice + k) % measured.size());
          if (c.runnable()) {
            tallies.get(c)[n].add(slice(c, STARTERS[n], Duration.ofSeconds(1)));
          }
        }
      }
    }
    StringBuilder head = new StringBuilder(String.format("  %-42s", "candidate (per second)"));
    for (int s : STARTERS) {
      head.append(String.format(" %11s", s + (s == 1 ? " starter" : " starters")));
    }
    head.append(String.format(" %13s %9s", "CPU ms/each", "JIT ms"));
    System.out.println(head);
    System.out.println("  " + "-".repeat(head.length() - 2));
    for (Candidate c : all) {
      Tally[] t = tallies.get(c);
      if (c == nsenter) {
        continue;
      } else if (c.body == null) {
        System.out.printf("  %-42s %s%n", c.label, c.unavailable);
      } else if (t == null) {
        System.out.printf("  %-42s failed: %s%n", c.label, c.failure);
      } else {
        StringBuilder row = new StringBuilder(String.format("  %-42s", c.label));
        long jit = 0;
        for (Tally x : t) {
          row.append(x.done > 0 ? String.format(" %11.1f", x.perSecond()) : String.format(" %11s", "-"));
          jit += x.jitMillis;
        }
        row.append(String.format(" %13.2f %9d", t[t.length - 1].cpuMillisEach(), jit));
        System.out.println(row + (c.failure == null ? "" : "  (then failed: " + c.failure + ")"));
      }
    }
    int cpus = Runtime.getRuntime().availableProcessors();
    throughputTargets(tallies);
    System.out.printf("  CPU ms/each: the host's busy CPU time (all processes, /proc/stat, until %d ms after each slice) per"
        + " container with %d starters; %d CPUs allow at most %d/s at 10 ms each.%n", SETTLE.toMillis(), most, cpus, cpus * 100);
    System.out.println("  JIT ms: time this JVM spent compiling during the candidate's slices; where it is large, the JIT was"
        + " still warming up.");
    System.out.println();
  }

  /**
   * The rate target, with what it depends on: this machine's speed moves every row alike (run to
   * run here, ProcessBuilder did 150-190/s), so the run also prints Isola beside its peers.
   */
  private void throughputTargets(Map<Candidate, Tally[]> tallies) {
    Tally[] mine = isola == null ? null : tallies.get(isola);
    if (mine == null || mine[STARTERS.length - 1].done == 0) {
      return;
    }
    Tally i = mine[STARTERS.length - 1];
    int most = STARTERS[STARTERS.length - 1];
    System.out.printf("  Targets of issue 6, with %d starters:%n", most);
    System.out.printf("    %-26s %6.1f   (target >= 160: %s)%n", "Isola, containers/s", i.perSecond(),
        i.perSecond() >= 160 ? "met" : "not met");
    Tally pb = floor == null || tallies.get(floor) == null ? null : tallies.get(floor)[STARTERS.length - 1];
    if (pb != null && pb.done > 0) {
      System.out.printf("    %-26s %6.2f   of its rate; %.2fx its host CPU per container%n", "Isola / ProcessBuilder",
          i.perSecond() / pb.perSecond(), i.cpuMillisEach() / pb.cpuMillisEach());
    }
    Tally bw = bwrap == null || tallies.get(bwrap) == null ? null : tallies.get(bwrap)[STARTERS.length - 1];
    if (bw != null && bw.done > 0) {
      System.out.printf("    %-26s %6.2fx  its rate (issue 6 measured bwrap at 80/s on its machine, and asked for 160)%n",
          "Isola / bwrap", i.perSecond() / bw.perSecond());
    }
  }

  /**
   * After a slice, before the next: the kernel tears down namespaces in a workqueue, and that
   * work is the slice's, not the next candidate's.
   */
  private static final Duration SETTLE = Duration.ofMillis(100);

  /** The JIT's compile time so far, or 0 where the JVM does not say. */
  private static long jitMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
  }

  /** What one candidate did with one number of starters, summed over its slices. */
  private static final class Tally {
    long done;
    long nanos;
    long busyMillis;
    long jitMillis;

    void add(Tally slice) {
      done += slice.done;
      nanos += slice.nanos;
      busyMillis += slice.busyMillis;
      jitMillis += slice.jitMillis;
    }

    double perSecond() {
      return done / (nanos / 1e9);
    }

    double cpuMillisEach() {
      return done == 0 ? Double.NaN : (double) busyMillis / done;
    }
  }

  /**
   * {@code starters} threads, each looping start -> exit until {@code duration} is over; then
   * {@link #SETTLE}, counted in the busy time but not in the time the rate is taken over.
   */
  private static Tally slice(Candidate c, int starters, Duration duration) throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long busy0 = Machine.busyCpuMillis();
    long jit0 = jitMillis();
    long deadline = System.nanoTime() + duration.toNanos();
    List<Thread> threads = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < starters; i++) {
      Thread t = new Thread(() -> {
        while (System.nanoTime() < deadline && c.runnable()) {
          c.runOnce(false);
          if (c.runnable()) {
            done.incrementAndGet();
          }
        }
      }, "starter-" + i);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    Tally slice = new Tally();
    slice.nanos = System.nanoTime() - t0;
    Thread.sleep(SETTLE.toMillis());
    slice.done = done.get();
    slice.busyMillis = Machine.busyCpuMillis() - busy0;
    slice.jitMillis = jitMillis() - jit0;
    return slice;
  }

  private static void section(String title) {
    System.out.println("== " + title);
  }
}
