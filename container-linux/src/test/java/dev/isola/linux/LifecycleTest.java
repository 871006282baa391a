package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Signal;
import dev.isola.Stdio;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streams, exit statuses, signals, waiting and closing, and what is left afterwards. */
class LifecycleTest {
  /**
   * The init holds every signal blocked and has no handler: a signal a process of the container
   * sends to pid 1 is still queued (the kernel never drops a blocked one) and passed on.
   */
  @Test
  void aSignalToPid1FromInsideReachesTheCommand() {
    Run r = Run.of("trap 'echo got-term; exit 3' TERM; (sleep 0.2; kill -TERM 1) & while :; do sleep 0.05; done");
    assertThat(r.stdout).as(r.toString()).isEqualTo("got-term\n");
    assertThat(r.status.exitCode()).isEqualTo(3);
  }

  @Test
  void stdinStdoutAndStderrRoundTrip() throws Exception {
    byte[] data = new byte[300_000]; // more than a pipe holds: both sides must stream
    new Random(42).nextBytes(data);
    try (Container c = Run.sh("cat; echo done >&2").start()) {
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
        try {
          return c.stdout().readAllBytes();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      try (OutputStream in = c.stdin()) {
        in.write(data);
      }
      assertThat(out.get(30, TimeUnit.SECONDS)).isEqualTo(data);
      assertThat(new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("done\n");
      assertThat(c.waitFor().isSuccess()).isTrue();
    }
  }

  @Test
  void exitCodes() {
    ExitStatus s = Run.of("exit 3").status;
    assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(s.exitCode()).isEqualTo(3);
    assertThat(s.signal()).isEmpty();
    assertThat(Run.of(Run.sh("exit 4").init(false)).status.exitCode()).isEqualTo(4);
  }

  @Test
  void aSignalThatEndsTheCommandIsReported() {
    ExitStatus s = Run.of("kill -SEGV $$; sleep 5").status;
    assertThat(s.reason()).isEqualTo(ExitReason.SIGNALED);
    assertThat(s.signal()).contains(Signal.SEGV);
    assertThat(s.exitCode()).isEqualTo(128 + 11);
  }

  @Test
  void withoutInitTheKernelDropsUnhandledSignalsToPid1ButNotKill() throws Exception {
    ExitStatus self = Run.of(Run.sh("kill -SEGV $$; echo survived").init(false)).status;
    assertThat(self.isSuccess()).isTrue();
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").init(false).start()) {
      c.kill(Signal.TERM);
      assertThat(c.waitFor(Duration.ofMillis(300))).isEmpty();
      c.kill(Signal.KILL);
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      assertThat(s.signal()).contains(Signal.KILL);
    }
  }

  @Test
  void killReachesTheCommandThroughTheInit() throws Exception {
    try (Container c = Run.sh("trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done").start()) {
      assertThat(new String(c.stdout().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
      c.kill(Signal.TERM);
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.exitCode()).isEqualTo(7);
      assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).contains("got TERM");
    }
  }

  @Test
  void killWithADefaultHandlerEndsTheCommand() throws Exception {
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start()) {
      c.kill(Signal.TERM);
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      assertThat(s.signal()).contains(Signal.TERM);
    }
  }

  @Test
  void waitForWithATimeoutAndOnExit() throws Exception {
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start()) {
      assertThat(c.isAlive()).isTrue();
      assertThat(c.waitFor(Duration.ofMillis(100))).isEmpty();
      CompletableFuture<ExitStatus> onExit = c.onExit();
      onExit.complete(ExitStatus.exited(0, Duration.ZERO)); // a caller's copy: changes nothing
      assertThat(c.isAlive()).isTrue();
      c.kill(Signal.KILL);
      ExitStatus s = c.onExit().get(10, TimeUnit.SECONDS);
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      assertThat(s.signal()).contains(Signal.KILL);
      assertThat(c.isAlive()).isFalse();
      assertThat(c.waitFor(Duration.ZERO)).contains(s);
    }
  }

  @Test
  void closeKillsEverythingAndLeavesNothing() throws Exception {
    Leftovers before = Leftovers.snapshot();
    long pid;
    List<Long> inside = new ArrayList<>();
    try (Container c = Run.sh("sleep 600 & sleep 600 & echo started; wait").start()) {
      pid = c.pid();
      assertThat(new String(c.stdout().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("started\n");
      for (String child : Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim().split(" ")) {
        inside.add(Long.parseLong(child));
      }
      assertThat(Leftovers.processExists(pid)).isTrue();
    }
    assertThat(Leftovers.processExists(pid)).isFalse();
    for (long p : inside) {
      assertThat(Leftovers.processExists(p)).as("process " + p).isFalse();
    }
    before.assertNoneSince();
  }

  @Test
  void nothingIsLeftAfterANormalExit() throws Exception {
    Leftovers before = Leftovers.snapshot();
    Run.of("echo hi");
    before.assertNoneSince();
  }

  @Test
  void theContainerOutlivesTheThreadThatStartedIt() throws Exception {
    CompletableFuture<Container> started = new CompletableFuture<>();
    Thread starter = new Thread(() -> started.complete(
        Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start()));
    starter.start();
    starter.join();
    try (Container c = started.get()) {
      Thread.sleep(300);
      assertThat(c.isAlive()).isTrue();
      assertThat(Leftovers.processExists(c.pid())).isTrue();
    }
  }

  @Test
  void supervisionCostsNoThreadPerContainer() throws Exception {
    Run.of("true"); // the supervisor exists from the first container on
    int threadsBefore = Thread.activeCount();
    List<Container> containers = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        containers.add(Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start());
      }
      assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore);
    } finally {
      containers.forEach(Container::close);
    }
    assertThat(containers).allSatisfy(c -> assertThat(c.isAlive()).isFalse());
  }

  @Test
  void stdioToFilesAndDiscard(@TempDir Path dir) throws Exception {
    Path input = Files.writeString(dir.resolve("in.txt"), "from a file\n");
    Path out = dir.resolve("out.txt");
    Path err = Files.writeString(dir.resolve("err.txt"), "first\n");
    Run r = Run.of(Run.sh("cat; echo second >&2")
        .stdin(Stdio.file(input)).stdout(Stdio.file(out)).stderr(Stdio.appendTo(err)));
    assertThat(r.status.isSuccess()).isTrue();
    assertThat(r.stdout).isEmpty();
    assertThat(out).hasContent("from a file");
    assertThat(err).hasContent("first\nsecond");

    Run d = Run.of(Run.sh("cat; echo gone").stdin(Stdio.discard()).stdout(Stdio.discard()));
    assertThat(d.status.isSuccess()).isTrue();
    assertThat(d.stdout).isEmpty();
  }

  @Test
  void stdinIsClosedWhenItIsNotAPipe() {
    try (Container c = Run.sh("true").stdin(Stdio.discard()).start()) {
      assertThatThrownBy(() -> c.stdin().write(1)).isInstanceOf(IOException.class);
    }
  }

  /**
   * In a child JVM, whose stdout the test reads: written here, the container's output would go
   * into the test runner's own channel to this JVM, which it would report as corrupted.
   */
  @Test
  void inheritedStdioIsTheJvmsOwn() {
    String out = dev.isola.linux.testing.ChildJvm.run(dev.isola.linux.testing.ChildJvm.command(
        dev.isola.linux.testing.ChildJvm.classPath(), InheritedStdoutMain.class, TestRootfs.busybox().toString(),
        "sh", "-c", "echo on the jvms stdout"));
    assertThat(out.lines()).contains("on the jvms stdout").anyMatch(l -> l.startsWith("status ExitStatus{exited with code 0"));
  }

  @Test
  void theContainerIsInItsOwnSession() throws IOException {
    long hostSid = Long.parseLong(Files.readString(Path.of("/proc/self/stat")).replaceFirst("^.*\\) ", "").split(" ")[3]);
    Run r = Run.of(Run.sh("cut -d' ' -f6 /proc/$$/stat").share(dev.isola.Namespace.PID));
    assertThat(Long.parseLong(r.stdout.trim())).isNotEqualTo(hostSid);
  }

  @Test
  void closeIsIdempotentAndAnEndedContainerIgnoresKill() throws Exception {
    Container c = Run.sh("exit 0").start();
    c.waitFor();
    c.kill(Signal.TERM);
    c.close();
    c.close();
    assertThat(c.waitFor().reason()).isEqualTo(ExitReason.EXITED);
    assertThat(c.toString()).contains("ended");
    Optional<ExitStatus> s = c.waitFor(Duration.ofSeconds(1));
    assertThat(s).isPresent();
  }
}
