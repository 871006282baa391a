package dev.isola.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Limits;
import dev.isola.RuntimeInfo;
import dev.isola.Signal;
import dev.isola.UnsupportedFeatureException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same specs on runc and on gVisor, seen from inside: identity and hardening, limits that bite,
 * verdicts measured by the cgroup, exec and copies through the container's own view, and nothing
 * left on the host after.
 */
class OciRuntimeTest {
  record Result(String out, String err, ExitStatus status) {}

  static Result run(ContainerSpec.Builder spec) throws Exception {
    try (Container c = spec.start()) {
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(c.stderr()));
      String out = text(c.stdout());
      return new Result(out, err.join(), c.waitFor());
    }
  }

  static String text(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static ContainerSpec.Builder sh(String runtime, String script) {
    return Container.builder().runtime(runtime).init(false).command("sh", "-c", script);
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "gvisor"})
  void theDefaultSpecRunsHardenedInNamespacesOfItsOwn(String runtime) throws Exception {
    try (Leftovers l = Leftovers.before()) {
      Result r = run(sh(runtime, "echo hi; grep -E '^(Uid|CapEff|NoNewPrivs):' /proc/self/status; hostname; "
          + "readlink /proc/self/ns/pid; touch /usr/x 2>/dev/null || echo read-only; echo $$; ls /;"
          + " echo \"home $HOME $USER $LANG\"; touch $HOME/x && echo home-writable; grep -c isola /etc/hosts; head -1 /etc/passwd"));
      assertThat(r.status().reason()).as(r.err()).isEqualTo(ExitReason.EXITED);
      assertThat(r.out()).startsWith("hi\n").contains("CapEff:\t0000000000000000").contains("\nisola\n").contains("read-only")
          .contains("\n1\n");
      // the linux runtime's root: a login environment, root's own home, Isola's /etc files
      assertThat(r.out()).contains("home /root root C.UTF-8\nhome-writable\n1\nroot:x:0:0:root:/root:/bin/sh\n");
      if (runtime.equals("runc")) { // gVisor's /proc/self/status has no NoNewPrivs line
        assertThat(r.out()).contains("NoNewPrivs:\t1");
      }
      assertThat(r.out()).doesNotContain(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString());
      assertThat(r.status().accounting()).isEqualTo(ExitStatus.Accounting.CGROUP);
      assertThat(r.status().cpuTime()).isPositive();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "gvisor"})
  void exitCodesSignalsAndTheDockerSeccompProfile(String runtime) throws Exception {
    assertThat(run(sh(runtime, "exit 3")).status().exitCode()).isEqualTo(3);
    // the command is PID 1 (init(false)): it gets only the signals it handles, as under docker run without --init
    try (Container c = sh(runtime, "trap 'exit 143' TERM; echo ready; sleep 30 & wait").start()) {
      assertThat(new String(c.stdout().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
      c.kill(Signal.TERM);
      ExitStatus term = c.waitFor();
      assertThat(term.reason()).isEqualTo(ExitReason.KILLED);
      assertThat(term.signal()).hasValue(Signal.TERM);
    }
    // Docker's profile denies AF_ALG sockets (38) and unshare
    Result denied = run(sh(runtime, "python3 -c 'import socket; socket.socket(38, 5, 0)' 2>&1; unshare -U true 2>&1 || echo no-unshare"));
    assertThat(denied.out()).contains("PermissionError").contains("no-unshare");
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "gvisor"})
  void memoryPidsWallAndCpuLimitsBiteAndTheVerdictSaysWhich(String runtime) throws Exception {
    ExitStatus oom = run(sh(runtime, "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived")
        .limits(Limits.builder().memory(32L << 20).build())).status();
    assertThat(oom.reason()).isEqualTo(ExitReason.OOM_KILLED);
    assertThat(oom.oomKills()).isPositive();
    assertThat(oom.peakMemoryBytes()).isGreaterThan(16L << 20);

    ContainerSpec.Builder forks = sh(runtime, "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done 2>&1; wait")
        .limits(Limits.builder().pids(6).build());
    if (runtime.equals("runc")) {
      Result pids = run(forks);
      assertThat(pids.out() + pids.err()).containsIgnoringCase("fork");
    } else {
      assertThatThrownBy(forks::start).isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("a pids limit on gVisor");
    }

    ExitStatus wall = run(sh(runtime, "sleep 20").limits(Limits.builder().wallTime(Duration.ofMillis(500)).build())).status();
    assertThat(wall.reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
    assertThat(wall.wallTime()).isLessThan(Duration.ofSeconds(10));

    ExitStatus cpu = run(sh(runtime, "while :; do :; done").limits(Limits.builder().cpuTime(Duration.ofMillis(300)).build())).status();
    assertThat(cpu.reason()).isEqualTo(ExitReason.CPU_TIME_LIMIT);
    assertThat(cpu.cpuTime()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "gvisor"})
  void execCopiesThroughTmpPauseStatsAndKill(String runtime, @TempDir Path dir) throws Exception {
    try (Leftovers l = Leftovers.before(); Container c = sh(runtime, "echo made > /tmp/out.txt; sleep 30").start()) {
      awaitFile(c, "/tmp/out.txt");
      c.copyOut("/tmp/out.txt", dir.resolve("out.txt"));
      assertThat(dir.resolve("out.txt")).hasContent("made");
      c.copyIn(FileCopy.of("given\n".getBytes(StandardCharsets.UTF_8), "/tmp/in.txt", 0644));
      var exec = c.exec(dev.isola.ExecSpec.of("sh", "-c", "cat /tmp/in.txt; id -u"));
      assertThat(text(exec.stdout())).isEqualTo("given\n0\n");
      assertThat(exec.waitFor().exitCode()).isZero();
      assertThat(c.stats().pids()).isPositive();
      c.pause();
      assertThat(c.stats().paused()).isTrue();
      c.resume();
      c.kill(Signal.KILL);
      ExitStatus s = c.waitFor();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
    }
  }

  @Test
  void aPulledImageRunsOnAnEphemeralOverlayOnBothRuntimes(@TempDir Path dir) throws Exception {
    try (dev.isola.images.TestRegistry registry = dev.isola.images.TestRegistry.start(); Leftovers l = Leftovers.before()) {
      registry.pushBusybox("oci/busybox:1");
      dev.isola.Image image = dev.isola.images.ImageStore.open(dir.resolve("store")).pull(registry.address() + "/oci/busybox:1");
      for (String runtime : List.of("runc", "gvisor")) {
        Result r = run(Container.builder().runtime(runtime).init(false).image(image)
            .command("sh", "-c", "echo written > /new; cat /new; ls /bin/busybox; id -u"));
        assertThat(r.out()).as(runtime + ": " + r.err()).isEqualTo("written\n/bin/busybox\n0\n");
        assertThat(run(Container.builder().runtime(runtime).init(false).image(image).command("ls", "/new")).status().exitCode())
            .as("each container starts clean").isNotZero();
      }
      for (Path layer : image.layers()) {
        assertThat(layer.resolve("new")).doesNotExist();
      }
    }
  }

  private static void awaitFile(Container c, String path) throws Exception {
    for (int i = 0; i < 200; i++) {
      var probe = c.exec(dev.isola.ExecSpec.of("test", "-s", path));
      if (probe.waitFor().exitCode() == 0) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(path + " never appeared");
  }

  @Test
  void whatABundleCannotSayIsRefusedAndCrunSaysWhyItCannotRun() {
    assertThatThrownBy(() -> sh("runc", "true").tty(80, 24).start()).isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("a terminal").hasMessageContaining("the runtime \"runc\"");
    assertThatThrownBy(() -> sh("gvisor", "true").network(dev.isola.Network.userMode()).start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("user-mode networking");
    RuntimeInfo crun = Container.runtimes().stream().filter(r -> r.name().equals("crun")).findFirst().orElseThrow();
    assertThat(crun.available()).isFalse();
    assertThat(crun.unavailableReason()).hasValueSatisfying(why -> assertThat(why).contains("hybrid"));
    assertThatThrownBy(() -> sh("crun", "true").start()).isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("hybrid");
  }

  /** No cgroup, bundle, mount or runtime state more after than before. */
  static final class Leftovers implements AutoCloseable {
    private final List<String> before;

    private Leftovers(List<String> before) {
      this.before = before;
    }

    static Leftovers before() throws IOException {
      return new Leftovers(now());
    }

    static List<String> now() throws IOException {
      List<String> all = new java.util.ArrayList<>();
      try (Stream<Path> s = Files.find(Path.of("/sys/fs/cgroup"), 6, (p, a) -> a.isDirectory()
          && p.getFileName().toString().startsWith("isola-"))) {
        s.forEach(p -> all.add("cgroup " + p));
      }
      try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
        s.filter(p -> p.getFileName().toString().startsWith("isola-oci-")).forEach(p -> all.add("bundle " + p));
      }
      Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains("isola-oci-")).forEach(l -> all.add("mount " + l));
      for (String r : List.of("runc", "gvisor")) {
        Path state = Path.of("/run/isola-oci", r);
        if (Files.isDirectory(state)) {
          try (Stream<Path> s = Files.list(state)) {
            s.forEach(p -> all.add("state " + p));
          }
        }
      }
      return all;
    }

    @Override
    public void close() throws IOException {
      assertThat(now()).as("left behind").isSubsetOf(before);
    }
  }
}
