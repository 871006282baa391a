package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each example as a user runs it: its own JVM, its exit code, what it prints. */
class ExamplesTest {
  @Test
  void theDemoPassesEverySection() throws Exception {
    Result r = java(List.of(), Demo.class.getName());
    assertThat(r.out).as(r.out).contains("All sections passed.");
    assertThat(r.code).isZero();
  }

  @Test
  void theLadderClimbsEveryRung() throws Exception {
    Result r = java(List.of(), Ladder.class.getName());
    assertThat(r.out).as(r.out).contains("Rung 6", "hostname               ladder", "interfaces             lo\n",
        "OOM_KILLED", "All sections passed.");
    assertThat(r.code).isZero();
  }

  @Test
  void runImageRunsACommandInAnImportedImage(@TempDir Path dir) throws Exception {
    Path layout = BusyboxImage.write(dir.resolve("layout"));
    List<String> props = List.of("-Disola.image.store=" + dir.resolve("store"));
    Result own = java(props, RunImage.class.getName(), layout.toString(), "sh", "-c", "echo in $(pwd); exit 3");
    assertThat(own.out).as(own.out).contains("in /root").contains("exited with code 3");
    assertThat(own.code).isEqualTo(3);
    Result usage = java(props, RunImage.class.getName());
    assertThat(usage.code).isEqualTo(2);
    assertThat(usage.out).contains("usage: RunImage IMAGE [COMMAND...]");
  }

  private record Result(int code, String out) {}

  private static Result java(List<String> props, String main, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(props);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the example ended within 2 minutes").isTrue();
    return new Result(p.exitValue(), out);
  }
}
