package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.Mount;
import dev.isola.linux.internal.plan.Host;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bind and tmpfs mounts, their flags, and that they bite. Host directories are made
 * world-readable: the container's root is an unprivileged host id.
 */
class MountTest {
  private static Path open(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  @Test
  void aBindIsReadOnlyByDefault(@TempDir Path dir) throws IOException {
    open(dir);
    Files.writeString(dir.resolve("hello.txt"), "from the host\n");
    Run r = Run.of(Run.sh("cat /data/hello.txt; touch /data/new 2>&1; grep ' /data ' /proc/self/mounts")
        .mount(Mount.bind(dir, "/data")));
    assertThat(r.stdout).contains("from the host").contains("Read-only file system");
    assertThat(mountOptions(r.stdout, "/data")).contains("ro", "nosuid", "nodev");
    assertThat(dir.resolve("new")).doesNotExist();
  }

  @Test
  void aWritableBindWritesThroughToTheHost(@TempDir Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Run r = Run.of(Run.sh("echo written > /data/out.txt && echo ok").mount(Mount.bindWritable(dir, "/data")));
    assertThat(r.stdout).as(r.toString()).contains("ok");
    assertThat(dir.resolve("out.txt")).hasContent("written");
  }

  @Test
  void noExecForbidsRunningPrograms(@TempDir Path dir) throws IOException {
    open(dir);
    Files.copy(Path.of("/bin/busybox"), dir.resolve("busybox"));
    Run r = Run.of(Run.sh("/data/busybox true 2>&1; echo rc=$?").mount(Mount.bind(dir, "/data").noExec()));
    assertThat(r.stdout).contains("Permission denied").contains("rc=126");
    Run ok = Run.of(Run.sh("/data/busybox true; echo rc=$?").mount(Mount.bind(dir, "/data")));
    assertThat(ok.stdout).contains("rc=0");
  }

  @Test
  void droppingNosuidIsVisible(@TempDir Path dir) {
    Run r = Run.of(Run.sh("grep ' /data ' /proc/self/mounts").mount(
        Mount.bind(dir, "/data").withFlags(EnumSet.of(Mount.Flag.READ_ONLY, Mount.Flag.NO_DEV))));
    assertThat(mountOptions(r.stdout, "/data")).contains("ro", "nodev").doesNotContain("nosuid");
  }

  @Test
  void aFileCanBeBound(@TempDir Path dir) throws IOException {
    open(dir);
    Path file = Files.writeString(dir.resolve("config"), "key=value\n");
    Run r = Run.of(Container.builder().command("cat", "/opt/app/config").mount(Mount.bind(file, "/opt/app/config")));
    assertThat(r.stdout).as(r.toString()).isEqualTo("key=value\n");
  }

  @Test
  void aTmpfsHasItsSizeLimit() {
    Run r = Run.of(Run.sh("dd if=/dev/zero of=/data/fill bs=1024 count=2048 2>&1; echo rc=$?; grep ' /data ' /proc/self/mounts")
        .mount(Mount.tmpfs("/data", 1 << 20)));
    assertThat(r.stdout).contains("No space left on device").contains("rc=1");
    assertThat(mountOptions(r.stdout, "/data")).contains("rw", "nosuid", "nodev", "size=1024k");
  }

  @Test
  void aTmpfsCanReplaceTmp() {
    Run r = Run.of(Run.sh("grep ' /tmp ' /proc/self/mounts").mount(Mount.tmpfs("/tmp", 4 << 20)));
    assertThat(mountOptions(r.stdout, "/tmp")).contains("size=4096k");
  }

  @Test
  void sourcesUnderTheHostsTmpWork() throws IOException {
    // the staging root sits on /tmp while the container's root is built; sources there must still be found
    Path dir = open(Files.createTempDirectory(Path.of("/tmp"), "isola-source-"));
    try {
      Files.writeString(dir.resolve("f"), "under /tmp\n");
      Run r = Run.of(Run.sh("cat /data/f").mount(Mount.bind(dir, "/data")));
      assertThat(r.stdout).isEqualTo("under /tmp\n");
    } finally {
      TestRootfs.deleteTree(dir);
    }
  }

  @Test
  void mountPointsAreCreatedInTheDefaultRoot(@TempDir Path dir) {
    Run r = Run.of(Container.builder().command("sh", "-c", "ls -d /srv/data/deep; touch /srv/x 2>&1")
        .mount(Mount.bind(dir, "/srv/data/deep")));
    assertThat(r.stdout).contains("/srv/data/deep").contains("Read-only file system");
  }

  @Test
  void aSymlinkInTheRootfsIsResolvedInsideTheRoot(@TempDir Path dir) throws IOException {
    // a hostile rootfs: /escape is an absolute symlink; the mount must land on the root's own /etc
    Path rootfs = open(dir);
    for (String d : new String[] {"proc", "dev", "tmp", "bin", "etc"}) {
      Files.createDirectories(rootfs.resolve(d));
    }
    Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
    Files.createSymbolicLink(rootfs.resolve("escape"), Path.of("/etc"));
    Run r = Run.of(Container.builder().rootfs(rootfs).command("/bin/busybox", "grep", " /etc ", "/proc/self/mounts")
        .mount(Mount.tmpfs("/escape", 1 << 20)));
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    assertThat(r.stdout).startsWith("tmpfs /etc tmpfs");
  }

  @Test
  void mountsNestInsideATmpfsAndABind(@TempDir Path dir) throws IOException {
    open(dir);
    Path inner = Files.createDirectories(dir.resolve("inner"));
    Files.setPosixFilePermissions(inner, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(inner.resolve("f"), "inner\n");
    Files.createDirectories(dir.resolve("outer/sub"));
    for (boolean defaultRoot : new boolean[] {false, true}) {
      // a tmpfs of the caller's, a bind, and Isola's own /tmp, each holding another mount
      String outer = defaultRoot ? "/a" : "/data";
      String outerBind = defaultRoot ? "/o" : "/root";
      String script = "cat " + outer + "/b/c/f; cat " + outerBind + "/sub/f; cat /tmp/x/y/f";
      dev.isola.ContainerSpec.Builder b = defaultRoot ? Container.builder().command("sh", "-c", script) : Run.sh(script);
      Run r = Run.of(b.mount(Mount.tmpfs(outer, 1 << 20)).mount(Mount.bind(inner, outer + "/b/c"))
          .mount(Mount.bind(dir.resolve("outer"), outerBind)).mount(Mount.bind(inner, outerBind + "/sub"))
          .mount(Mount.bind(inner, "/tmp/x/y")));
      assertThat(r.stdout).as(r.toString()).isEqualTo("inner\ninner\ninner\n");
    }
  }

  private static String mountOptions(String mountsOutput, String target) {
    return mountsOutput.lines().filter(l -> l.contains(" " + target + " ") && l.split(" ")[1].equals(target)).findFirst().orElseThrow().split(" ")[3];
  }
}
