package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.ExecProcess;
import dev.isola.ExecSpec;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Limits;
import dev.isola.Namespace;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.testing.NothingLeftBehind;
import dev.isola.linux.testing.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A process run in a running container: inside everything of it, as confined as its command, with its own pipes and status. */
@ExtendWith(NothingLeftBehind.class)
class ExecTest {
  private static final List<String> NAMESPACES = List.of("user", "mnt", "uts", "ipc", "net", "pid", "cgroup");
  private static final String STATUS_FIELDS = "grep -E '^(Uid|Gid|CapEff|CapBnd|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status";
  private static Container sleeping() {
    return Run.sh(STATUS_FIELDS + "; cat /proc/self/cgroup; echo ready; exec sleep 60")
        .hostname("box").limits(Limits.builder().pids(64).memory(64L << 20).build()).start();
  }

  /** What the container's command printed up to "ready". */
  private static String untilReady(Container c) throws IOException {
    StringBuilder out = new StringBuilder();
    int b;
    while ((b = c.stdout().read()) >= 0) {
      out.append((char) b);
      if (out.toString().endsWith("ready\n")) {
        return out.substring(0, out.length() - "ready\n".length());
      }
    }
    throw new AssertionError("the container ended before it was ready: " + out);
  }

  private static Result run(ExecProcess p) throws Exception {
    p.stdin().close();
    String err = new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(out, err, p.waitFor(Duration.ofSeconds(20)).orElseThrow());
  }

  private static final class Result {
    final String out;
    final String err;
    final ExitStatus status;

    Result(String out, String err, ExitStatus status) {
      this.out = out;
      this.err = err;
      this.status = status;
    }
  }

  @Test
  void anExecIsInEveryNamespaceOfTheContainer() throws Exception {
    try (Container c = sleeping()) {
      untilReady(c);
      Map<String, String> container = new TreeMap<>();
      for (String ns : NAMESPACES) {
        container.put(ns, Files.readSymbolicLink(Path.of("/proc/" + c.pid() + "/ns/" + ns)).toString());
      }
      StringBuilder script = new StringBuilder();
      NAMESPACES.forEach(ns -> script.append("echo ").append(ns).append(" $(readlink /proc/self/ns/").append(ns).append("); "));
      try (ExecProcess p = c.exec("sh", "-c", script + "hostname; cat /proc/1/comm")) {
        Result r = run(p);
        assertThat(r.status.exitCode()).as(r.err).isZero();
        Map<String, String> inside = new TreeMap<>();
        List<String> lines = r.out.lines().toList();
        for (String line : lines.subList(0, NAMESPACES.size())) {
          inside.put(line.split(" ")[0], line.split(" ")[1]);
        }
        // the cgroup namespace is the exec's own, rooted at the container's cgroup: the same view
        // (anExecIsAsConfinedAsTheContainersCommandAndInItsCgroup), not the same namespace
        assertThat(inside.remove("cgroup")).isNotEqualTo(container.remove("cgroup"));
        assertThat(inside).isEqualTo(container);
        assertThat(lines.get(NAMESPACES.size())).isEqualTo("box");
        assertThat(lines.get(NAMESPACES.size() + 1)).as("the container's pid 1 is visible").isEqualTo("isola-init");
      }
    }
  }

  @Test
  void anExecIsAsConfinedAsTheContainersCommandAndInItsCgroup() throws Exception {
    try (Container c = sleeping()) {
      String command = untilReady(c);
      try (ExecProcess p = c.exec("sh", "-c", STATUS_FIELDS + "; cat /proc/self/cgroup")) {
        Result r = run(p);
        assertThat(r.out).isEqualTo(command);
        assertThat(r.out).contains("NoNewPrivs:\t1").contains("Seccomp:\t2").containsPattern("CapEff:\t0+\n");
      }
      // on the host, the exec's process is in the container's cgroup: its limits cover it
      try (ExecProcess p = c.exec("sh", "-c", "echo $$; cat >/dev/null")) {
        String inside = new java.io.BufferedReader(new java.io.InputStreamReader(p.stdout(), StandardCharsets.UTF_8)).readLine();
        assertThat(Long.parseLong(inside)).as("its pid in the container's pid namespace").isLessThan(p.pid());
        assertThat(Files.readString(Path.of("/proc/" + p.pid() + "/cgroup")))
            .isEqualTo(Files.readString(Path.of("/proc/" + c.pid() + "/cgroup")));
        p.stdin().close();
        assertThat(p.waitFor(Duration.ofSeconds(10)).orElseThrow().exitCode()).isZero();
      }
    }
  }

  @Test
  void theExitCodeTheEnvironmentAndTheStreamsAreTheExecsOwn() throws Exception {
    try (Container c = sleeping()) {
      untilReady(c);
      try (ExecProcess p = c.exec(ExecSpec.builder().command("sh", "-c", "echo $GREETING; pwd; cat; echo oops >&2; exit 7")
          .env("GREETING", "hi").workingDirectory("/tmp").build())) {
        p.stdin().write("from stdin\n".getBytes(StandardCharsets.UTF_8));
        Result r = run(p);
        assertThat(r.out).isEqualTo("hi\n/tmp\nfrom stdin\n");
        assertThat(r.err).isEqualTo("oops\n");
        assertThat(r.status.reason()).isEqualTo(ExitReason.EXITED);
        assertThat(r.status.exitCode()).isEqualTo(7);
        assertThat(r.status.accounting()).isEqualTo(ExitStatus.Accounting.RUSAGE);
      }
      assertThat(c.isAlive()).as("the container runs on").isTrue();
    }
  }

  @Test
  void aCommandNotFoundEndsWith127AndSaysWhy() throws Exception {
    try (Container c = sleeping()) {
      untilReady(c);
      try (ExecProcess p = c.exec("no-such-program")) {
        Result r = run(p);
        assertThat(r.status.exitCode()).isEqualTo(127);
        assertThat(r.err).contains("no-such-program").contains("no program");
      }
      try (ExecProcess p = c.exec("/etc/passwd")) {
        assertThat(run(p).status.exitCode()).as("not executable").isEqualTo(126);
      }
    }
  }

  @Test
  void killAndCloseEndAnExecAndClosingTheContainerEndsItsExecs() throws Exception {
    try (Container c = sleeping()) {
      untilReady(c);
      ExecProcess killed = c.exec("sleep", "60");
      killed.kill(dev.isola.Signal.TERM);
      assertThat(killed.waitFor(Duration.ofSeconds(10)).orElseThrow().reason()).isEqualTo(ExitReason.KILLED);
      killed.close();
      ExecProcess left = c.exec("sleep", "60");
      c.close();
      ExitStatus s = left.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      assertThatThrownBy(() -> c.exec("true")).isInstanceOf(ContainerException.class).hasMessageContaining("closed");
    }
  }

  @Test
  void anExecIntoAnEndedOrPausedContainerFailsAtOnce() throws Exception {
    Container ended = Run.sh("exit 3").start();
    ended.waitFor();
    assertThatThrownBy(() -> ended.exec("true")).isInstanceOf(ContainerException.class).hasMessageContaining("has ended");
    ended.close();
    try (Container c = sleeping()) {
      untilReady(c);
      c.pause();
      assertThatThrownBy(() -> c.exec("true")).isInstanceOf(ContainerException.class).hasMessageContaining("paused");
      c.resume();
      try (ExecProcess p = c.exec("true")) {
        assertThat(run(p).status.exitCode()).isZero();
      }
    }
    try (Container shared = Run.sh("sleep 60").share(Namespace.PID).start()) {
      assertThatThrownBy(() -> shared.exec("true")).isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("pid namespace");
    }
  }

  /** 100 short execs leave no descriptor, thread or process behind. */
  @Test
  void manyExecsLeakNothing() throws Exception {
    try (Container c = sleeping()) {
      untilReady(c);
      try (ExecProcess warm = c.exec("true")) {
        run(warm);
      }
      long fds = count(Path.of("/proc/self/fd"));
      long threads = count(Path.of("/proc/self/task"));
      for (int i = 0; i < 100; i++) {
        try (ExecProcess p = c.exec("sh", "-c", "echo " + i)) {
          assertThat(run(p).out).isEqualTo(i + "\n");
        }
      }
      assertThat(count(Path.of("/proc/self/fd"))).isEqualTo(fds);
      assertThat(count(Path.of("/proc/self/task"))).isLessThanOrEqualTo(threads + 2); // the common pool may grow
      try (ExecProcess p = c.exec("sh", "-c", "n=0; for d in /proc/[0-9]*; do n=$((n+1)); done; echo $n")) {
        assertThat(run(p).out.trim()).as("init, sleep and this shell").isEqualTo("3");
      }
    }
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }
}
