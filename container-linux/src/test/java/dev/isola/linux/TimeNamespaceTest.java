package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.ExecProcess;
import dev.isola.linux.testing.Run;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Clock offsets: the container's uptime and boot-time clock read ahead of the host's, its execs' too. */
class TimeNamespaceTest {
  private static double hostUptime() throws Exception {
    return Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
  }

  @Test
  void theContainersClocksAreOffsetAndItsTimeNamespaceIsItsOwn() throws Exception {
    Duration boot = Duration.ofDays(20);
    String hostNs = Files.readSymbolicLink(Path.of("/proc/self/ns/time")).toString();
    double before = hostUptime();
    Run r = Run.of(Run.sh("cut -d' ' -f1 /proc/uptime; readlink /proc/self/ns/time").timeOffsets(Duration.ofDays(10), boot));
    double after = hostUptime();
    String[] lines = r.stdout.split("\n");
    double inside = Double.parseDouble(lines[0]);
    assertThat(inside).as(r.toString()).isBetween(before + boot.getSeconds() - 1, after + boot.getSeconds() + 1);
    assertThat(lines[1]).startsWith("time:[").isNotEqualTo(hostNs);
    // without offsets, the host's
    assertThat(Run.of("readlink /proc/self/ns/time").stdout.trim()).isEqualTo(hostNs);
  }

  @Test
  void anExecSeesTheSameClocks() throws Exception {
    Duration boot = Duration.ofDays(3);
    try (Container c = Run.sh("echo ready; exec sleep 60").timeOffsets(Duration.ZERO, boot).start()) {
      new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine();
      try (ExecProcess p = c.exec("cut", "-d", " ", "-f1", "/proc/uptime")) {
        double inside = Double.parseDouble(new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8).trim());
        assertThat(inside).isGreaterThan(hostUptime() + boot.getSeconds() - 5).isLessThan(hostUptime() + boot.getSeconds() + 5);
      }
    }
  }
}
