package dev.isola.linux;

import static dev.isola.linux.testing.EscapeProbe.EPERM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.Mount;
import dev.isola.linux.testing.EscapeProbe;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Catalog group G, "Devices": which device nodes a container of the default spec has, what they
 * are, and that no other device can be made or opened, not even one that is there already: a
 * node in a bind or in a caller's rootfs lies on a nodev mount. IsolationTest checks the names
 * in {@code /dev}; this checks the nodes themselves, and the whole tree.
 */
class EscapeDeviceTest {
  /** Every device node in the tree, /proc aside. */
  private static final String FIND_DEVICES = "find / -path /proc -prune -o \\( -type b -o -type c \\) -print | sort";
  private static final List<String> DEVICES = List.of("/dev/full", "/dev/null", "/dev/pts/ptmx", "/dev/random",
      "/dev/tty", "/dev/urandom", "/dev/zero");

  @Test
  void dev01OnlyTheDefaultNodesWithTheirNumbersAndTheyWork() {
    StringBuilder script = new StringBuilder();
    for (String d : List.of("null", "zero", "full", "random", "urandom", "tty", "pts/ptmx", "ptmx", "fd", "stdin", "stdout", "stderr")) {
      script.append("echo \"node-").append(d).append(" $(stat -c '%F %t:%T %a' /dev/").append(d).append(") $(readlink /dev/")
          .append(d).append(")\"; ");
    }
    script.append("echo \"devices $(").append(FIND_DEVICES).append(" | tr '\\n' ' ')\";");
    script.append(" echo \"zero $(head -c 4 /dev/zero | od -An -tx1 | tr -d ' ')\"; echo \"urandom $(head -c 16 /dev/urandom | wc -c)\";");
    script.append(" echo \"null $(cat /dev/null | wc -c)\"; echo x 2>/dev/null > /dev/full && echo 'full accepted' || echo 'full refused';");
    script.append(" escape open=/dev/tty");
    for (String absent : List.of("mem", "kmem", "port", "kmsg", "console", "net/tun", "fuse", "userfaultfd", "loop0",
        "loop-control", "vda", "sda", "mapper/control", "vsock", "vhost-vsock", "kvm", "hpet", "rtc0", "watchdog")) {
      script.append(" open=/dev/").append(absent);
    }
    Map<String, String> r = EscapeProbe.run(Run.sh(script.toString()));
    // Part 2.7: the OCI default devices and their numbers (stat prints them in hex)
    assertThat(r.get("node-null")).isEqualTo("character special file 1:3 666 ");
    assertThat(r.get("node-zero")).isEqualTo("character special file 1:5 666 ");
    assertThat(r.get("node-full")).isEqualTo("character special file 1:7 666 ");
    assertThat(r.get("node-random")).isEqualTo("character special file 1:8 666 ");
    assertThat(r.get("node-urandom")).isEqualTo("character special file 1:9 666 ");
    assertThat(r.get("node-tty")).isEqualTo("character special file 5:0 666 ");
    assertThat(r.get("node-pts/ptmx")).isEqualTo("character special file 5:2 666 ");
    assertThat(r.get("node-ptmx")).isEqualTo("symbolic link 0:0 777 pts/ptmx");
    assertThat(r.get("node-fd")).endsWith(" /proc/self/fd");
    assertThat(r.get("node-stdin")).endsWith(" /proc/self/fd/0");
    assertThat(r.get("node-stdout")).endsWith(" /proc/self/fd/1");
    assertThat(r.get("node-stderr")).endsWith(" /proc/self/fd/2");
    assertThat(r.get("devices")).as("every device node in the container").isEqualTo(String.join(" ", DEVICES) + " ");
    assertThat(r.get("zero")).isEqualTo("00000000");
    assertThat(r.get("urandom")).isEqualTo("16");
    assertThat(r.get("null")).isEqualTo("0");
    assertThat(r.get("full")).isEqualTo("refused");
    assertThat(r.get("open=/dev/tty")).as("no controlling terminal").isEqualTo("errno 6");
    r.forEach((k, v) -> {
      if (k.startsWith("open=/dev/") && !k.equals("open=/dev/tty")) {
        assertThat(v).as(k).isEqualTo("errno 2");
      }
    });
  }

  @Test
  void dev02OnlyTheDefaultDevicesLieOnMountsThatAllowDevices() throws IOException {
    // a node elsewhere (in a bind, in the host's /usr of the default root) cannot be opened if its
    // mount is nodev: list the mounts that are not, and what they hold
    String script = "awk '$6 !~ /nodev/ { print $5 }' /proc/self/mountinfo | while read m; do"
        + " echo \"$m $(stat -c '%F %t:%T' $m) $(awk -v m=$m '$5 == m { print $6 }' /proc/self/mountinfo)\"; done";
    Path data = Files.createTempDirectory("isola-escape-nodev-");
    try {
      List<Run> runs = List.of(
          Run.of(Run.sh(script).mount(Mount.bindWritable(data, "/data"))),
          Run.of(Run.sh(script).readOnlyRootfs(false)),
          Run.of(Container.builder().command("sh", "-c", script).mount(Mount.bindWritable(data, "/data"))));
      for (Run r : runs) {
        assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
        List<String> mounts = r.stdout.lines().toList();
        assertThat(mounts).as(r.stdout).anyMatch(l -> l.startsWith("/dev/null "));
        for (String m : mounts) {
          String point = m.substring(0, m.indexOf(' '));
          if (point.equals("/dev")) {
            assertThat(m).as("/dev: a tmpfs of nodes, read-only").contains(" directory ").endsWith(" ro,nosuid,noexec,relatime");
          } else if (point.equals("/dev/pts")) {
            assertThat(m).contains(" directory ");
          } else {
            // the default devices, bound on /dev/… or, as /dev/null, over masked /proc files
            assertThat(m).as(m).containsPattern(" character special file (1:[35789]|5:0) ");
            assertThat(point).as(m).matches("/dev/(null|zero|full|random|urandom|tty)|/proc/.*");
          }
        }
      }
    } finally {
      TestRootfs.deleteTree(data);
    }
  }

  @Test
  void dev02NoNodeCanBeMadeAndNoneThatIsThereCanBeOpened() throws Exception {
    Path dir = Files.createTempDirectory("isola-escape-dev-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      // a device node the host made, as an image unpacked by root may hold: harmless (zero), world-writable
      Path bound = Files.createDirectories(dir.resolve("bound"));
      Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rwxrwxrwx"));
      mknod(bound.resolve("zero"));
      Path rootfs = rootfsWithANode(dir.resolve("rootfs"));

      Map<String, String> made = EscapeProbe.run(EscapeProbe.spec("mknod-char-mem=/tmp/mem", "mknod-block-sda=/tmp/sda",
          "mknod-char-null=/dev/shm/null", "mknod-block-sda=/data/sda", "mknod-char-mem=/dev/mem2", "mknod-fifo=/tmp/fifo")
          .mount(Mount.bindWritable(bound, "/data")));
      assertThat(made.get("mknod-char-mem=/tmp/mem")).isEqualTo(EPERM);
      assertThat(made.get("mknod-block-sda=/tmp/sda")).isEqualTo(EPERM);
      assertThat(made.get("mknod-char-null=/dev/shm/null")).isEqualTo(EPERM);
      assertThat(made.get("mknod-block-sda=/data/sda")).isEqualTo(EPERM);
      assertThat(made.get("mknod-char-mem=/dev/mem2")).as("/dev is read-only").startsWith("errno ");
      assertThat(made.get("mknod-fifo=/tmp/fifo")).as("a FIFO is no device").isEqualTo("ok 0");
      assertThat(Files.list(bound).map(p -> p.getFileName().toString()).toList()).containsExactly("zero");

      // EACCES: the node is there, the mount is nodev
      assertThat(EscapeProbe.run(EscapeProbe.spec("open=/data/zero").mount(Mount.bind(bound, "/data"))))
          .containsEntry("open=/data/zero", "errno 13");
      assertThat(EscapeProbe.run(EscapeProbe.spec("open=/data/zero").mount(Mount.bindWritable(bound, "/data"))))
          .containsEntry("open=/data/zero", "errno 13");
      assertThat(EscapeProbe.run(EscapeProbe.spec("open=/etc/marker").mount(Mount.bind(Path.of("/dev/zero"), "/etc/marker"))))
          .as("a host device bound by mistake").containsEntry("open=/etc/marker", "errno 13");
      assertThat(EscapeProbe.run(EscapeProbe.spec("open=/zero").rootfs(rootfs)))
          .as("in a read-only rootfs").containsEntry("open=/zero", "errno 13");
      assertThat(EscapeProbe.run(EscapeProbe.spec("open=/zero").rootfs(rootfs).readOnlyRootfs(false)))
          .as("in a writable rootfs").containsEntry("open=/zero", "errno 13");
    } finally {
      TestRootfs.deleteTree(dir);
    }
  }

  /** A minimal rootfs (busybox, the probe) with a device node, {@code /zero}, at its top. */
  private static Path rootfsWithANode(Path root) throws IOException, InterruptedException {
    for (String d : List.of("bin", "proc", "dev", "tmp")) {
      Files.createDirectories(root.resolve(d));
    }
    Files.copy(TestRootfs.busybox().resolve("bin/busybox"), root.resolve("bin/busybox"));
    Files.copy(EscapeProbe.escape(), root.resolve("bin/escape"));
    Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
    mknod(root.resolve("zero"));
    return root;
  }

  private static void mknod(Path node) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("mknod", "-m", "666", node.toString(), "c", "1", "5").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mknod on the host: " + out).isZero();
  }
}
