package dev.isola.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code isola doctor}: a line per check, exit 0 when a default container ran; {@code --json}. */
class DoctorCommandTest {
  @Test
  void theTableAndTheJsonSayWhatThisHostGives() throws Exception {
    RunCommandTest.Result table = RunCommandTest.isola(List.of(), List.of("doctor"), "");
    assertThat(table.code).as(table.err).isZero();
    assertThat(table.out).containsPattern("(?m)^available +kernel +Linux ").containsPattern("(?m)^available +seccomp ")
        .containsPattern("(?m)^available +a default container +started and exited in")
        .endsWith("a default container runs here\n");
    RunCommandTest.Result json = RunCommandTest.isola(List.of(), List.of("doctor", "--json"), "");
    assertThat(json.code).isZero();
    assertThat(json.out).startsWith("{\"defaultSpecRuns\":true,\"checks\":[{\"name\":\"kernel\",\"status\":\"available\"")
        .endsWith("]}\n");
  }

  @Test
  void aBadFlagIsAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(Isola.run(new String[] {"doctor", "--yaml"}, e, e)).isEqualTo(Isola.USAGE_ERROR);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown flag --yaml").contains("see 'isola doctor --help'");
  }
}
