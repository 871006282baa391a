package dev.isola.examples;

import static dev.isola.examples.Report.expect;
import static dev.isola.examples.Report.finish;
import static dev.isola.examples.Report.row;
import static dev.isola.examples.Report.run;
import static dev.isola.examples.Report.runOk;

import dev.isola.Container;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Signal;
import dev.isola.examples.Report.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Starts a handful of containers with the default root (a read-only view of the host's {@code
 * /usr}, {@code /bin} and {@code /lib*}) and prints, next to the host's values, what each one
 * isolates. Needs nothing but the build: {@code java -jar container-examples/target/isola-examples.jar}.
 * Exits with 1 if any section failed.
 */
public final class Demo {
  private static final List<String> MOUNT_FLAGS = List.of("ro", "rw", "nosuid", "nodev", "noexec");

  public static void main(String[] args) {
    Demo d = new Demo();
    Report report = new Report();
    report.section("Hostname (UTS namespace)", d::hostname);
    report.section("Process ids (PID namespace)", d::pids);
    report.section("User (USER namespace)", d::user);
    report.section("Namespaces (/proc/self/ns)", d::namespaces);
    report.section("Mounts (MOUNT namespace)", d::mounts);
    report.section("Network (NETWORK namespace)", d::network);
    report.section("Read-only root", d::readOnlyRoot);
    report.section("Open descriptors", d::descriptors);
    report.section("Exit code and signal", d::exitAndSignal);
    report.section("Start-to-exit time", d::timing);
    report.exit();
  }

  private void hostname() throws Exception {
    Run r = runOk(Container.builder().hostname("demo").command("uname", "-n"));
    row("host", read("/proc/sys/kernel/hostname"));
    row("container", r.out().strip() + "   (set with .hostname(\"demo\"))");
    expect(r.out().strip().equals("demo"), "hostname inside is \"" + r.out().strip() + "\"");
  }

  private void pids() throws Exception {
    String script = "echo $$; for d in /proc/[0-9]*; do read -r c < $d/comm; echo \"${d#/proc/} [$c]\"; done; read -r _";
    try (Container c = Container.builder().command("sh", "-c", script).start()) {
      String hostView = ProcessHandle.of(c.pid()).flatMap(h -> h.info().command()).orElse("?");
      c.stdin().close(); // ends the read: the container stays until the host has looked at it
      Run r = finish(c);
      List<String> lines = r.out().lines().collect(Collectors.toList());
      row("host: this JVM", "pid " + ProcessHandle.current().pid() + ", " + count("/proc") + " processes in /proc");
      row("host: container pid 1", "pid " + c.pid() + " (" + hostView + ")");
      row("container: echo $$", lines.isEmpty() ? "?" : lines.get(0) + "   (1 is Isola's init, 2 the command)");
      row("container: ls /proc", String.join(", ", lines.subList(Math.min(1, lines.size()), lines.size())));
      expect(!lines.isEmpty() && lines.get(0).equals("2"), "echo $$ printed " + lines);
    }
    Run noInit = runOk(Container.builder().init(false).command("sh", "-c", "echo $$"));
    row("with .init(false)", "echo $$ -> " + noInit.out().strip());
  }

  private void user() throws Exception {
    String script = "id; cat /proc/self/uid_map; read -r _";
    try (Container c = Container.builder().command("sh", "-c", script).start()) {
      String hostUid = Files.readAllLines(Path.of("/proc/" + c.pid() + "/status")).stream()
          .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[1];
      c.stdin().close(); // ends the read, so the container exits
      Run r = finish(c);
      String[] lines = r.out().split("\n");
      long me = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
      String[] map = lines.length > 1 ? lines[1].trim().split("\\s+") : new String[] {"?", "?", "?"};
      row("host: this JVM", "uid " + me + (me == 0 ? " (root)" : " (an ordinary user)"));
      row("container: id", lines[0]);
      row("container: uid_map", String.join(" ", map) + "   (inside, host, count)");
      row("host sees container as", "uid " + hostUid);
      row("verdict", me == 0
          ? "root inside, but host uid " + hostUid + " outside: not the host's root"
          : "root inside, which is you (uid " + me + ") on the host: no privilege gained");
      expect(lines[0].startsWith("uid=0("), "id printed " + lines[0]);
    }
  }

  private void namespaces() throws Exception {
    // the link's text names the kind (pid_for_children reads "pid:[…]"), so print the file name too
    Run r = runOk(Container.builder().command("sh", "-c", "for f in /proc/self/ns/*; do echo ${f##*/} $(readlink $f); done"));
    Map<String, String> inside = new TreeMap<>();
    r.out().lines().map(l -> l.split(" ")).forEach(f -> inside.put(f[0], f[f.length - 1].replaceAll(".*:", "")));
    System.out.printf("  %-18s %-16s %-16s%n", "namespace", "host", "container");
    int newOnes = 0;
    try (Stream<Path> ns = Files.list(Path.of("/proc/self/ns"))) {
      for (Path p : ns.sorted().collect(Collectors.toList())) {
        String name = p.getFileName().toString();
        String host = Files.readSymbolicLink(p).toString().replaceAll(".*:", "");
        String mine = inside.getOrDefault(name, "?");
        boolean isNew = !mine.equals(host);
        newOnes += isNew ? 1 : 0;
        System.out.printf("  %-18s %-16s %-16s %s%n", name, host, mine, isNew ? "new" : "shared");
      }
    }
    System.out.println("  (Isola makes no time namespace: the clocks are the host's)");
    expect(newOnes >= 7, "only " + newOnes + " namespaces differ from the host's");
  }

  private void mounts() throws Exception {
    Run r = runOk(Container.builder().command("cat", "/proc/self/mounts"));
    List<String> lines = r.out().lines().collect(Collectors.toList());
    row("host", Files.readAllLines(Path.of("/proc/self/mounts")).size() + " mounts");
    row("container", lines.size() + " mounts:");
    for (String l : lines) {
      String[] f = l.split(" ");
      String opts = Arrays.stream(f[3].split(",")).filter(MOUNT_FLAGS::contains).collect(Collectors.joining(","));
      System.out.printf("    %-26s %-8s %s%n", f[1], f[2], opts);
    }
  }

  private void network() throws Exception {
    Run r = runOk(Container.builder().command("cat", "/proc/net/dev"));
    List<String> inside = interfaces(r.out());
    row("host interfaces", String.join(", ", interfaces(read("/proc/net/dev"))));
    row("container interfaces", String.join(", ", inside));
    expect(inside.equals(List.of("lo")), "the container sees " + inside);
  }

  private void readOnlyRoot() throws Exception {
    String script = "for f in /usr/isola-demo /isola-demo /tmp/isola-demo; do"
        + " if echo x 2>/dev/null > $f; then echo \"$f: written\"; else echo \"$f: refused\"; fi; done;"
        + " echo x > /usr/isola-demo";
    Run r = run(Container.builder().command("sh", "-c", script));
    r.out().lines().forEach(l -> row("write " + l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 2)));
    row("the shell's error", r.err().strip());
    expect(r.out().equals("/usr/isola-demo: refused\n/isola-demo: refused\n/tmp/isola-demo: written\n"), r.out());
  }

  private void descriptors() throws Exception {
    Run r = runOk(Container.builder().command("ls", "-l", "/proc/self/fd"));
    long hostFds = count("/proc/self/fd");
    row("host: this JVM", hostFds + " open descriptors");
    for (String l : r.out().lines().filter(l -> l.contains("->")).collect(Collectors.toList())) {
      String[] f = l.trim().split("\\s+");
      row("container: fd " + f[f.length - 3], f[f.length - 1]);
    }
    row("", "(0-2 are the pipes to this JVM; 3 is ls's own handle on /proc/self/fd)");
  }

  private void exitAndSignal() throws Exception {
    Run exit3 = run(Container.builder().command("sh", "-c", "exit 3"));
    row("sh -c 'exit 3'", exit3.status().reason() + ", code " + exit3.status().exitCode());
    expect(exit3.status().exitCode() == 3, exit3.status().toString());
    try (Container c = Container.builder().command("sleep", "60").start()) {
      Thread.sleep(100);
      c.kill(Signal.TERM);
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow(() -> new Report.Unexpected("sleep still runs 10 s after kill(TERM)"));
      row("sleep 60, kill(TERM)", s.reason() + ", signal " + s.signal().map(Enum::name).orElse("?")
          + ", code " + s.exitCode() + ", after " + s.wallTime().toMillis() + " ms");
      expect(s.reason() == ExitReason.KILLED && s.signal().equals(Optional.of(Signal.TERM)), s.toString());
    }
  }

  private void timing() throws Exception {
    List<Long> micros = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      long t0 = System.nanoTime();
      runOk(Container.builder().command("true"));
      micros.add((System.nanoTime() - t0) / 1000);
    }
    row("runs of `true`", micros.stream().map(m -> String.format("%.1f", m / 1000.0)).collect(Collectors.joining(" ")) + " ms");
    micros.sort(null);
    row("median", String.format("%.1f ms, from start() to the end of waitFor()", micros.get(micros.size() / 2) / 1000.0));
  }

  // ---- helpers ----

  private static List<String> interfaces(String procNetDev) {
    return procNetDev.lines().filter(l -> l.contains(":")).map(l -> l.substring(0, l.indexOf(':')).trim())
        .collect(Collectors.toList());
  }

  private static String read(String file) throws IOException {
    return Files.readString(Path.of(file)).strip();
  }

  private static long count(String dir) throws IOException {
    try (Stream<Path> s = Files.list(Path.of(dir))) {
      return s.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).count();
    }
  }
}
