package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** The launcher binary: run from a sealed memfd, or from a checked private copy. */
class LauncherTest {
  @Test
  void theMonitorAndInitRunFromASealedMemfd() throws Exception {
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start()) {
      long monitor = ProcessHandle.of(c.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
      assertThat(Files.readString(Path.of("/proc/" + monitor + "/comm")).trim()).isEqualTo("isola-monitor");
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + monitor + "/exe")).toString()).startsWith("/memfd:isola-launcher");
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + c.pid() + "/exe")).toString()).startsWith("/memfd:isola-launcher");
      assertThat(Files.readString(Path.of("/proc/" + c.pid() + "/comm")).trim()).isEqualTo("isola-init");
      // the memfd cannot be written: not through /proc/<pid>/exe, whoever asks (ESC-01)
      for (String exe : new String[] {"/proc/" + monitor + "/exe", "/proc/" + c.pid() + "/exe"}) {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(exe, "rw")) {
          f.write(0);
          throw new AssertionError("wrote to the launcher through " + exe);
        } catch (IOException expected) {
          assertThat(expected.getMessage()).isNotEmpty();
        }
      }
    }
  }

  @Test
  void theFileCopyIsPrivateAndContentAddressed() throws Exception {
    Launcher copy = Launcher.load(false);
    assertThat(copy.kind()).isEqualTo("file copy");
    Path file = Path.of(copy.path());
    assertThat(file.getFileName().toString()).matches("launcher-[0-9a-f]{64}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r-x------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");

    ContainerSpec spec = Run.sh("echo from the copy").build();
    Supervisor supervisor = new Supervisor();
    LinuxContainer c = LinuxContainer.start(spec, new PlanCompiler(Host.current()).compile(spec), java.util.Optional.empty(), java.util.Optional.empty(), copy, supervisor);
    try {
      assertThat(new String(c.stdout().readAllBytes())).isEqualTo("from the copy\n");
      assertThat(c.exit().get().isSuccess()).isTrue();
    } finally {
      c.close();
    }

    // the running launch server keeps the copy busy: it cannot be written to
    assertThatThrownBy(() -> Files.write(file, new byte[] {1, 2, 3})).isInstanceOf(IOException.class);
    // a copy replaced by something else is replaced again, not run
    Files.delete(file);
    Files.write(file, new byte[] {1, 2, 3});
    assertThat(Launcher.load(false).path()).isEqualTo(file.toString());
    assertThat(Files.size(file)).isGreaterThan(3);
    TestRootfs.deleteTree(file.getParent());
  }
}
