package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.Overlay;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.sys.ProcessStart;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlay roots, files copied in and out, and the command's user, seen from inside the container
 * and checked on the host: the lower layers never change, and nothing is left behind.
 */
class OverlayTest {
  @Test
  void theLowerLayerNeverChangesWhateverTheContainerDoes(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Files.writeString(lower.resolve("etc/motd"), "original\n");
    Files.createDirectories(lower.resolve("data/sub"));
    Files.writeString(lower.resolve("data/sub/file"), "deep\n");
    ownedByTheContainer(lower.resolve("etc/motd"), lower.resolve("data"), lower.resolve("data/sub"), lower.resolve("data/sub/file"));
    String before = checksums(lower);
    Leftovers leftovers = Leftovers.snapshot();
    Run r = Run.of(Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sh", "-c",
        "rm /bin/ls && echo changed > /etc/motd && rm -r /data && mkdir /data && echo new > /data/x"
            + " && chmod 777 /etc && echo ok; cat /etc/motd; ls /data; grep ' / ' /proc/self/mounts"));
    assertThat(r.stdout).as(r.toString()).contains("ok", "changed", "x").containsPattern("overlay / overlay \\S*rw");
    assertThat(checksums(lower)).isEqualTo(before);
    // a second container starts clean: the first one's writes went with it
    Run again = Run.of(Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sh", "-c",
        "cat /etc/motd; ls /data; ls /bin/ls"));
    assertThat(again.stdout).contains("original", "sub", "/bin/ls").doesNotContain("changed");
    leftovers.assertNoneSince();
  }

  @Test
  void layersStackWithWhiteoutsAndOpaqueDirectories(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Files.createDirectories(lower.resolve("opt/old"));
    Files.writeString(lower.resolve("opt/old/a"), "a");
    Files.writeString(lower.resolve("etc/gone"), "gone");
    Path top = Files.createDirectories(dir.resolve("top"));
    Files.createDirectories(top.resolve("opt"));
    Files.writeString(top.resolve("opt/added"), "added");
    Files.createDirectories(top.resolve("etc"));
    new ProcessBuilder("mknod", top.resolve("etc").toString() + "/gone", "c", "0", "0").start().waitFor();
    Run r = Run.of(Container.builder().overlay(Overlay.ephemeral(List.of(lower, top)))
        .command("sh", "-c", "ls /opt; cat /etc/gone 2>&1; echo end"));
    assertThat(r.stdout).as(r.toString()).contains("added", "old", "No such file", "end");
  }

  @Test
  void aPersistentUpperLayerKeepsWritesForTheNextContainer(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Path upper = dir.resolve("state");
    Run.of(Container.builder().overlay(Overlay.persistent(List.of(lower), upper)).command("sh", "-c", "echo 1 > /counter"));
    Run r = Run.of(Container.builder().overlay(Overlay.persistent(List.of(lower), upper)).command("sh", "-c",
        "echo $(( $(cat /counter) + 1 ))"));
    assertThat(r.stdout.trim()).isEqualTo("2");
    assertThat(upper.resolve("upper/counter")).exists();
    assertThat(lower.resolve("counter")).doesNotExist();
  }

  @Test
  void aReadOnlyOverlayRefusesWrites(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Run r = Run.of(Container.builder().overlay(Overlay.ephemeral(List.of(lower))).readOnlyRootfs(true)
        .command("sh", "-c", "touch /x 2>&1; echo rc=$?"));
    assertThat(r.stdout).contains("Read-only file system", "rc=1");
  }

  @Test
  void filesAreCopiedInBeforeTheStartWithoutTouchingTheRootfs(@TempDir Path dir) throws Exception {
    Path app = Files.createDirectories(dir.resolve("app/bin"));
    Files.writeString(app.resolve("run.sh"), "echo running\n");
    Files.setPosixFilePermissions(app.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.createSymbolicLink(app.resolve("link"), Path.of("/etc/shadow"));
    Leftovers leftovers = Leftovers.snapshot();
    Run r = Run.of(Container.builder().rootfs(TestRootfs.busybox())
        .copy(FileCopy.of("hello\n".getBytes(StandardCharsets.UTF_8), "/etc/greeting", 0640))
        .copy(FileCopy.of(dir.resolve("app"), "/opt/app"))
        .command("sh", "-c", "cat /etc/greeting; stat -c '%a %u' /etc/greeting /opt/app/bin/run.sh; sh /opt/app/bin/run.sh;"
            + " readlink /opt/app/bin/link; stat -c '%a' /etc; ls /bin/sh; touch /etc/x 2>&1"));
    assertThat(r.stdout).as(r.toString()).contains("hello", "640 0", "750 0", "running", "/etc/shadow", "Read-only file system")
        .contains("/bin/sh");
    // the copy's /etc looks like the rootfs's, which it covers
    assertThat(r.stdout.lines()).contains(octal(TestRootfs.busybox().resolve("etc")));
    assertThat(TestRootfs.busybox().resolve("etc/greeting")).doesNotExist();
    leftovers.assertNoneSince();
  }

  @Test
  void aCopyCannotReplaceALinkOnItsWay() {
    assertThatThrownBy(() -> Container.builder().rootfs(TestRootfs.busybox())
        .copy(FileCopy.of(new byte[] {1}, "/bin/sh/x", 0644)).command("true").start())
        .isInstanceOf(ContainerException.class).hasMessageContaining("/bin/sh is a file or symbolic link");
  }

  @Test
  void filesAreCopiedOutWhileTheContainerRuns(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    try (Container c = Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sh", "-c",
        "echo first > /etc/progress; echo ready; read line; echo second > /etc/progress").start()) {
      assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(c.stdout())).readLine()).isEqualTo("ready");
      c.copyOut("/etc/progress", dir.resolve("while-running"));
      assertThat(c.isAlive()).isTrue();
      c.stdin().write("go\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      c.stdin().close();
      assertThat(c.waitFor().exitCode()).isEqualTo(0);
      c.copyOut("/etc/progress", dir.resolve("after"));
    }
    assertThat(dir.resolve("while-running")).hasContent("first");
    assertThat(dir.resolve("after")).hasContent("second");
  }

  @Test
  void aRunningContainersTmpAndBindsAreCopiedOutEvenInTheHostView(@TempDir Path dir) throws Exception {
    Path bound = Files.createDirectories(dir.resolve("bound"));
    // the container's root is an unprivileged host id: it must reach and write the bound directory
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(bound, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    // the default root (the host view): /tmp is a tmpfs of the container's, as in most programs' writes
    try (Container c = Container.builder().mount(dev.isola.Mount.bindWritable(bound, "/data")).command("sh", "-c",
        "echo from tmp > /tmp/out.txt; mkdir /tmp/tree; echo a > /tmp/tree/a; echo bound > /data/b; echo ready; sleep 30").start()) {
      assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(c.stdout())).readLine()).isEqualTo("ready");
      c.copyOut("/tmp/out.txt", dir.resolve("out.txt"));
      c.copyOut("/tmp/tree", dir.resolve("tree"));
      c.copyOut("/data/b", dir.resolve("b"));
      c.kill(dev.isola.Signal.KILL);
      c.waitFor();
      // after the end the tmpfs is gone, and the host view keeps nothing
      assertThatThrownBy(() -> c.copyOut("/tmp/out.txt", dir.resolve("late"))).isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("host view");
    }
    assertThat(Files.readString(dir.resolve("out.txt"))).isEqualTo("from tmp\n");
    assertThat(Files.readString(dir.resolve("tree/a"))).isEqualTo("a\n");
    assertThat(Files.readString(dir.resolve("b"))).isEqualTo("bound\n");
  }

  @Test
  void filesAreCopiedOutAfterTheEndWithoutFollowingLinks(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Path out = dir.resolve("out");
    try (Container c = Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sh", "-c",
        "mkdir -p /result/sub && echo 42 > /result/answer && chmod 4751 /result/answer && echo deep > /result/sub/f"
            + " && echo g > /result/group && chmod 2755 /result/group"
            + " && ln -s /etc/shadow /result/link && rm /etc/passwd").start()) {
      ExitStatus status = c.waitFor();
      assertThat(status.exitCode()).isEqualTo(0);
      c.copyOut("/result", out);
      assertThat(out.resolve("answer")).hasContent("42");
      // the permission bits, never setuid: the host does not get a setuid program from the sandbox
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("answer")))).isEqualTo("rwxr-x--x");
      assertThat((Integer) Files.getAttribute(out.resolve("answer"), "unix:mode") & 07000).isZero();
      assertThat((Integer) Files.getAttribute(out.resolve("group"), "unix:mode") & 07777).as("nor setgid").isEqualTo(0755);
      assertThat(out.resolve("sub/f")).hasContent("deep");
      assertThat(Files.readSymbolicLink(out.resolve("link"))).isEqualTo(Path.of("/etc/shadow"));
      // the whiteout hides the lower layer's file from copyOut as it does inside
      assertThatThrownBy(() -> c.copyOut("/etc/passwd", dir.resolve("passwd")))
          .isInstanceOf(ContainerException.class).hasMessageContaining("no such file");
      c.copyOut("/bin/busybox", dir.resolve("busybox"));
      assertThat(dir.resolve("busybox")).hasSameBinaryContentAs(lower.resolve("bin/busybox"));
      assertThatThrownBy(() -> c.copyOut("/result", out)).hasMessageContaining("the target exists");
    }
  }

  @Test
  void filesAreCopiedOutOfAWritableRootfsDirectory(@TempDir Path dir) throws Exception {
    Path rootfs = TestRootfs.ownedCopy(dir);
    try (Container c = Container.builder().rootfs(rootfs).readOnlyRootfs(false)
        .command("sh", "-c", "echo out > /result && chmod 640 /result").start()) {
      assertThat(c.waitFor().exitCode()).isZero();
      c.copyOut("/result", dir.resolve("result"));
    }
    assertThat(dir.resolve("result")).hasContent("out");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("result")))).isEqualTo("rw-r-----");
  }

  @Test
  void copyOutOfTheHostViewIsRefused() throws Exception {
    try (Container c = Container.builder().command("true").start()) {
      c.waitFor();
      assertThatThrownBy(() -> c.copyOut("/etc/passwd", Path.of("/tmp/never")))
          .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("host view");
    }
  }

  @Test
  void filesAreCopiedIntoARunningContainerInsideItsRoot(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Path hostTarget = Path.of("/etc/isola-copy-in-escape");
    try (Container c = Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sh", "-c",
        "ln -s /etc /tmp/evil; echo ready; while [ ! -f /tmp/go ]; do sleep 0.05; done;"
            + " cat /tmp/go; stat -c '%a %u' /tmp/go; cat /etc/isola-copy-in-escape; ls -l /tmp/dir").start()) {
      InputStream stdout = c.stdout();
      assertThat(new String(stdout.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
      // through the container's own symlink to its /etc: the write stays in the container
      c.copyIn(FileCopy.of("inside\n".getBytes(StandardCharsets.UTF_8), "/tmp/evil/isola-copy-in-escape", 0600));
      Path src = Files.createDirectories(dir.resolve("src"));
      Files.writeString(src.resolve("f"), "f");
      c.copyIn(FileCopy.of(src, "/tmp/dir"));
      c.copyIn(FileCopy.of("go\n".getBytes(StandardCharsets.UTF_8), "/tmp/go", 0644));
      String out = Run.drain(stdout);
      assertThat(out).contains("go", "644 0", "inside", " f");
      assertThat(c.waitFor().exitCode()).isEqualTo(0);
      assertThatThrownBy(() -> c.copyIn(FileCopy.of(new byte[0], "/x", 0644))).hasMessageContaining("has ended");
    }
    assertThat(hostTarget).doesNotExist();
  }

  @Test
  void theCommandRunsAsTheUserAskedFor(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    Run r = Run.of(Container.builder().overlay(Overlay.ephemeral(List.of(lower))).user(1000, 1001).workingDirectory("/tmp")
        .command("sh", "-c", "id -u; id -g; grep -E '^(Cap(Eff|Prm|Bnd)|Groups)' /proc/self/status; touch /etc/x 2>&1; touch /tmp/ok && echo wrote"));
    assertThat(r.stdout).as(r.toString()).contains("1000\n1001\n", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000",
        "Permission denied", "wrote");
  }

  @Test
  void aUserOutsideTheMappingIsRefusedBeforeTheStart() {
    assertThatThrownBy(() -> Container.builder().rootfs(TestRootfs.busybox()).user(70000, 0).command("true").start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("user 70000");
  }

  @Test
  void theRootLayersOfAKilledJvmAreSweptAndALiveOnesKept(@TempDir Path dir) throws Exception {
    Path lower = TestRootfs.ownedCopy(dir);
    try (Container c = Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sleep", "30").start()) {
      Path base = RootLayers.ownDirectory();
      Process gone = new ProcessBuilder("true").start();
      gone.waitFor();
      Path stale = Files.createDirectories(base.resolve("root-" + gone.pid() + "-1-1").resolve("upper/left"));
      List<Path> live;
      try (Stream<Path> entries = Files.list(base)) {
        live = entries.filter(p -> !p.equals(stale.getParent().getParent())).toList();
      }
      // as root the running container's layers are a tmpfs already out of the host's tables
      assertThat(live).as("nothing of the running container on /dev/shm").isEmpty();
      Path mine = Files.createDirectories(base.resolve("root-" + ProcessStart.THIS_JVM + "-999999/upper"));
      RootLayers.sweepStale();
      assertThat(stale.getParent().getParent()).doesNotExist();
      assertThat(mine).as("a live JVM's are kept").isDirectory();
      Files.delete(mine);
      Files.delete(mine.getParent());
      assertThat(c.isAlive()).isTrue();
    }
  }

  @Test
  void aMissingLowerLayerIsNamed(@TempDir Path dir) {
    assertThatThrownBy(() -> Container.builder().overlay(Overlay.ephemeral(List.of(dir.resolve("nope")))).command("true").start())
        .hasMessageContaining(dir.resolve("nope") + " does not exist");
  }

  private static void ownedByTheContainer(Path... paths) throws IOException {
    long[] ids = TestRootfs.containerRootIds();
    for (Path p : paths) {
      Files.setAttribute(p, "unix:uid", (int) ids[0], LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(p, "unix:gid", (int) ids[1], LinkOption.NOFOLLOW_LINKS);
    }
  }

  private static String octal(Path p) throws IOException {
    return Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode") & 0777);
  }

  /** Every path of a tree with its type, mode, owner and content hash. */
  static String checksums(Path root) throws Exception {
    TreeMap<String, String> sums = new TreeMap<>();
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        String what = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) + " "
            + Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(p)) {
          what += " -> " + Files.readSymbolicLink(p);
        } else if (Files.isRegularFile(p)) {
          what += " " + HexFormat.of().formatHex(md.digest(Files.readAllBytes(p)));
        }
        sums.put(root.relativize(p).toString(), what);
      }
    }
    return sums.toString();
  }
}
