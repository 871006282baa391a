package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerStartException;
import dev.isola.Mount;
import dev.isola.Stdio;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.NothingLeftBehind;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gets an exception that names it, and leaves nothing behind. */
@ExtendWith(NothingLeftBehind.class)
class BadInputTest {
  @Test
  void missingRootfs() {
    assertThatThrownBy(() -> Container.builder().rootfs(Path.of("/nonexistent/rootfs")).command("sh").start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("rootfs /nonexistent/rootfs does not exist");
  }

  @Test
  void rootfsThatIsAFile(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThatThrownBy(() -> Container.builder().rootfs(file).command("sh").start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining(file + " is not a directory");
  }

  @Test
  void rootfsWithoutProc(@TempDir Path dir) {
    assertThatThrownBy(() -> Container.builder().rootfs(dir).command("sh").start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("has no /proc, /dev, /tmp to mount on; create them (mkdir -p " + dir.resolve("proc") + " "
            + dir.resolve("dev") + " " + dir.resolve("tmp") + ")");
  }

  @Test
  void everyMissingMountTargetIsNamedAtOnce() {
    assertThatThrownBy(() -> Run.sh("true").mount(Mount.tmpfs("/a", 1 << 20)).mount(Mount.tmpfs("/b/c", 1 << 20))
        .mount(Mount.tmpfs("/tmp/x", 1 << 20)).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("has no /a, /b/c to mount on; create them (mkdir -p ")
        .hasMessageContaining("Overlay.ephemeral");
  }

  @Test
  void aRootfsWithASymlinkWhereIsolaMountsIsRefused(@TempDir Path dir) throws IOException {
    for (String d : new String[] {"dev", "tmp", "etc"}) {
      Files.createDirectories(dir.resolve(d));
    }
    Files.createSymbolicLink(dir.resolve("proc"), Path.of("/etc"));
    assertThatThrownBy(() -> Container.builder().rootfs(dir).command("sh").start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("has a symlink at /proc");
  }

  @Test
  void missingBindSource() {
    assertThatThrownBy(() -> Run.sh("true").mount(Mount.bind(Path.of("/nonexistent/src"), "/data")).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("bind source /nonexistent/src does not exist");
  }

  @Test
  void mountTargetMissingInTheRootfs() {
    assertThatThrownBy(() -> Run.sh("true").mount(Mount.tmpfs("/no/such/dir", 1 << 20)).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("has no /no/such/dir to mount on");
  }

  @Test
  void commandNotFound() {
    assertThatThrownBy(() -> Container.builder().rootfs(TestRootfs.busybox()).command("no-such-program").start())
        .isInstanceOfSatisfying(ContainerStartException.class, e -> {
          assertThat(e.step()).isEqualTo("execute no-such-program");
          assertThat(e.errorNumber()).hasValue(2);
          assertThat(e.getMessage()).contains("ENOENT").contains("there is no program \"no-such-program\" in the container");
        });
    assertThatThrownBy(() -> Container.builder().rootfs(TestRootfs.busybox()).command("/bin/nothing").init(false).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("ENOENT");
  }

  /**
   * The JVM opens stdio files as its user: a failure the checks before the start could not see
   * (here a directory given as the output file; for an ordinary user, a file it may not write)
   * names the stream and the file, not the launcher.
   */
  @Test
  void aStdioFileThatCannotBeOpenedIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    assertThatThrownBy(() -> Run.sh("true").stdout(dev.isola.Stdio.file(dir)).start())
        .isInstanceOfSatisfying(ContainerStartException.class, e -> {
          assertThat(e.step()).isEqualTo("open the stdout file " + dir);
          assertThat(e.getMessage()).contains("EISDIR").doesNotContain("launcher");
        });
  }

  @Test
  void commandNotExecutable() {
    assertThatThrownBy(() -> Container.builder().rootfs(TestRootfs.busybox()).command("/bin/not-executable").start())
        .isInstanceOfSatisfying(ContainerStartException.class, e -> {
          assertThat(e.errorNumber()).hasValue(13);
          assertThat(e.getMessage()).contains("EACCES").contains("is not an executable file");
        });
  }

  @Test
  void workingDirectoryMissing() {
    assertThatThrownBy(() -> Run.sh("true").workingDirectory("/no/where").start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("change to the working directory /no/where")
        .hasMessageContaining("ENOENT");
  }

  @Test
  void stdinFileMissing() {
    assertThatThrownBy(() -> Run.sh("true").stdin(Stdio.file(Path.of("/nonexistent/input"))).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("/nonexistent/input is not readable");
  }

  @Test
  void aMountTargetUnderTheHostsUsrMustExist() {
    assertThatThrownBy(() -> Container.builder().command("true").mount(Mount.tmpfs("/usr/no-such-dir", 1 << 20)).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("has no /usr/no-such-dir");
  }

  @Test
  void userNamespacesUnavailable() {
    // user.max_user_namespaces is per user namespace: 0 in a child namespace forbids new ones below it
    List<String> cmd = new ArrayList<>(List.of("unshare", "--user", "--map-root-user", "sh", "-c",
        "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"", "sh"));
    cmd.addAll(ChildJvm.command(ChildJvm.classPath(), StartFailureMain.class, TestRootfs.busybox().toString()));
    String out = ChildJvm.run(cmd);
    assertThat(out).contains("ContainerStartException")
        .contains("create namespaces")
        .contains("user.max_user_namespaces");
  }
}
