package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.IdMapping;
import dev.isola.Mount;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.BreakoutProbe;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.HostState;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Catalog group A, breakouts through the runtime's own process: every attack runs inside a
 * container with the default spec, then the host is checked. The only process of the runtime in
 * a container's pid namespace is its init ({@code isola-init}, a fork of the launcher: full
 * capabilities in the container's user namespace, no seccomp filter), so it is the target; the
 * monitor stays outside. Isola has no "exec into a running container", so the joining-helper
 * halves of ESC-01 and ESC-03 have nothing to attack.
 */
class EscapeRuntimeProcessTest {
  /**
   * The configurations the init is attacked in. With the default id mapping the kernel itself makes
   * the launcher child non-dumpable when it becomes the container's root (its host uid changes);
   * where container root is the same host id as the launcher (an ordinary user's container, whose
   * root is the caller, or {@code IdMapping.hostRoot()}), only the launcher's own {@code
   * PR_SET_DUMPABLE 0} does, and a container keeping {@code CAP_SYS_PTRACE} has the capability the
   * kernel would otherwise ask of it in the container's namespace.
   */
  enum Config {
    DEFAULT {
      @Override
      ContainerSpec.Builder apply(ContainerSpec.Builder b) {
        return b;
      }
    },
    ROOT_IS_THE_LAUNCHERS_ID_AND_KEEPS_SYS_PTRACE {
      @Override
      ContainerSpec.Builder apply(ContainerSpec.Builder b) {
        return b.idMapping(IdMapping.hostRoot()).capabilities(Capability.SYS_PTRACE);
      }
    };

    abstract ContainerSpec.Builder apply(ContainerSpec.Builder b);
  }

  /** What a denied attempt to write a binary may answer. */
  private static final Set<String> WRITE_DENIED =
      Set.of("errno EACCES", "errno EPERM", "errno ETXTBSY", "errno EROFS", "errno ENOENT");

  /**
   * ESC-01 (CVE-2019-5736): from inside, try to open every process's {@code /proc/<pid>/exe} for
   * writing, directly and by an {@code O_PATH} open reopened through {@code /proc/self/fd}. The
   * init's exe cannot even be named (it is not dumpable), nothing else is writable, and the binaries
   * on the host are unchanged.
   */
  @ParameterizedTest
  @EnumSource(Config.class)
  void noBinaryCanBeWrittenThroughProcExe(Config config) throws Exception {
    HostState host = HostState.snapshot();
    Run r = BreakoutProbe.run(config.apply(BreakoutProbe.sh(
        "for i in 1 2 3 4 5; do " + BreakoutProbe.PATH + " exe $(ls /proc | grep -E '^[0-9]+$'); done")));
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    Map<String, String> results = BreakoutProbe.results(r.stdout);
    // the init (pid 1) is the runtime's process: nothing of it is reachable, not even its name
    assertThat(results).containsEntry("1 readlink", "errno EACCES").containsEntry("1 path", "errno EACCES")
        .containsEntry("1 wronly", "errno EACCES").containsEntry("1 rdwr", "errno EACCES");
    // the container's own processes run busybox and the probe, from a read-only root
    assertThat(results.keySet()).as(r.stdout).anyMatch(k -> k.endsWith(" reopen-wronly") && !k.startsWith("1 "));
    // every attempt on every process, in every round
    r.stdout.lines().filter(l -> l.matches("\\S+ (wronly|rdwr|trunc|reopen-wronly|write) .*"))
        .forEach(l -> assertThat(l.substring(l.indexOf(' ', l.indexOf(' ') + 1) + 1)).as(l).isIn(WRITE_DENIED));
    host.assertUnchanged();
  }

  /**
   * ESC-01 (c, d): the init runs the launcher from a memfd with every base seal, byte for byte the
   * launcher of the build; from inside its exe is unreadable.
   */
  @Test
  void theInitRunsASealedCopyOfTheLauncher() throws Exception {
    try (Container c = BreakoutProbe.sh("sleep 60").start()) {
      Path exe = Path.of("/proc/" + c.pid() + "/exe");
      assertThat(Files.readSymbolicLink(exe).toString()).startsWith("/memfd:isola-launcher");
      assertThat(HostState.seals(exe) & HostState.BASE_SEALS).as("seals of the init's executable")
          .isEqualTo(HostState.BASE_SEALS);
      try (InputStream in = Files.newInputStream(exe)) {
        assertThat(HostState.sha256(in)).isEqualTo(HostState.sha256(HostState.launcherResource()));
      }
    }
  }

  /**
   * ESC-01 (a): the command is a script whose interpreter is {@code /proc/self/exe}, so the kernel
   * runs the runtime's own binary as the container's program. It is the sealed memfd, is not
   * started as the launch server, says so and ends; nothing on the host changed.
   */
  @Test
  void aScriptInterpretedByProcSelfExeRunsOnlyTheSealedCopy(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path script = Files.writeString(dir.resolve("evil"), "#!/proc/self/exe\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    HostState host = HostState.snapshot(dir);
    Run r = Run.of(Container.builder().rootfs(TestRootfs.busybox()).command("/root/evil").mount(Mount.bind(dir, "/root")));
    // the launcher without --server exits 2 at once, with one line
    assertThat(r.status.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.stdout).isEmpty();
    assertThat(r.stderr).isEqualTo("isola-launcher: started by Isola's Java runtime only (--server)\n");
    host.assertUnchanged();
  }

  /**
   * ESC-02 (a, d): the JVM holds 200 descriptors without close-on-exec, one a directory handle on
   * the host's root at number 4000. Inside, the command has only 0, 1 and 2, all pipes, and its
   * working directory leads up to its own root; on the host, the init holds nothing but pipes.
   */
  @Test
  void noDescriptorOfTheJvmReachesTheContainer() throws Exception {
    List<Integer> leaked = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      leaked.add(LibC.open(i % 2 == 0 ? "/etc/hostname" : "/", LibC.O_RDONLY, 0));
    }
    int root = LibC.open("/", LibC.O_RDONLY, 0);
    leaked.add(root);
    leaked.add(LibC.fcntl(root, 0 /* F_DUPFD, no close-on-exec */, 4000));
    try (Container c = BreakoutProbe.sh(BreakoutProbe.PATH + " fds; exec sleep 10").start()) {
      assertThat(leaked).allMatch(fd -> fd >= 0).contains(4000);
      List<String> inside = lines(c, 4);
      assertThat(inside).hasSize(4);
      for (int fd = 0; fd < 3; fd++) {
        assertThat(inside.get(fd)).matches("fd " + fd + " pipe pipe:\\[\\d+\\]");
      }
      assertThat(inside.get(3)).isEqualTo("cwd inside");
      // the init, seen from the host: stdio and its status pipe to the monitor, no file, no directory
      try (Stream<Path> fds = Files.list(Path.of("/proc/" + c.pid() + "/fd"))) {
        List<String> targets = new ArrayList<>();
        for (Path fd : (Iterable<Path>) fds::iterator) {
          targets.add(Files.readSymbolicLink(fd).toString());
        }
        assertThat(targets).isNotEmpty().allMatch(t -> t.startsWith("pipe:"), "a pipe");
      }
    } finally {
      leaked.forEach(LibC::close);
    }
  }

  /**
   * ESC-02 (a), where the server begins: a JVM whose descriptors lack close-on-exec spawns the
   * launch server with them; the server closes every one it did not ask for before anything else.
   * (The test above runs in a JVM whose server already runs, so it sees only the per-container closing.)
   */
  @Test
  void descriptorsLeakedByTheJvmNeverReachTheLaunchServer() throws Exception {
    Path marker = Files.writeString(Files.createTempFile("isola-leaked-", ".txt"), "leaked");
    Process jvm = new ProcessBuilder(ChildJvm.command(ChildJvm.classPath(), LeakyJvmMain.class,
        TestRootfs.busybox().toString(), marker.toString())).redirectErrorStream(true).start();
    try {
      String line = new BufferedReader(new InputStreamReader(jvm.getInputStream())).readLine();
      assertThat(line).as("child JVM said").startsWith("server ");
      List<String> targets = new ArrayList<>();
      try (Stream<Path> fds = Files.list(Path.of("/proc/" + line.substring(7).trim() + "/fd"))) {
        for (Path fd : (Iterable<Path>) fds::iterator) {
          targets.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
        }
      }
      assertThat(targets).isNotEmpty().noneMatch(t -> t.endsWith(marker.toString()));
      assertThat(targets).as("descriptors numbered like the JVM's").noneMatch(t -> t.startsWith("4000 "));
    } finally {
      jvm.destroyForcibly();
      jvm.waitFor();
      Files.delete(marker);
    }
  }

  /**
   * ESC-02 (b): a working directory through {@code /proc/self/fd/N} would be a descriptor of the
   * runtime: none of them is a directory when the launcher changes into it, so each start is
   * refused, naming the step. {@code /proc/1/cwd} is the init's, which is not reachable.
   */
  @Test
  void aWorkingDirectoryThroughProcFdIsRefused() {
    List<String> paths = new ArrayList<>();
    for (int n = 3; n <= 64; n++) {
      paths.add("/proc/self/fd/" + n);
    }
    paths.add("/proc/1/cwd");
    paths.add("/proc/1/root");
    for (String wd : paths) {
      assertThatThrownBy(() -> Run.of(Run.sh("pwd").workingDirectory(wd)), wd)
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("change to the working directory " + wd);
    }
    // through our own descriptors it lands where it points, inside the root
    Run r = Run.of(Run.sh("pwd; readlink /proc/self/cwd").workingDirectory("/proc/self/cwd"));
    assertThat(r.stdout).as(r.toString()).isEqualTo("/\n/\n");
  }

  /**
   * ESC-02 (c): inside, the command's cwd and root are inside the container's root; the init's are
   * not even readable. From the host, the init's cwd and root are the rootfs itself.
   */
  @Test
  void workingDirectoryAndRootAreInsideTheRoot() throws Exception {
    try (Container c = BreakoutProbe.sh("readlink /proc/self/cwd; readlink /proc/self/root; "
        + BreakoutProbe.PATH + " trace 1 | grep -E '^1 (cwd|root) '; exec sleep 10").workingDirectory("/etc").start()) {
      assertThat(lines(c, 4)).containsExactly("/etc", "/", "1 cwd errno EACCES", "1 root errno EACCES");
      Path rootfs = TestRootfs.busybox();
      assertThat(Files.isSameFile(Path.of("/proc/" + c.pid() + "/cwd"), rootfs)).as("the init's cwd is the rootfs").isTrue();
      assertThat(Files.isSameFile(Path.of("/proc/" + c.pid() + "/root"), rootfs)).as("the init's root is the rootfs").isTrue();
    }
  }

  /**
   * ESC-03: the container's root attacks the init with ptrace, process_vm_readv/writev,
   * pidfd_getfd, kcmp and its /proc files: all denied (EPERM from the kernel, the init not being
   * dumpable, or from seccomp; EACCES for /proc).
   */
  @ParameterizedTest
  @EnumSource(Config.class)
  void theInitCannotBeTracedOrRobbedOfDescriptors(Config config) {
    Run r = BreakoutProbe.run(config.apply(BreakoutProbe.sh("for i in 1 2 3; do " + BreakoutProbe.PATH + " trace 1; done")));
    Map<String, String> results = BreakoutProbe.results(r.stdout);
    assertThat(results).as(r.toString())
        .containsEntry("1 ptrace-attach", "errno EPERM").containsEntry("1 ptrace-seize", "errno EPERM")
        .containsEntry("1 process_vm_readv", "errno EPERM").containsEntry("1 process_vm_writev", "errno EPERM")
        .containsEntry("1 kcmp", "errno EPERM")
        .containsEntry("1 open-mem", "errno EACCES").containsEntry("1 open-environ", "errno EACCES")
        .containsEntry("1 open-fd/0", "errno EACCES");
    if (config == Config.DEFAULT) {
      // (with host root mapped in, its numbers can be listed: the kernel gives a non-dumpable
      // process's /proc files to host root; they still cannot be opened)
      assertThat(results).containsEntry("1 list-fd", "errno EACCES");
    }
    // pidfd_open itself is harmless and allowed; taking a descriptor with it is not
    assertThat(results.get("1 pidfd_open")).startsWith("ok ");
    assertThat(results.keySet().stream().filter(k -> k.startsWith("1 pidfd_getfd-"))).hasSize(16);
    results.forEach((label, result) -> {
      if (label.startsWith("1 pidfd_getfd-")) {
        assertThat(result).as(label).isEqualTo("errno EPERM");
      }
    });
  }

  /** The first {@code n} lines the container prints (fewer if it ends before). */
  private static List<String> lines(Container c, int n) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    for (String line; lines.size() < n && (line = in.readLine()) != null; ) {
      lines.add(line);
    }
    return lines;
  }

  /**
   * ESC-04: the parent of a container dies while containers are being set up. A child JVM starts
   * containers back to back in three threads under a subreaper ({@code src/test/c/reaper.c}); the
   * JVM is killed, and in some rounds every launcher it leaves too (they are each container's
   * parent). Whatever stage each container had reached, it must end on its own: the launcher
   * child waits for the launcher's go before doing anything, and has the parent-death signal,
   * set again after it changes ids (and then checks that the launcher still reads its exec pipe:
   * the change clears the signal, and a launcher dying in that gap sends none). Any process still
   * alive 5 s later is a survivor. The kill times are random with respect to the three threads'
   * setups; removing the parent-death signal makes this fail, and so does widening the gap in the
   * id change with a sleep while the exec pipe check is missing.
   */
  @Test
  void containersDieWhenTheirParentsDieDuringSetup() throws Exception {
    List<String> java = new ArrayList<>(ChildJvm.command(ChildJvm.classPath(), SetupRaceMain.class, TestRootfs.busybox().toString()));
    java.add(1, "-XX:-UsePerfData"); // it is killed: no file of it left in /tmp/hsperfdata_*
    int[][] rounds = {{100, 1}, {300, 1}, {200, 0}};
    for (int[] round : rounds) {
      List<String> cmd = new ArrayList<>(List.of(BreakoutProbe.binary("reaper").toString(),
          Integer.toString(round[0]), Integer.toString(round[1]), "5000"));
      cmd.addAll(java);
      String out = ChildJvm.run(cmd);
      String what = "killed the jvm" + (round[1] == 1 ? " and its launchers" : "") + " after " + round[0] + " ms:\n" + out;
      assertThat(out).as(what).contains("killed the jvm").doesNotContain("survivor").contains("clean");
      if (round[1] == 1) {
        assertThat(out).as(what).containsPattern("\\(([1-9]\\d*) launchers\\)");
      }
    }
  }
}
