package dev.isola.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.ContainerSpec;
import dev.isola.Mount;
import dev.isola.Stdio;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunCommandTest {

  @Nested
  class Flags {
    @Test
    void flagsBecomeTheSpec(@TempDir Path dir) {
      ContainerSpec spec = RunCommand.parse(new String[] {"--memory", "64m", "--cpus=0.5", "--pids", "16", "--timeout", "1500ms",
          "--hostname", "box", "-e", "A=b=c", "-w", "/tmp", "-v", dir + ":/data:ro", "-v", dir + ":/out", "--", "sh", "-c", "echo"});
      assertThat(spec.command()).containsExactly("sh", "-c", "echo");
      assertThat(spec.limits().memory()).hasValue(64L << 20);
      assertThat(spec.limits().pids()).hasValue(16L);
      assertThat(spec.limits().wallTime()).contains(Duration.ofMillis(1500));
      assertThat(spec.hostname()).contains("box");
      assertThat(spec.env()).containsEntry("A", "b=c");
      assertThat(spec.workingDirectory()).isEqualTo("/tmp");
      assertThat(spec.mounts()).contains(Mount.bind(dir, "/data"), Mount.bindWritable(dir, "/out"));
      assertThat(spec.stdout()).isEqualTo(Stdio.inherit());
      assertThat(spec.stdin()).isEqualTo(Stdio.discard());
      assertThat(RunCommand.parse(new String[] {"-i", "cat"}).stdin()).isEqualTo(Stdio.inherit());
      // the tests' JVM runs at no terminal: -t gives none either, and -i still passes standard input on
      ContainerSpec it = RunCommand.parse(new String[] {"-it", "sh"});
      assertThat(it.tty()).isEmpty();
      assertThat(it.stdin()).isEqualTo(Stdio.inherit());
    }

    @Test
    void theCommandStartsAtTheFirstArgumentThatIsNotAFlag() {
      assertThat(RunCommand.parse(new String[] {"--hostname", "h", "ls", "-l", "--memory"}).command())
          .containsExactly("ls", "-l", "--memory");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--memory|lots|--memory takes a size such as 256m",
        "--cpus|-1|--cpus takes a positive number of CPUs",
        "--timeout|10 s|--timeout takes a duration",
        "--timeout|0s|--timeout must be more than 0",
        "--pids|many|--pids takes a whole number",
        "-v|/nowhere-at-all:/x|-v: there is no /nowhere-at-all on the host",
        "-v|/tmp|-v takes HOST:CONTAINER",
        "-v|/tmp:/x:rx|-v takes HOST:CONTAINER",
        "-e|NOVALUE|-e takes NAME=VALUE",
        "-e|A B=1|not portable",
        "--rootfs|/nowhere-at-all|--rootfs: there is no /nowhere-at-all",
        "-w|relative|-w: working directory must be an absolute path",
    })
    void aBadValueNamesTheFlag(String flag, String value, String message) {
      assertThatThrownBy(() -> RunCommand.parse(new String[] {flag, value, "true"}))
          .isInstanceOf(UsageException.class).hasMessageContaining(message);
    }

    @Test
    void unknownFlagsAndMissingValuesAreNamed() {
      assertThatThrownBy(() -> RunCommand.parse(new String[] {"--memroy", "1g", "true"})).hasMessage("unknown flag --memroy");
      assertThatThrownBy(() -> RunCommand.parse(new String[] {"--memory"})).hasMessage("flag --memory needs a value");
      assertThatThrownBy(() -> RunCommand.parse(new String[] {"--interactive=yes", "true"}))
          .hasMessage("flag --interactive takes no value");
      assertThatThrownBy(() -> RunCommand.parse(new String[] {"--rootfs", "/", "--image", "/", "true"}))
          .hasMessageContaining("choose one");
    }

    @Test
    void usageErrorsExitWith2AndOneLine() {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = Isola.run(new String[] {"run", "--cpus", "x", "true"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
      assertThat(code).isEqualTo(2);
      assertThat(err.toString()).hasLineCount(1).startsWith("isola: --cpus takes").contains("'isola run --help'");
      err.reset();
      assertThat(Isola.run(new String[] {"rnu"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err))).isEqualTo(2);
      assertThat(err.toString()).hasLineCount(1).contains("unknown command \"rnu\"");
    }

    @Test
    void helpGoesToStandardOutputWithCode0() {
      for (String[] args : List.of(new String[] {"--help"}, new String[] {"run", "--help"}, new String[] {"run", "--memory", "1g", "-h"})) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Isola.run(args, new PrintStream(out), new PrintStream(new ByteArrayOutputStream()))).isZero();
        assertThat(out.toString()).startsWith("usage: isola");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Isola.run(new String[] {"run", "--help"}, new PrintStream(out), System.err);
      assertThat(out.toString()).contains("--memory SIZE", "--timeout DURATION", "-v, --volume");
    }
  }

  /** The command as a user runs it: its own JVM, real containers, its exit code and streams. */
  @Nested
  class AsAProgram {
    @Test
    void outputAndExitCodeAreTheCommands() throws Exception {
      Result r = isola("run", "--hostname", "cli", "--", "sh", "-c", "echo out $(hostname); echo err >&2; exit 7");
      assertThat(r.out).isEqualTo("out cli\n");
      assertThat(r.err).isEqualTo("err\n");
      assertThat(r.code).isEqualTo(7);
    }

    @Test
    void aSignalGives128PlusItsNumber() throws Exception {
      Result r = isola("run", "sh", "-c", "kill -SEGV $$");
      assertThat(r.code).as(r.err).isEqualTo(128 + 11);
      assertThat(r.err).contains("isola: ExitStatus{ended by signal SIGSEGV");
    }

    @Test
    void anOomKillIsTheVerdictOnStandardError() throws Exception {
      Result r = isola("run", "--memory", "16m", "--", "sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo survived");
      assertThat(r.out).doesNotContain("survived");
      assertThat(r.code).as(r.err).isEqualTo(137);
      assertThat(r.err).contains("oom killed");
    }

    @Test
    void aTimeoutIsTheVerdictOnStandardError() throws Exception {
      Result r = isola("run", "--timeout", "300ms", "sleep", "10");
      assertThat(r.code).isEqualTo(137);
      assertThat(r.err).contains("wall time limit");
      // a limit so small that it kills the container before its start is reported is still named
      for (String tiny : List.of("0.001ms", "1ms")) {
        Result t = isola("run", "--timeout", tiny, "sleep", "5");
        assertThat(t.err).as(tiny).contains("wall time limit");
      }
    }

    @Test
    void standardInputIsAPipeWithDashI(@TempDir Path dir) throws Exception {
      assertThat(isola(List.of("run", "-i", "tr", "a-z", "A-Z"), "hello").out).isEqualTo("HELLO");
      assertThat(isola(List.of("run", "wc", "-c"), "hello").out.trim()).isEqualTo("0");
    }

    @Test
    void aVolumeIsWritableUnlessReadOnly(@TempDir Path dir) throws Exception {
      // as root the container's root is an unprivileged host id: the directory must let others in
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.writeString(dir.resolve("in.txt"), "from the host\n");
      Result r = isola("run", "-v", dir + ":/data:ro", "sh", "-c", "cat /data/in.txt; touch /data/x 2>/dev/null || echo read-only");
      assertThat(r.out).as(r.err).isEqualTo("from the host\nread-only\n");
      assertThat(dir.resolve("x")).doesNotExist();
      Result w = isola("run", "-v", dir + ":/out", "sh", "-c", "echo written > /out/x");
      assertThat(w.code).as(w.err).isZero();
      assertThat(dir.resolve("x")).hasContent("written");
    }

    /**
     * At a terminal (a pseudo-terminal that script(1) opens for it), -it runs the command on a
     * terminal of its own of the same size, passes the keys on, and leaves ours as it was.
     */
    @Test
    void dashItGivesTheCommandATerminalAndRestoresOurs(@TempDir Path dir) throws Exception {
      org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
          "no /usr/bin/script (Debian: bsdutils) on this machine to open a terminal for isola");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String inner = "stty cols 100 rows 30; stty -g > " + dir.resolve("before") + "; " + java + " -cp '"
          + System.getProperty("java.class.path") + "' " + Isola.class.getName()
          + " run -it -- sh -c 'tty; stty size; read x; echo got $x; exit 3'; code=$?; stty -g > " + dir.resolve("after")
          + "; exit $code";
      Process p = new ProcessBuilder("/usr/bin/script", "-qec", inner, "/dev/null").redirectErrorStream(true).start();
      StringBuilder screen = new StringBuilder();
      Thread reader = new Thread(() -> {
        try (java.io.InputStream in = p.getInputStream()) {
          int b;
          while ((b = in.read()) >= 0) {
            synchronized (screen) {
              screen.append((char) b);
            }
          }
        } catch (java.io.IOException e) {
          // ended
        }
      });
      reader.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!text(screen).contains("30 100") && System.nanoTime() < deadline && p.isAlive()) {
        Thread.sleep(50);
      }
      p.getOutputStream().write("hello\r".getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().flush();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(text(screen)).isTrue();
      reader.join(5000);
      assertThat(text(screen)).contains("/dev/pts/0\r\n", "30 100\r\n", "got hello\r\n");
      assertThat(p.exitValue()).as(text(screen)).isEqualTo(3);
      assertThat(dir.resolve("after")).as("the terminal as it was").hasSameTextualContentAs(dir.resolve("before"));
    }

    @Test
    void aContainerThatCannotStartExitsWith125NamingWhy() throws Exception {
      Result r = isola("run", "no-such-program-here");
      assertThat(r.code).isEqualTo(125);
      assertThat(r.err).contains("isola: ", "no-such-program-here");
    }
  }

  static final class Result {
    final int code;
    final String out;
    final String err;

    Result(int code, String out, String err) {
      this.code = code;
      this.out = out;
      this.err = err;
    }
  }

  private static String text(StringBuilder screen) {
    synchronized (screen) {
      return screen.toString();
    }
  }

  private static Result isola(String... args) throws Exception {
    return isola(List.of(args), "");
  }

  private static Result isola(List<String> args, String stdin) throws Exception {
    return isola(List.of(), args, stdin);
  }

  /** Runs the isola command in a JVM of its own with {@code jvmFlags}, its streams in files. */
  static Result isola(List<String> jvmFlags, List<String> args, String stdin) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Isola.class.getName()));
    cmd.addAll(args);
    Path dir = Files.createTempDirectory("isola-cli-test");
    try {
      File out = dir.resolve("out").toFile();
      File err = dir.resolve("err").toFile();
      Path in = Files.writeString(dir.resolve("in"), stdin);
      Process p = new ProcessBuilder(cmd).redirectOutput(out).redirectError(err).redirectInput(in.toFile()).start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("isola " + args + " ended").isTrue();
      return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
          Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      for (String f : new String[] {"out", "err", "in"}) {
        Files.deleteIfExists(dir.resolve(f));
      }
      Files.delete(dir);
    }
  }
}
