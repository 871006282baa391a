package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runtime as an ordinary user: a child JVM runs {@link RootlessMain} as uid 65534 (nobody)
 * against a world-readable copy of the built classes.
 */
class RootlessTest {
  private static final int NOBODY = ChildJvm.NOBODY;
  private static Path workDir;
  private static Map<String, String> results;
  private static String output;

  @BeforeAll
  static void runAllScenarios() throws IOException {
    run();
  }

  /** Runs {@link RootlessMain} as nobody; {@code only} names one scenario, or none for all. */
  static void run(String... only) throws IOException {
    cleanUp();
    assertThat(LibC.geteuid()).as("these tests start the child JVM as root with setpriv").isZero();
    workDir = Files.createTempDirectory("isola-rootless-");
    Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path shared = Files.createDirectories(workDir.resolve("shared"));
    Files.writeString(shared.resolve("shared.txt"), "from the host\n");
    List<String> args = new ArrayList<>(List.of(TestRootfs.busybox().toString(), shared.toString()));
    args.addAll(List.of(only));
    output = ChildJvm.runAsNobody(workDir, RootlessMain.class, args);
    results = ChildJvm.results(output);
  }

  @AfterAll
  static void cleanUp() {
    if (workDir != null) {
      TestRootfs.deleteTree(workDir);
    }
  }

  static String result(String name) {
    assertThat(results).as("output of the rootless JVM:\n" + output).containsKey(name);
    return results.get(name);
  }

  @Test
  void anOverlayRootWorksInTheUserNamespaceAndFilesGoInAndOut() throws IOException {
    // overlayfs in a user namespace: Linux 5.11 and later
    assertThat(result("overlay")).isEqualTo("in written lower-intact left=0");
    assertThat(result("copy-in")).isEqualTo("go");
  }

  @Test
  void theChildJvmRunsAsNobody() {
    assertThat(result("whoami")).isEqualTo("uid " + NOBODY);
  }

  @Test
  void theCallerIsRootInsideAndItselfOutside() {
    assertThat(result("ids")).isEqualTo("0\n 0 65534 1; 0 65534 1;".replace("\n", " "));
  }

  @Test
  void namespacesAreNew() {
    assertThat(result("namespaces")).isEqualTo("user-new net-new");
    assertThat(result("shared-net")).isEqualTo("net-shared"); // any kind but USER may be kept
    assertThat(result("explicit-own-ids")).isEqualTo("0  0 65534 1"); // IdMapping.of(own ids), written without newuidmap
    assertThat(result("pid-hostname-net")).isEqualTo("2 isola lo");
  }

  @Test
  void mountsWork() {
    assertThat(result("readonly-root")).isEqualTo("read-only t");
    assertThat(result("bind")).isEqualTo("from the host refused");
    assertThat(result("default-root")).isEqualTo("usr-ok 0");
    assertThat(result("writable-root")).isEqualTo("wrote on-host");
  }

  @Test
  void killWorks() {
    assertThat(result("exit-and-kill")).isEqualTo("KILLED TERM");
  }

  @Test
  void anExecJoinsTheContainerAsItsRoot() {
    assertThat(result("exec")).isEqualTo("rl 0 NoNewPrivs:1 same-userns exit 0");
  }

  @Test
  void aPublishedPortReachesARootlessContainer() {
    assertThat(result("network")).isEqualTo("served");
    assertThat(result("network-slirp4netns")).as("through slirp4netns, the fallback").isEqualTo("served");
  }

  @Test
  void aStdioFileTheUserMayNotWriteIsNamed() {
    assertThat(result("stdio-eacces")).isEqualTo("open the stdout file /root/isola-denied: EACCES named");
  }

  @Test
  void clockOffsetsWorkRootless() {
    assertThat(result("time")).isEqualTo("two days ahead");
  }

  @Test
  void aTerminalWorksRootless() {
    assertThat(result("tty")).isEqualTo("/dev/pts/0 30 90 exit 0");
  }

  @Test
  void theServerIsNotDumpableEvenForItsOwnUser() {
    assertThat(result("launcher")).isEqualTo("isola-server not dumpable");
  }

  @Test
  void whatOnlyRootMayDoIsRefusedWithTheReason() {
    assertThat(result("host-root")).startsWith("UnsupportedFeatureException: IdMapping.hostRoot()")
        .contains("only root");
    assertThat(result("shared-user")).startsWith("UnsupportedFeatureException: sharing the host's user namespace")
        .contains("uid 65534");
  }

  @Test
  void limitsWithoutADelegatedCgroupAreRefusedUnlessBestEffort() {
    assertThat(result("memory-limit")).startsWith("UnsupportedFeatureException: memory limit is not available")
        .contains("not writable by uid 65534").contains("Delegate=yes");
    assertThat(result("memory-best-effort")).isEqualTo("started");
    assertThat(result("wall-limit")).isEqualTo("WALL_TIME_LIMIT"); // the launcher keeps time, no cgroup needed
    // from wait4, no cgroup needed; the status says the figures are estimates
    assertThat(result("peak-memory")).isEqualTo("about 40 MiB, RUSAGE");
    assertThat(result("pause")).startsWith("UnsupportedFeatureException: pause() is not available").contains("no cgroup");
  }

  @Test
  void filesystemRulesAreEnforced() {
    assertThat(result("filesystem-rules")).matches("level [1-9][0-9]* inside the test rootfs touch: /tmp/x: Permission denied");
  }

  @Test
  void subordinateRangesNeedAnEntryInEtcSubuid() {
    // nobody has no entry in /etc/subuid on a normal host; RootlessSubordinateTest covers one with an entry
    assertThat(result("subordinate")).startsWith("UnsupportedFeatureException: IdMapping.subordinate()")
        .contains("/etc/subuid has no entry for user nobody");
  }
}
