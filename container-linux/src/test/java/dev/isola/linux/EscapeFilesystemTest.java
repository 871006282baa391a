package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.Mount;
import dev.isola.linux.internal.plan.PlanCompiler;
import dev.isola.linux.testing.BreakoutProbe;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.HostState;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Catalog group B, file system setup races and symlink tricks: a container that can write a
 * directory another container mounts on swaps its path components for symlinks while Isola sets
 * that container up (FS-01, FS-05, FS-02); roots whose {@code /dev} or {@code /proc} are traps
 * (FS-02, FS-03, FS-04); and mounts that could leak into the host's table (FS-06). The launcher
 * resolves every target beneath the new root ({@code openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS)}) and mounts through the descriptor, so a symlink can only ever point
 * inside: each start either fails, naming the step, or has its mounts inside its root, and the
 * host is unchanged. The attacking containers run with the default spec.
 */
class EscapeFilesystemTest {
  private static final String ESCAPE = BreakoutProbe.PATH;

  /**
   * The test's temporary directory, open to the containers' root (an unprivileged host id). Not
   * JUnit's: the roots built here hold symlinks to host paths, which it would warn about.
   */
  private Path tmp;

  @BeforeEach
  void createTemporaryDirectory() throws IOException {
    tmp = Files.createTempDirectory("escape-fs-");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterEach
  void deleteTemporaryDirectory() {
    TestRootfs.deleteTree(tmp);
  }

  /** A world-writable host directory, as a shared work directory or cache would be. */
  private static Path shared(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    return dir;
  }

  /**
   * A host directory outside every container, world-writable like a cache a symlink might point
   * at, holding a marker file that only the host has.
   */
  private static Path canary(Path dir) throws IOException {
    shared(dir.resolve("canary/data"));
    shared(dir.resolve("canary"));
    Files.writeString(dir.resolve("canary/host-marker-" + UUID.randomUUID()), "only on the host\n");
    return dir.resolve("canary");
  }

  /** A directory to bind into containers, named uniquely so that its mounts can be found. */
  private static Path marker(Path dir) throws IOException {
    Path m = shared(dir.resolve("bound-" + UUID.randomUUID()));
    Files.writeString(m.resolve("inside"), "bound\n");
    return m;
  }

  /** A copy of the busybox root that containers may change: its top directory is world-writable. */
  private static Path rootfsCopy(Path dir) throws IOException {
    Path source = TestRootfs.busybox();
    Path copy = dir.resolve("rootfs");
    try (Stream<Path> paths = Files.walk(source)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = copy.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(p));
        } else {
          Files.copy(p, target, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return shared(copy);
  }

  /**
   * The attacker: a container with {@code dir} bound writable at {@code /tmp/work}, swapping each
   * pair of names under it with renameat2(RENAME_EXCHANGE) in a loop until it is closed; back to
   * back, or (with {@code holds}) keeping the first name's own content for {@code holds[0]} and the
   * second's for {@code holds[1]} microseconds at a time.
   */
  private static Container exchanger(Path dir, long[] holds, String... pairs) {
    StringBuilder script = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      script.append(ESCAPE + " exchange /tmp/work/" + pairs[i] + " /tmp/work/" + pairs[i + 1] + " 60000"
          + (holds.length == 2 ? " " + holds[0] + " " + holds[1] : "") + " & ");
    }
    return BreakoutProbe.sh(script + "wait").mount(Mount.bindWritable(dir, "/tmp/work")).start();
  }

  /** What a start of a victim container came to: its output, or the step that failed. */
  private static final class Outcome {
    final boolean started;
    final String text;

    Outcome(boolean started, String text) {
      this.started = started;
      this.text = text;
    }

    @Override
    public String toString() {
      return (started ? "started: " : "failed: ") + text;
    }
  }

  /** Starts {@code n} victims, each built by {@code spec.apply(i)}, while the attacker runs. */
  private static List<Outcome> victims(int n, IntFunction<ContainerSpec.Builder> spec) {
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try {
        Run r = BreakoutProbe.run(spec.apply(i));
        assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
        outcomes.add(new Outcome(true, r.stdout));
      } catch (ContainerStartException e) {
        // a symlink in the way: the launcher refused to follow it out, and said where (ENOENT,
        // ELOOP for a magic link, EAGAIN for ".." while something was renamed); or, resolved inside
        // the root, it could not create a mount point in the root's own directories (EACCES: they
        // belong to the host's root); or Java's check before the start met the symlink half-way
        assertThat(e.getMessage()).as(e.getMessage()).satisfiesAnyOf(
            m -> assertThat(m).containsAnyOf("No such file or directory", "Too many levels of symbolic links",
                "Not a directory", "Permission denied", "Resource temporarily unavailable", "Invalid argument",
                "Invalid cross-device link"),
            m -> assertThat(m).containsPattern("check the spec against the host.* has no /[ab]\\d/data to mount on"));
        outcomes.add(new Outcome(false, e.getMessage()));
      }
    }
    return outcomes;
  }

  /**
   * FS-01 (CVE-2021-30465): an attacker swaps path components of a shared volume for symlinks
   * out of the root ({@code /oldroot/...}, where the host's root hangs during setup, and a relative
   * climb to it) and into it ({@code /}, for the last component), while victims bind a directory
   * read-only on a path through them. Every victim either fails, naming the step, or has the bind
   * inside its root with the flags it asked for (read-only, nosuid, nodev), and never sees the
   * host's marker.
   */
  @Test
  void mountTargetsRacedWithSymlinksStayInsideTheRoot() throws Exception {
    Path work = shared(tmp.resolve("work"));
    Path canary = canary(tmp);
    Path bound = marker(tmp);
    for (int k = 0; k < 3; k++) {
      shared(work.resolve("a" + k + "/data"));
      shared(work.resolve("a" + k));
    }
    Files.createSymbolicLink(work.resolve("s0"), Path.of("/oldroot" + canary));
    Files.createSymbolicLink(work.resolve("a1/link"), Path.of("/"));
    Files.createSymbolicLink(work.resolve("s2"), Path.of("../../../../oldroot" + canary));
    HostState host = HostState.snapshot(canary, bound, TestRootfs.busybox());
    List<Outcome> outcomes;
    try (Container attacker = exchanger(work, new long[0], "a0", "s0", "a1/data", "a1/link", "a2", "s2")) {
      outcomes = victims(60, i -> Run.sh("awk '/" + bound.getFileName() + "/ {print $5, $6}' /proc/self/mountinfo;"
          + " for m in $(awk '/" + bound.getFileName() + "/ {print $5}' /proc/self/mountinfo); do touch $m/written 2>/dev/null && echo WROTE; done;"
          + " find / -path /proc -prune -o -path /root -prune -o -name 'host-marker-*' -print")
          .mount(Mount.bindWritable(work, "/root")).mount(Mount.bind(bound, "/root/a" + (i % 3) + "/data")));
      assertThat(attacker.isAlive()).isTrue();
    }
    for (Outcome o : outcomes) {
      if (o.started) {
        // exactly one bind of the marker directory, where the path led inside the root (the
        // attacker renames it as the victim runs, so under either name), read-only, nosuid, nodev;
        // and no host marker anywhere
        assertThat(o.text).as(o.toString()).matches("/root/(a0/data|s0/data|a1/data|a1/link|a2/data|s2/data) ro,nosuid,nodev,\\S*\n");
      }
    }
    // the race ran: some starts met the symlinks
    assertThat(outcomes).anyMatch(o -> !o.started);
    assertThat(outcomes).anyMatch(o -> o.started);
    host.assertUnchanged();
  }

  /**
   * FS-05 (CVE-2024-45310): the mount points of a bind nested in a tmpfs are created during setup,
   * on a path through the raced directory. Nothing is ever created outside the root: the
   * world-writable host directory the symlinks point at stays as it was.
   */
  @Test
  void mountPointsCreatedDuringARaceCreateNothingOnTheHost() throws Exception {
    Path work = shared(tmp.resolve("work"));
    Path canary = canary(tmp);
    Path bound = marker(tmp);
    String[] links = {"/oldroot" + canary, "/", "../../../../oldroot" + canary};
    for (int k = 0; k < links.length; k++) {
      shared(work.resolve("b" + k + "/data"));
      shared(work.resolve("b" + k));
      Files.createSymbolicLink(work.resolve("t" + k), Path.of(links[k]));
    }
    HostState host = HostState.snapshot(canary, TestRootfs.busybox());
    List<Outcome> outcomes;
    try (Container attacker = exchanger(work, new long[0], "b0", "t0", "b1", "t1", "b2", "t2")) {
      outcomes = victims(36, i -> Run.sh("awk '/" + bound.getFileName() + "/ {print $5, $6}' /proc/self/mountinfo")
          .mount(Mount.bindWritable(work, "/root")).mount(Mount.tmpfs("/root/b" + (i % 3) + "/data", 1 << 20))
          .mount(Mount.bind(bound, "/root/b" + (i % 3) + "/data/x/y")));
      assertThat(attacker.isAlive()).isTrue();
    }
    for (Outcome o : outcomes) {
      if (o.started) {
        // the bind inside the tmpfs, wherever the path led inside the root, with its flags
        assertThat(o.text).as(o.toString()).matches("(/root/[bt]\\d|)/data/x/y ro,nosuid,nodev,\\S*\n");
      }
    }
    assertThat(outcomes).anyMatch(o -> !o.started || o.text.startsWith("/data/x/y "));
    assertThat(outcomes).anyMatch(o -> o.started);
    // what was created went into the tmpfs of each container, or into the shared directory itself
    host.assertUnchanged();
  }

  /**
   * FS-02: a root whose {@code /proc}, {@code /dev} or {@code /tmp} is a symlink is refused, naming
   * it; the host directory a {@code /dev} symlink points at (holding a marker {@code ptmx}) gets
   * nothing. Mount targets that are symlinks (absolute, relative climbing out, through
   * {@code /oldroot}, through a magic link, or a symlinked component on the way) land inside the
   * root or fail.
   */
  @Test
  void staticSymlinksAtMountTargetsAreRefusedOrResolvedInsideTheRoot() throws Exception {
    Path hostDev = shared(tmp.resolve("host-dev"));
    Files.writeString(hostDev.resolve("ptmx"), "marker, not a device\n");
    Path bound = marker(tmp);
    HostState host = HostState.snapshot(hostDev, TestRootfs.busybox());
    for (String own : new String[] {"proc", "dev", "tmp"}) {
      Path rootfs = rootfsCopy(tmp.resolve("own-" + own));
      TestRootfs.deleteTree(rootfs.resolve(own));
      Files.createSymbolicLink(rootfs.resolve(own), own.equals("tmp") ? Path.of("../../..") : hostDev);
      assertThatThrownBy(() -> Run.of(Container.builder().rootfs(rootfs).command("true")))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("has a symlink at /" + own);
    }

    Path rootfs = rootfsCopy(tmp.resolve("targets"));
    String[][] targets = {
        {"abs", "/etc"}, {"climb", "../../../../../../.." + hostDev}, {"oldroot", "/oldroot" + hostDev},
        {"hostpath", hostDev.toString()}, {"magic", "/proc/self/root/etc"}, {"dangling", "/nonexistent"}};
    for (String[] t : targets) {
      Files.createSymbolicLink(rootfs.resolve(t[0]), Path.of(t[1]));
    }
    Files.createSymbolicLink(rootfs.resolve("deep"), Path.of("/"));
    HostState rootState = HostState.snapshot(rootfs);
    List<String> landed = new ArrayList<>();
    for (String target : new String[] {"/abs", "/climb", "/oldroot", "/hostpath", "/magic", "/dangling", "/deep/etc"}) {
      try {
        Run r = Run.of(Container.builder().rootfs(rootfs).command("sh", "-c", "grep " + bound.getFileName()
            + " /proc/self/mountinfo | cut -d' ' -f5").mount(Mount.bind(bound, target)));
        landed.add(target + " -> " + r.stdout.trim());
      } catch (ContainerStartException e) {
        assertThat(e.getMessage()).as(target).contains("bind " + bound + " on " + target)
            .containsAnyOf("No such file or directory", "Too many levels of symbolic links");
        landed.add(target + " refused");
      }
    }
    assertThat(landed).containsExactly("/abs -> /etc", "/climb refused", "/oldroot refused", "/hostpath refused",
        "/magic refused", "/dangling refused", "/deep/etc -> /etc");
    rootState.assertUnchanged();
    host.assertUnchanged();
  }

  /**
   * FS-02, raced: the symlink checks of {@code /dev} and {@code /proc} happen in Java before the
   * start, so an attacker that can write the root swaps them for symlinks to a host directory
   * (through {@code /oldroot}, where the host's root hangs during setup) in a loop. Every victim
   * fails, or has Isola's {@code /dev} tmpfs, devpts and procfs inside its root, as its mount table
   * read from the host shows (the attacker keeps renaming, so they may show under the other name);
   * the host directory gets nothing.
   */
  @Test
  void devAndProcSwappedForSymlinksDuringSetupStayInsideTheRoot() throws Exception {
    Path hostDev = shared(tmp.resolve("host-dev"));
    Files.writeString(hostDev.resolve("ptmx"), "marker, not a device\n");
    Path rootfs = rootfsCopy(tmp);
    Files.createSymbolicLink(rootfs.resolve("devlink"), Path.of("/oldroot" + hostDev));
    Files.createSymbolicLink(rootfs.resolve("proclink"), Path.of("/oldroot" + hostDev));
    HostState host = HostState.snapshot(hostDev, TestRootfs.busybox());
    int started = 0;
    int failed = 0;
    try (Container attacker = exchanger(rootfs, new long[] {400, 40}, "dev", "devlink", "proc", "proclink")) {
      // the race's outcome depends on the machine's timing: go on until both outcomes were seen
      for (int i = 0; i < 200 && (started < 3 || failed < 3); i++) {
        try (Container victim = Container.builder().rootfs(rootfs).command("sleep", "10").start()) {
          List<String> mounts = new ArrayList<>();
          for (String line : Files.readAllLines(Path.of("/proc/" + victim.pid() + "/mountinfo"))) {
            String[] f = line.split(" ");
            mounts.add(f[4] + " " + f[f.length - 3]);
          }
          assertThat(mounts).as("the victim's mounts").anyMatch(m -> m.matches("/(dev|devlink) tmpfs"))
              .anyMatch(m -> m.matches("/(dev|devlink)/pts devpts")).anyMatch(m -> m.matches("/(proc|proclink) proc"));
          started++;
        } catch (ContainerStartException e) {
          assertThat(e.getMessage()).containsAnyOf("No such file or directory", "has a symlink at", "Invalid argument");
          failed++;
        }
      }
      assertThat(attacker.isAlive()).isTrue();
    }
    assertThat(started).as("victims that started").isPositive();
    assertThat(failed).as("victims that met a symlink").isPositive();
    host.assertUnchanged();
  }

  /**
   * FS-03 (CVE-2025-31133): the root's {@code /dev/null} is a symlink to {@code core_pattern} and
   * its {@code /dev/console} one to {@code sysrq-trigger}. Isola masks with the host's null device
   * and puts its own tmpfs on {@code /dev}: the masked paths read empty and are the null device,
   * {@code core_pattern} cannot be written, and the root's and the host's files are unchanged.
   */
  @Test
  void aReplacedDevNullIsNeverUsed() throws Exception {
    Path rootfs = rootfsCopy(tmp);
    Files.createSymbolicLink(rootfs.resolve("dev/null"), Path.of("/proc/sys/kernel/core_pattern"));
    Files.createSymbolicLink(rootfs.resolve("dev/console"), Path.of("/proc/sysrq-trigger"));
    Files.createDirectories(rootfs.resolve("dev/pts"));
    Files.createSymbolicLink(rootfs.resolve("dev/pts/0"), Path.of("/proc/sys/kernel/core_pattern"));
    HostState host = HostState.snapshot(rootfs.resolve("dev"));
    StringBuilder script = new StringBuilder("stat -c '%F %t:%T' /dev/null; ls /dev/console 2>&1; ");
    for (String p : PlanCompiler.MASKED) {
      if (Files.isRegularFile(Path.of(p))) {
        script.append("echo \"" + p + " $(wc -c < " + p + ") $(stat -c %t:%T " + p + ")\"; ");
      }
    }
    script.append(ESCAPE + " write /proc/sys/kernel/core_pattern '|/tmp/pwn'");
    Run r = Run.of(Container.builder().rootfs(rootfs).command("sh", "-c", script.toString())
        .mount(Mount.bind(BreakoutProbe.dir(), "/data")));
    List<String> out = r.stdout.lines().toList();
    assertThat(out.get(0)).as(r.toString()).isEqualTo("character special file 1:3");
    assertThat(out.get(1)).contains("No such file or directory");
    assertThat(out.stream().filter(l -> l.startsWith("/proc/"))).isNotEmpty().allMatch(l -> l.endsWith(" 0 1:3"));
    assertThat(out.get(out.size() - 1)).isIn("write /proc/sys/kernel/core_pattern errno EACCES",
        "write /proc/sys/kernel/core_pattern errno EROFS");
    host.assertUnchanged();
  }

  /**
   * FS-04 (CVE-2019-16884, CVE-2019-19921, CVE-2025-52881): the root has a fake {@code /proc} of
   * regular files, where the runtime's own procfs writes could be redirected. Isola writes the id
   * maps from outside, through the host's procfs, and mounts a real procfs over the fake one: the
   * container sees a procfs, the configured maps and the host's {@code core_pattern}, and the fake
   * files are untouched.
   */
  @Test
  void aFakeProcInTheRootIsCoveredAndNeverWritten() throws Exception {
    Path rootfs = rootfsCopy(tmp);
    for (String fake : new String[] {"self/attr/exec", "self/attr/current", "self/uid_map", "self/gid_map", "self/setgroups",
        "self/oom_score_adj", "1/uid_map", "sys/kernel/core_pattern", "sysrq-trigger", "sys/kernel/hostname"}) {
      Path f = rootfs.resolve("proc/" + fake);
      Files.createDirectories(f.getParent());
      Files.writeString(f, "FAKE\n");
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
    }
    HostState host = HostState.snapshot(rootfs.resolve("proc"));
    Run r = Run.of(Container.builder().rootfs(rootfs).command("sh", "-c",
        "stat -f -c %T /proc; cat /proc/self/uid_map /proc/self/gid_map /proc/sys/kernel/core_pattern;"
            + " cat /proc/self/attr/current 2>/dev/null; grep -c FAKE /proc/sys/kernel/hostname"));
    String base = Long.toString(dev.isola.IdMapping.DEFAULT_HOST_BASE);
    List<String> out = r.stdout.lines().toList();
    assertThat(out.get(0)).as(r.toString()).isEqualTo("proc");
    assertThat(out.get(1).trim().split("\\s+")).containsExactly("0", base, "65536");
    assertThat(out.get(2).trim().split("\\s+")).containsExactly("0", base, "65536");
    assertThat(out.get(3)).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/core_pattern")).trim());
    assertThat(r.stdout).doesNotContain("FAKE");
    assertThat(out.get(out.size() - 1)).isEqualTo("0");
    host.assertUnchanged();
  }

  /**
   * FS-06: nothing Isola mounts shows in the caller's mount table, while containers run or after
   * they end or fail mid-setup. Run in a child JVM in a mount namespace of its own (so the host is
   * never touched) where the root given to the containers is a shared mount: a setup mount that
   * was not made private first would propagate back into that table. With the default user
   * namespace the kernel already turns shared mounts into slaves; without one (as root,
   * {@code share(USER)}) Isola's own {@code MS_REC|MS_PRIVATE} is all there is.
   */
  @Test
  void noMountLeaksIntoTheCallersMountTable() throws Exception {
    Path rootfs = rootfsCopy(tmp);
    Files.createSymbolicLink(rootfs.resolve("dangling"), Path.of("/nonexistent"));
    HostState host = HostState.snapshot();
    List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
        "mount --bind \"$1\" \"$1\" && mount --make-shared \"$1\" && shift && exec \"$@\"", "sh", rootfs.toString()));
    cmd.addAll(ChildJvm.command(ChildJvm.classPath(), MountLeakMain.class, rootfs.toString(), tmp.toString()));
    String out = ChildJvm.run(cmd);
    assertThat(out).contains("the root is a shared mount");
    assertThat(out.lines().filter(l -> l.startsWith("mount table ")))
        .as(out).hasSize(MountLeakMain.CASES).allMatch(l -> l.endsWith(": unchanged"));
    host.assertUnchanged();
  }
}
