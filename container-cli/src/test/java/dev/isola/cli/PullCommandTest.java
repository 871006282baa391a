package dev.isola.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.images.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code isola pull} and {@code isola run --image REFERENCE} against a real registry. */
class PullCommandTest {
  private static TestRegistry registry;
  private static String reference;

  @BeforeAll
  static void startRegistry() throws IOException {
    registry = TestRegistry.start();
    reference = registry.address() + "/cli/busybox:1";
    registry.pushBusybox("cli/busybox:1");
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void pullPrintsTheIdAndEachLayerThenRunUsesTheStoredImage(@TempDir Path store) throws Exception {
    List<String> jvm = List.of("-Disola.image.store=" + store);
    RunCommandTest.Result pull = RunCommandTest.isola(jvm, List.of("pull", reference), "");
    assertThat(pull.code).as(pull.err).isZero();
    assertThat(pull.out).matches("sha256:[0-9a-f]{64}\n");
    assertThat(pull.err).as("not a terminal: a line per layer").matches("(?s)sha256:[0-9a-f]{12}: [0-9.]+ (KiB|MiB) done\n");

    long blobs = registry.blobGets();
    RunCommandTest.Result run = RunCommandTest.isola(jvm, List.of("run", "--image", reference, "--", "sh", "-c",
        "echo from the registry"), "");
    assertThat(run.code).as(run.err).isZero();
    assertThat(run.out).isEqualTo("from the registry\n");
    assertThat(run.err).as("nothing downloaded again").isEmpty();
    assertThat(registry.blobGets()).isEqualTo(blobs);
  }

  @Test
  void aFailedPullSaysWhyAndExitsOne(@TempDir Path store) throws Exception {
    RunCommandTest.Result r = RunCommandTest.isola(List.of("-Disola.image.store=" + store),
        List.of("pull", registry.address() + "/cli/missing:1"), "");
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).startsWith("isola: cannot pull " + registry.address() + "/cli/missing:1").contains("HTTP 404");
    RunCommandTest.Result run = RunCommandTest.isola(List.of("-Disola.image.store=" + store),
        List.of("run", "--image", "Not/A/Reference", "true"), "");
    assertThat(run.code).isEqualTo(Isola.FAILURE);
    assertThat(run.err).startsWith("isola: malformed image reference \"Not/A/Reference\"");
  }

  @Test
  void usageErrorsAndTheBar() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(Isola.run(new String[] {"pull"}, e, e)).isEqualTo(Isola.USAGE_ERROR);
    assertThat(Isola.run(new String[] {"pull", "a", "b"}, e, e)).isEqualTo(Isola.USAGE_ERROR);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("pull needs an image reference").contains("see 'isola pull --help'");

    PullProgress bar = new PullProgress(e, true);
    bar.progress("sha256:a", 0, 2048);
    bar.progress("sha256:b", 1024, 1024);
    bar.progress("sha256:a", 1024, 2048);
    assertThat(bar.line()).isEqualTo("[" + "#".repeat(20) + "-".repeat(10) + "]  66%  2.0 KiB / 3.0 KiB  1/2 layers");
  }
}
