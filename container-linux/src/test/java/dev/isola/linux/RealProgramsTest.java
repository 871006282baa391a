package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real toolchains, unchanged, in the default container, as root (this suite's user) and as uid
 * 65534, each compared with the same run on the host: {@link RealProgramsMain} prints a table,
 * which is also this test's output.
 */
class RealProgramsTest {
  private static Path work;
  private static Map<String, String> asRoot;
  private static Map<String, String> asNobody;

  @BeforeAll
  static void runBoth() throws IOException {
    work = Files.createTempDirectory("isola-real-programs-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path src = Files.createDirectories(work.resolve("src"));
    RealProgramsMain.writeSources(src);
    Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rwxr-xr-x"));
    String root = ChildJvm.runOrFail(ChildJvm.command(ChildJvm.classPath(), RealProgramsMain.class, src.toString()));
    String nobody = ChildJvm.runAsNobody(work.resolve("nobody"), RealProgramsMain.class, java.util.List.of(src.toString()));
    System.out.println("workload: inside | on the host | seconds inside | seconds on the host\n-- as root\n" + root
        + "-- as uid 65534\n" + nobody);
    asRoot = ChildJvm.results(root);
    asNobody = ChildJvm.results(nobody);
  }

  @AfterAll
  static void cleanUp() {
    if (work != null) {
      TestRootfs.deleteTree(work);
    }
  }

  private static String inside(Map<String, String> results, String workload) {
    assertThat(results).as("%s ran", workload).containsKey(workload);
    return results.get(workload).split(" \\| ")[0];
  }

  private static String onHost(Map<String, String> results, String workload) {
    return results.get(workload).split(" \\| ")[1];
  }

  @Test
  void aLoginEnvironmentWithAWritableHome() {
    for (Map<String, String> r : java.util.List.of(asRoot, asNobody)) {
      assertThat(inside(r, "login-environment"))
          .isEqualTo("exit 0 home writable;user named;LANG=C.UTF-8;localhost resolves");
    }
  }

  @Test
  void theJdkCompilesAndRunsASourceFileResolvingItsOwnName() {
    for (Map<String, String> r : java.util.List.of(asRoot, asNobody)) {
      assertThat(inside(r, "jdk"))
          .isEqualTo("exit 0 compiled and ran; resolves its own name; trusts the CAs; home writable; UTF-8");
    }
  }

  @Test
  void cpythonFindsItsTrustStoreLocaleHomeAndName() {
    for (Map<String, String> r : java.util.List.of(asRoot, asNobody)) {
      assertThat(inside(r, "cpython")).isEqualTo("exit 0 cas UTF-8 home True resolves True");
    }
  }

  @Test
  void cpythonsRegressionTestsFailOnlyWhereAUserNamespaceMustDiffer() {
    for (Map<String, String> r : java.util.List.of(asRoot, asNobody)) {
      assertThat(onHost(r, "cpython-regrtest")).isEqualTo("exit 0 == Tests result: SUCCESS ==;All 20 tests OK.");
      // root without capabilities cannot chown; nobody's one mapped id cannot become another
      assertThat(inside(r, "cpython-regrtest")).isEqualTo("exit 0 == Tests result: FAILURE ==;17 tests OK.;"
          + "3 tests failed:;    test_os test_posix test_tarfile");
    }
    // with Docker's capabilities, only test_posix's chown to uid 4294967294, which no user
    // namespace of 65536 ids maps (docs/real-programs.md)
    assertThat(inside(asRoot, "cpython-regrtest" + RealProgramsMain.WITH_DOCKER_CAPS))
        .isEqualTo("exit 0 == Tests result: FAILURE ==;19 tests OK.;1 test failed:;    test_posix");
  }

  @Test
  void gccBuildsAndRunsAThreadedProgramAndAPipelineOfManyProcessesRuns() {
    for (Map<String, String> r : java.util.List.of(asRoot, asNobody)) {
      assertThat(inside(r, "gcc-threads")).isEqualTo("exit 0 8 threads, sum 23999976").isEqualTo(onHost(r, "gcc-threads"));
      assertThat(inside(r, "shell-pipeline")).isEqualTo("exit 0 1250025000;64 subshells").isEqualTo(onHost(r, "shell-pipeline"));
    }
  }
}
