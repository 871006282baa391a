package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.HostReport;
import dev.isola.HostReport.Status;
import dev.isola.linux.testing.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Container.doctor()} as root (this suite's user) and as uid 65534: every capability is
 * named, and what is missing for nobody (no subuid entry, no delegated cgroup) says so and why.
 */
class DoctorTest {
  @Test
  void asRootEveryCheckIsThereAndADefaultContainerRuns() {
    HostReport report = Container.doctor();
    assertThat(report.defaultSpecRuns()).isTrue();
    assertThat(report.checks()).extracting(HostReport.Check::name).contains("kernel", "user namespaces", "time namespace",
        "cgroups", "cgroup memory", "cgroup pids", "seccomp", "landlock", "subordinate id mapping", "user-mode network", "pasta", "slirp4netns",
        "a default container");
    assertThat(report.check("subordinate id mapping").orElseThrow().status()).isEqualTo(Status.AVAILABLE);
    assertThat(report.check("cgroup memory").orElseThrow().status()).isEqualTo(Status.AVAILABLE);
    assertThat(report.check("seccomp").orElseThrow().status()).isEqualTo(Status.AVAILABLE);
    assertThat(report.check("a default container").orElseThrow().detail()).startsWith("started and exited in");
  }

  @Test
  void asNobodyWhatIsMissingNamesTheCause(@TempDir Path dir) throws java.io.IOException {
    // nobody must enter the directory that holds its copy of the class path
    java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    String out = ChildJvm.runAsNobody(dir, DoctorMain.class, List.of());
    Map<String, String> r = ChildJvm.results(out);
    assertThat(r).as(out).containsKeys("subordinate id mapping", "cgroup memory", "user namespaces");
    // nobody has no /etc/subuid entry here, and the cgroups are root's
    assertThat(r.get("subordinate id mapping")).startsWith("UNAVAILABLE").contains("has no entry for").contains("uid 65534")
        .contains("usermod --add-subuids");
    assertThat(r.get("cgroup memory")).startsWith("UNAVAILABLE").contains("not writable by uid 65534")
        .contains("Delegate=yes");
    assertThat(r.get("user namespaces")).doesNotStartWith("UNAVAILABLE");
  }
}
