package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.cgroup.CgroupHost;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.SandboxProbe;
import dev.isola.linux.testing.TestRootfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A container must not outlive the JVM that started it (REL-01). */
class JvmDeathTest {
  @Test
  void theContainerDiesWhenTheJvmIsKilled() throws Exception {
    ChildWithContainer child = sleepingContainerJvm();
    Process jvm = child.jvm;
    try {
      long pid = child.containerPid;
      assertThat(Leftovers.processExists(pid)).isTrue();

      jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      jvm.waitFor();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (Leftovers.processExists(pid) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(Leftovers.processExists(pid)).as("container process " + pid + " after the JVM died").isFalse();
    } finally {
      jvm.destroyForcibly();
    }
  }

  /** The launch server outlives the JVM just long enough to end its containers and remove their cgroups. */
  @Test
  void theCgroupsOfAKilledJvmAreGoneWithinSeconds() throws Exception {
    Process killed = sleepingContainerJvm().jvm;
    List<Path> left;
    try {
      left = cgroupsOf(killed.pid());
      assertThat(left).as("the running container's cgroups").isNotEmpty();
    } finally {
      killed.destroyForcibly(); // SIGKILL: no close(), no shutdown hook
      killed.waitFor();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (left.stream().anyMatch(Files::exists) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(left).as("5 s after the JVM's death").allSatisfy(dir -> assertThat(dir).doesNotExist());
  }

  /** Killed together with its launch server, a JVM leaves cgroups: the next JVM's first start sweeps them. */
  @Test
  void theCgroupsOfAKilledJvmAndServerAreSweptByTheNextJvmsFirstStart() throws Exception {
    ChildWithContainer child = sleepingContainerJvm();
    Process killed = child.jvm;
    List<Path> left;
    try {
      left = cgroupsOf(killed.pid());
      assertThat(left).as("the running container's cgroups").isNotEmpty();
      long server = Long.parseLong(SandboxProbe.status(child.containerPid, "PPid"));
      assertThat(SandboxProbe.status(server, "Name")).isEqualTo("isola-server");
      LibC.kill((int) server, 9); // first: then nothing of them removes the cgroups
    } finally {
      killed.destroyForcibly();
      killed.waitFor();
    }
    assertThat(left).allSatisfy(dir -> assertThat(dir).exists());
    Process next = sleepingContainerJvm().jvm;
    try {
      assertThat(left).as("after the next JVM's first start").allSatisfy(dir -> assertThat(dir).doesNotExist());
    } finally {
      next.destroyForcibly();
      next.waitFor();
      Cgroup.sweepStale(CgroupHost.detect()); // the next one's own, if its server had not removed them yet
    }
  }

  /** A child JVM and the first process of its one container. */
  private static final class ChildWithContainer {
    final Process jvm;
    final long containerPid;

    ChildWithContainer(Process jvm, long containerPid) {
      this.jvm = jvm;
      this.containerPid = containerPid;
    }
  }

  /** A child JVM whose one container is running once this returns. */
  private static ChildWithContainer sleepingContainerJvm() throws IOException {
    Process jvm = new ProcessBuilder(ChildJvm.command(ChildJvm.classPath(), SleepingContainerMain.class,
        TestRootfs.busybox().toString())).redirectErrorStream(true).start();
    String line = new BufferedReader(new InputStreamReader(jvm.getInputStream())).readLine();
    assertThat(line).as("child JVM said").startsWith("pid ");
    return new ChildWithContainer(jvm, Long.parseLong(line.substring(4).trim()));
  }

  private static List<Path> cgroupsOf(long jvmPid) {
    String prefix = "isola-" + jvmPid + "-";
    return CgroupHost.detect().isolaCgroups().stream().filter(p -> p.getFileName().toString().startsWith(prefix))
        .collect(Collectors.toList());
  }
}
