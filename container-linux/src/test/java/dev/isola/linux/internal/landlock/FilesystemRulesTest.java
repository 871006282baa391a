package dev.isola.linux.internal.landlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.FilesystemRules;
import dev.isola.Mount;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.container.LinuxContainer;
import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.plan.Host;
import dev.isola.linux.internal.plan.IdMaps;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.plan.LaunchPlan.Step;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.plan.PlanCompiler;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.Supervisor;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filesystem rules, enforced with Landlock, seen from inside a busybox container. A denial is
 * shown to be the rules' by the same operation succeeding under a rule that allows it. The host
 * directory bound at /data is writable by everyone: the container's root is an unprivileged id.
 */
class FilesystemRulesTest {
  /** The kernel's answer, asked here directly rather than through the code under test. */
  private static int kernelAbi;
  private Leftovers before;
  @TempDir Path dir;

  @BeforeAll
  static void askTheKernel() {
    kernelAbi = (int) LibC.syscall(444, Pointer.NULL, 0, 1);
    assertThat(kernelAbi).as("landlock_create_ruleset(NULL, 0, VERSION) on this machine, errno " + Native.getLastError())
        .isPositive();
  }

  @BeforeEach
  void snapshot() throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(Files.writeString(dir.resolve("in"), "from the host\n"), PosixFilePermissions.fromString("rw-rw-rw-"));
    before = Leftovers.snapshot();
  }

  @AfterEach
  void nothingLeft() {
    before.assertNoneSince();
  }

  private ContainerSpec.Builder sh(String script, FilesystemRules.Builder rules) {
    return Run.sh(script).mount(Mount.bindWritable(dir, "/data")).filesystemRules(rules.build());
  }

  private static FilesystemRules.Builder runBin() {
    return FilesystemRules.builder().execute("/bin");
  }

  @Test
  void aReadOnlyRuleAllowsReadingButNotWriting() {
    String script = "cat /data/in; echo changed > /data/in 2>&1; touch /data/new 2>&1; mkdir /data/d 2>&1; ls /data";
    Run r = Run.of(sh(script, runBin().readOnly("/data")));
    assertThat(r.stdout).as(r.toString()).startsWith("from the host\n").contains("Permission denied").contains("in\n");
    assertThat(dir.resolve("in")).hasContent("from the host");
    assertThat(dir.resolve("new")).doesNotExist();
    assertThat(dir.resolve("d")).doesNotExist();
  }

  @Test
  void aReadWriteRuleAllowsWritingCreatingAndMoving() {
    String script = "echo changed > /data/in && mkdir /data/d && echo new > /data/d/f && mv /data/in /data/d/ && echo ok";
    Run r = Run.of(sh(script, runBin().readWrite("/data")));
    assertThat(r.stdout).as(r.toString()).isEqualTo("ok\n");
    assertThat(dir.resolve("d/in")).hasContent("changed");
    assertThat(dir.resolve("d/f")).hasContent("new");
  }

  @Test
  void whatNoRuleCoversCannotBeReadOrListed() {
    Run r = Run.of(sh("cat /etc/marker 2>&1; ls / 2>&1; cat /data/in", runBin().readOnly("/data")));
    assertThat(r.stdout).as(r.toString()).contains("cat: can't open '/etc/marker': Permission denied")
        .contains("ls: can't open '/': Permission denied").endsWith("from the host\n");
    Run allowed = Run.of(sh("cat /etc/marker", runBin().readOnly("/etc")));
    assertThat(allowed.stdout).isEqualTo("inside the test rootfs\n");
  }

  @Test
  void onlyAnExecuteRuleAllowsRunningPrograms() throws IOException {
    Files.copy(Path.of("/bin/busybox"), dir.resolve("busybox"));
    String script = "/data/busybox true 2>&1; echo rc=$?; /bin/busybox true; echo rc=$?";
    Run r = Run.of(sh(script, runBin().readOnly("/data")));
    assertThat(r.stdout).as(r.toString()).contains("Permission denied").contains("rc=126").endsWith("rc=0\n");
    Run allowed = Run.of(sh(script, runBin().execute("/data")));
    assertThat(allowed.stdout).as(allowed.toString()).isEqualTo("rc=0\nrc=0\n");
  }

  @Test
  void aRuleOnAFileCoversThatFileOnly() throws IOException {
    Files.setPosixFilePermissions(Files.writeString(dir.resolve("other"), "x\n"), PosixFilePermissions.fromString("rw-rw-rw-"));
    Run r = Run.of(sh("echo changed > /data/in && echo wrote; cat /data/other 2>&1", runBin().readWrite("/data/in")));
    assertThat(r.stdout).as(r.toString()).startsWith("wrote\n").contains("Permission denied");
    assertThat(dir.resolve("in")).hasContent("changed");
  }

  @Test
  void theLevelInUseIsTheKernelsAbi() {
    try (Container c = sh("true", runBin()).start()) {
      assertThat(c.filesystemRulesLevel()).isEqualTo(kernelAbi);
    }
    try (Container c = Run.sh("true").start()) {
      assertThat(c.filesystemRulesLevel()).isZero();
    }
  }

  @Test
  void aMissingRulePathFailsTheStartNamingIt() {
    assertThatThrownBy(() -> Run.of(sh("true", runBin().readOnly("/etc", "/no/such/dir"))))
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("restrict the filesystem with Landlock ABI " + kernelAbi
            + " to /bin read+execute, /etc read, /no/such/dir read\"")
        .hasMessageContaining("(ENOENT); the filesystem rule's path /no/such/dir does not exist in the container")
        .satisfies(e -> assertThat(((ContainerStartException) e).errorNumber()).hasValue(2));
  }

  @Test
  void aProgramNoRuleLetsRunIsNamed() {
    assertThatThrownBy(() -> Run.of(Run.sh("true").filesystemRules(FilesystemRules.builder().execute("/data").build())))
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("execute sh")
        .hasMessageContaining("(EACCES)")
        .hasMessageContaining("or no filesystem rule allows running it");
  }

  @Test
  void theRulesComeAfterTheInitAndNoNewPrivsAndBeforeSeccompAndExec() {
    List<Step> steps = compile(sh("true", runBin().readWrite("/data")).build(), 7).steps();
    List<Op> ops = steps.stream().map(s -> s.op).collect(java.util.stream.Collectors.toList());
    int landlock = ops.indexOf(Op.LANDLOCK);
    assertThat(ops.lastIndexOf(Op.LANDLOCK)).isEqualTo(landlock);
    assertThat(landlock).isGreaterThan(ops.indexOf(Op.INIT)).isGreaterThan(ops.indexOf(Op.NO_NEW_PRIVS))
        .isGreaterThan(ops.indexOf(Op.PIVOT_ROOT)).isLessThan(ops.indexOf(Op.SECCOMP)).isLessThan(ops.indexOf(Op.EXEC));
  }

  @Test
  void theRightsAreThoseTheKernelsAbiKnows() {
    ContainerSpec spec = sh("true", runBin().readWrite("/data")).build();
    // ABI 1: the 13 basic rights; writing then leaves out moving between directories and truncating
    assertThat(landlockStep(spec, 1).ints).containsExactly(1L, 0x1fffL, 0x7L, 0xdL, 0x17beL);
    assertThat(landlockStep(spec, 3).ints).containsExactly(3L, 0x7fffL, 0x4007L, 0xdL, 0x77beL);
    // ABI 5 adds device ioctls; the later ones add no filesystem right Isola uses
    assertThat(landlockStep(spec, 5).ints).containsExactly(5L, 0xffffL, 0xc007L, 0xdL, 0xf7beL);
    assertThat(landlockStep(spec, 7).ints).containsExactly(7L, 0xffffL, 0xc007L, 0xdL, 0xf7beL);
    assertThat(landlockStep(spec, 7).strings).containsExactly("/bin", "/data");
  }

  @Test
  void requiredRulesOnAKernelWithoutLandlockAreRefusedNamingIt() {
    ContainerSpec spec = sh("true", runBin()).build();
    assertThatThrownBy(() -> new PlanCompiler(Host.current()).withLandlockProbe(() -> -38).check(spec))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("filesystem rules (Landlock) is not available")
        .hasMessageContaining("the kernel answers ENOSYS to landlock_create_ruleset")
        .hasMessageContaining("bestEffort()");
    assertThatThrownBy(() -> new PlanCompiler(Host.current()).withLandlockProbe(() -> -95).check(spec))
        .hasMessageContaining("EOPNOTSUPP").hasMessageContaining("lsm= boot parameter");
  }

  @Test
  void bestEffortRulesOnAKernelWithoutLandlockStartWithoutThem() throws Exception {
    ContainerSpec spec = Run.sh("cat /etc/marker").filesystemRules(runBin().bestEffort().build()).build();
    LaunchPlan plan = new PlanCompiler(Host.current()).withLandlockProbe(() -> -38).compile(spec);
    assertThat(plan.steps()).noneMatch(s -> s.op == Op.LANDLOCK);
    Supervisor supervisor = new Supervisor();
    LinuxContainer c = LinuxContainer.start(spec, plan, Optional.empty(), Optional.empty(),
        IdMaps.rootIds(spec, Host.current()), (exec, pid) -> { throw new AssertionError("no exec here"); }, Launcher.load(true, supervisor), supervisor);
    try {
      assertThat(new String(c.stdout().readAllBytes())).isEqualTo("inside the test rootfs\n");
      assertThat(c.exit().get().isSuccess()).isTrue();
      assertThat(c.filesystemRulesLevel()).isZero();
    } finally {
      c.close();
    }
  }

  @Test
  void bestEffortRulesAreEnforcedWhereTheKernelCan() {
    try (Container c = sh("cat /etc/marker 2>&1", runBin().bestEffort()).start()) {
      assertThat(Run.drain(c.stdout())).contains("Permission denied");
      assertThat(c.filesystemRulesLevel()).isEqualTo(kernelAbi);
    }
  }

  private static LaunchPlan compile(ContainerSpec spec, int abi) {
    return new PlanCompiler(Host.current()).withLandlockProbe(() -> abi).compile(spec);
  }

  private static Step landlockStep(ContainerSpec spec, int abi) {
    return compile(spec, abi).steps().stream().filter(s -> s.op == Op.LANDLOCK).findFirst().orElseThrow();
  }
}
