package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ExecProcess;
import dev.isola.ExecSpec;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Limits;
import dev.isola.Stdio;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.testing.NothingLeftBehind;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A container on a pseudo-terminal of its own devpts: its size, its resize, job control, as a person at a terminal sees them. */
@ExtendWith(NothingLeftBehind.class)
class TtyTest {
  /** Everything the terminal has shown so far, read by a thread of the test's own. */
  private static final class Screen {
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final Thread reader;

    Screen(InputStream terminal) {
      reader = new Thread(() -> {
        byte[] buf = new byte[4096];
        int n;
        try {
          while ((n = terminal.read(buf)) > 0) {
            synchronized (seen) {
              seen.write(buf, 0, n);
              seen.notifyAll();
            }
          }
        } catch (Exception e) {
          // closed
        }
        synchronized (seen) {
          seen.notifyAll();
        }
      });
      reader.setDaemon(true);
      reader.start();
    }

    String text() {
      synchronized (seen) {
        return seen.toString(StandardCharsets.UTF_8);
      }
    }

    /** Waits until the terminal shows {@code expected} (at most 10 s); returns all it showed. */
    String await(String expected) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      synchronized (seen) {
        while (!text().contains(expected) && System.nanoTime() < deadline) {
          seen.wait(100);
        }
      }
      assertThat(text()).as("the terminal shows").contains(expected);
      return text();
    }

    /** What the terminal showed after its first {@code count} characters. */
    String since(int count) {
      return text().substring(count);
    }
  }

  private static void type(OutputStream in, String keys) throws Exception {
    in.write(keys.getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  @Test
  void theCommandRunsOnAPtyOfTheContainersDevptsSizedBeforeItStarts() throws Exception {
    try (Container c = Run.sh("tty; stty size; echo TERM=$TERM; ls -l /proc/self/fd/0 | grep -c pts; echo to-stderr >&2")
        .tty(132, 43).start()) {
      Screen screen = new Screen(c.stdout());
      ExitStatus s = c.waitFor(Duration.ofSeconds(20)).orElseThrow();
      String out = screen.await("to-stderr");
      assertThat(s.exitCode()).isZero();
      assertThat(out).contains("/dev/pts/0\r\n").contains("43 132\r\n").contains("TERM=xterm\r\n");
      assertThat(new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8)).as("stderr goes to the terminal").isEmpty();
    }
  }

  @Test
  void aResizeIsSeenByTheRunningCommand() throws Exception {
    try (Container c = Run.sh("stty size; read x; stty size").tty(80, 24).start()) {
      Screen screen = new Screen(c.stdout());
      screen.await("24 80\r\n");
      c.resizeTty(100, 30);
      type(c.stdin(), "go\n");
      screen.await("30 100\r\n");
      assertThat(c.waitFor(Duration.ofSeconds(10)).orElseThrow().exitCode()).isZero();
      assertThatThrownBy(() -> c.resizeTty(90, 20)).isInstanceOf(IllegalStateException.class).hasMessageContaining("ended");
    }
  }

  /** Ctrl-C reaches the foreground job, not the shell or the init; the shell's exit is the container's. */
  @Test
  void jobControlWorksInAnInteractiveShell() throws Exception {
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sh", "-i").env("PS1", "$ ").tty(80, 24).start()) {
      Screen screen = new Screen(c.stdout());
      screen.await("$ ");
      type(c.stdin(), "sleep 30\n");
      Thread.sleep(500);
      int before = screen.text().length();
      type(c.stdin(), "\u0003"); // Ctrl-C: the line discipline sends SIGINT to the foreground job
      type(c.stdin(), "echo alive $?\n");
      screen.await("alive 130\r\n"); // 128 + SIGINT: sleep was interrupted, the shell lives on
      assertThat(screen.since(before)).contains("^C");
      // Ctrl-Z stops the foreground job, fg brings it back, Ctrl-C ends it
      type(c.stdin(), "sleep 30\n");
      Thread.sleep(500);
      type(c.stdin(), "\u001a");
      screen.await("Stopped");
      type(c.stdin(), "fg\n");
      Thread.sleep(500);
      type(c.stdin(), "\u0003");
      type(c.stdin(), "echo back $?\n");
      screen.await("back 130\r\n");
      type(c.stdin(), "exit 5\n");
      ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
      assertThat(s.exitCode()).isEqualTo(5);
    }
  }

  @Test
  void anExecGetsATerminalOfItsOwn() throws Exception {
    try (Container c = Run.sh("sleep 60").start();
        ExecProcess p = c.exec(ExecSpec.builder().command("sh", "-c", "tty; stty size; read x; stty size").tty(70, 20).build())) {
      Screen screen = new Screen(p.stdout());
      screen.await("20 70\r\n");
      assertThat(screen.text()).startsWith("/dev/pts/");
      p.resizeTty(71, 21);
      type(p.stdin(), "\n");
      screen.await("21 71\r\n");
      assertThat(p.waitFor(Duration.ofSeconds(10)).orElseThrow().exitCode()).isZero();
      assertThatThrownBy(() -> c.resizeTty(80, 24)).isInstanceOf(IllegalStateException.class).hasMessageContaining("no terminal");
    }
  }

  @Test
  void badTerminalsAreRefusedBeforeAnythingStarts(@TempDir Path dir) {
    assertThatThrownBy(() -> Run.sh("true").tty(0, 24)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("columns").hasMessageContaining("0");
    assertThatThrownBy(() -> Run.sh("true").tty(80, 65536)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rows");
    assertThatThrownBy(() -> Run.sh("true").tty(80, 24).stdin(Stdio.file(dir.resolve("in"))).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stdin");
    assertThatThrownBy(() -> Run.sh("true").tty(80, 24).stdout(Stdio.inherit()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stdout");
    assertThatThrownBy(() -> Run.sh("true").tty(80, 24).limits(Limits.builder().outputBytes(100).build()).start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("output limit on a terminal");
    assertThatThrownBy(() -> ExecSpec.builder().command("sh").tty(-1, 5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resizingAContainerWithoutATerminalIsRefused() throws Exception {
    try (Container c = Run.sh("sleep 60").start()) {
      assertThatThrownBy(() -> c.resizeTty(80, 24)).isInstanceOf(IllegalStateException.class).hasMessageContaining("no terminal");
    }
  }
}
