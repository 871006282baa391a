package dev.isola.linux.internal.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.Namespace;
import dev.isola.linux.internal.container.LinuxContainer;
import dev.isola.linux.internal.plan.Host;
import dev.isola.linux.internal.plan.IdMaps;
import dev.isola.linux.internal.plan.PlanCompiler;
import dev.isola.linux.internal.sys.Supervisor;
import dev.isola.linux.testing.HostState;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.SandboxProbe;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The launcher binary: run from a sealed memfd, or from a checked private copy. */
class LauncherTest {
  /**
   * A running container costs no process of its own outside its namespaces: the launch server is
   * the parent of every container's init. One that keeps the host's pid namespace has a monitor
   * of its own, the subreaper of its orphans, which ends with it.
   */
  @Test
  void oneServerWatchesEveryContainerAndAMonitorOnlyThoseWithTheHostsPids() throws Exception {
    ContainerSpec.Builder sleep = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60");
    try (Container a = sleep.start(); Container b = sleep.start(); Container shared = sleep.share(Namespace.PID).start()) {
      long server = Long.parseLong(SandboxProbe.status(a.pid(), "PPid"));
      assertThat(SandboxProbe.status(server, "Name")).isEqualTo("isola-server");
      assertThat(SandboxProbe.status(b.pid(), "PPid")).isEqualTo(Long.toString(server));
      long monitor = Long.parseLong(SandboxProbe.status(shared.pid(), "PPid"));
      assertThat(SandboxProbe.status(monitor, "Name")).isEqualTo("isola-monitor");
      assertThat(SandboxProbe.status(monitor, "PPid")).isEqualTo(Long.toString(server));
      shared.close();
      // its status pipe closes as it exits: a moment later it is gone
      long deadline = System.nanoTime() + 2_000_000_000L;
      while (Leftovers.processExists(monitor) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(Leftovers.processExists(monitor)).as("the monitor, after close()").isFalse();
      // the server still hears the others (the monitor shared its epoll instance, and left it alone)
      assertThat(a.isAlive() && b.isAlive()).isTrue();
      b.kill(dev.isola.Signal.TERM);
      assertThat(b.waitFor(java.time.Duration.ofSeconds(5))).map(s -> s.signal().orElse(null)).contains(dev.isola.Signal.TERM);
    }
  }

  /**
   * The server lives as long as the JVM: after containers that ran, failed to start, were
   * killed or hit a limit, it holds the descriptors it held before (its spare network namespace,
   * made while idle, may come and go).
   */
  @Test
  void theServerKeepsNoDescriptorOfAContainerThatEnded() throws Exception {
    long server;
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start()) {
      server = Long.parseLong(SandboxProbe.status(c.pid(), "PPid"));
      c.kill(dev.isola.Signal.KILL);
      c.waitFor();
    }
    List<String> before = descriptors(server);
    for (int i = 0; i < 20; i++) {
      ContainerSpec.Builder spec = Container.builder().rootfs(TestRootfs.busybox());
      switch (i % 4) {
        case 0:
          spec.command("true");
          break;
        case 1:
          spec.command("no-such-program");
          break;
        case 2:
          spec.command("sleep", "60").limits(dev.isola.Limits.builder().wallTime(java.time.Duration.ofMillis(50)).build());
          break;
        default:
          spec.command("sleep", "60").share(Namespace.PID);
      }
      try (Container c = spec.start()) {
        if (i % 4 == 3) {
          c.kill(dev.isola.Signal.KILL);
        }
        c.waitFor();
      } catch (dev.isola.ContainerStartException expected) {
        assertThat(i % 4).isEqualTo(1);
      }
    }
    assertThat(descriptors(server)).isEqualTo(before);
  }

  /**
   * A container's init holds its own plan (a copy of the server's mapping for it) and nothing of
   * another container's, not even the end of a longer plan that came before.
   */
  @Test
  void anInitHoldsItsOwnPlanAndNothingOfAnothers() throws Exception {
    try (Container before = Container.builder().rootfs(TestRootfs.busybox()).command("true")
        .env("BEFORE", "x".repeat(30_000) + "-the-plan-before").start()) { // its end: past all of the next plan
      before.waitFor();
    }
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").env("MINE", "plan-of-its-own").start()) {
      String memory = writableMemory(c.pid());
      assertThat(memory.contains("plan-of-its-own")).as("its own plan, in its init's memory").isTrue();
      assertThat(memory.contains("-the-plan-before")).as("the end of the plan before, in its init's memory").isFalse();
    }
  }

  /** A process's private writable memory, read from the host (as root) through /proc/<pid>/mem. */
  private static String writableMemory(long pid) throws IOException {
    StringBuilder all = new StringBuilder();
    try (java.io.RandomAccessFile mem = new java.io.RandomAccessFile("/proc/" + pid + "/mem", "r")) {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
        String[] f = line.split("\\s+");
        if (!f[1].startsWith("rw")) {
          continue;
        }
        String[] range = f[0].split("-");
        long start = Long.parseUnsignedLong(range[0], 16);
        byte[] bytes = new byte[(int) (Long.parseUnsignedLong(range[1], 16) - start)];
        mem.seek(start);
        mem.readFully(bytes);
        all.append(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1));
      }
    }
    return all.toString();
  }

  /** What a process's descriptors lead to, but network namespaces (the server's spare). */
  private static List<String> descriptors(long pid) throws IOException {
    List<String> fds = new java.util.ArrayList<>();
    try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      for (Path fd : (Iterable<Path>) list::iterator) {
        String target = Files.readSymbolicLink(fd).toString();
        if (!target.startsWith("net:")) {
          fds.add(fd.getFileName() + " -> " + target.replaceAll("\\[\\d+\\]", "[]"));
        }
      }
    }
    fds.sort(null);
    return fds;
  }

  @Test
  void theServerAndInitRunFromASealedMemfd() throws Exception {
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60").start()) {
      long monitor = ProcessHandle.of(c.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
      assertThat(Files.readString(Path.of("/proc/" + monitor + "/comm")).trim()).isEqualTo("isola-server");
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + monitor + "/exe")).toString()).startsWith("/memfd:isola-launcher");
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + c.pid() + "/exe")).toString()).startsWith("/memfd:isola-launcher");
      assertThat(Files.readString(Path.of("/proc/" + c.pid() + "/comm")).trim()).isEqualTo("isola-init");
      // sealed, so that it can never be written, even once nothing runs it any more (ESC-01): a
      // write while it runs would fail on any executable (ETXTBSY) and proves nothing
      Path serverExe = Path.of("/proc/" + monitor + "/exe");
      assertThat(HostState.seals(serverExe) & HostState.BASE_SEALS).as("seals of the server's executable")
          .isEqualTo(HostState.BASE_SEALS);
    }
  }

  @Test
  void theFileCopyIsPrivateAndContentAddressed() throws Exception {
    Launcher copy = Launcher.load(false, new Supervisor());
    assertThat(copy.kind()).isEqualTo("file copy");
    Path file = Path.of(copy.path());
    assertThat(file.getFileName().toString()).matches("launcher-[0-9a-f]{64}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r-x------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");

    ContainerSpec spec = Run.sh("echo from the copy").build();
    Supervisor supervisor = new Supervisor();
    LinuxContainer c = LinuxContainer.start(spec, new PlanCompiler(Host.current()).compile(spec), java.util.Optional.empty(), java.util.Optional.empty(),
        IdMaps.rootIds(spec, Host.current()), (exec, pid) -> { throw new AssertionError("no exec here"); }, copy, supervisor);
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
    assertThat(Launcher.load(false, new Supervisor()).path()).isEqualTo(file.toString());
    assertThat(Files.size(file)).isGreaterThan(3);
    TestRootfs.deleteTree(file.getParent());
  }
}
