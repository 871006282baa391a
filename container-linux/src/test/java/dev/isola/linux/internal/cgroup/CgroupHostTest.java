package dev.isola.linux.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.internal.cgroup.CgroupHost.Controller;
import dev.isola.linux.internal.cgroup.CgroupHost.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Telling pure v2, hybrid and v1 hosts apart, and where each controller is driven. */
class CgroupHostTest {
  private static String cgroup2(Path mount) {
    return "30 25 0:26 / " + mount + " rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate";
  }

  private static String cgroup1(Path mount, String controllers) {
    return "31 25 0:27 / " + mount + " rw,nosuid,nodev,noexec,relatime shared:5 - cgroup cgroup rw," + controllers;
  }

  @Test
  void pureV2DrivesEveryControllerItOffersInTheV2Tree(@TempDir Path root) throws IOException {
    Path own = Files.createDirectories(root.resolve("user.slice/app.scope"));
    Files.writeString(own.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
    CgroupHost host = CgroupHost.detect(List.of(cgroup2(root)), List.of("0::/user.slice/app.scope"), null);
    assertThat(host.mode).isEqualTo(Mode.V2);
    for (Controller c : List.of(Controller.UNIFIED, Controller.MEMORY, Controller.PIDS, Controller.CPU, Controller.CPUSET)) {
      assertThat(host.parent(c)).as(c.name()).contains(own);
      assertThat(host.onV2(c)).as(c.name()).isTrue();
    }
    assertThat(host.parent(Controller.CPUACCT)).isEmpty();
    assertThat(host.parent(Controller.FREEZER)).isEmpty();
  }

  @Test
  void hybridDrivesV1ControllersWhereTheV2TreeLacksThem(@TempDir Path root) throws IOException {
    Path unified = Files.createDirectories(root.resolve("unified"));
    Files.writeString(unified.resolve("cgroup.controllers"), "hugetlb\n");
    Path memory = Files.createDirectories(root.resolve("memory"));
    Path pids = Files.createDirectories(root.resolve("pids"));
    CgroupHost host = CgroupHost.detect(
        List.of(cgroup2(unified), cgroup1(memory, "memory"), cgroup1(pids, "pids")),
        List.of("4:memory:/process_api/abc", "8:pids:/", "0::/"), null);
    assertThat(host.mode).isEqualTo(Mode.HYBRID);
    assertThat(host.parent(Controller.UNIFIED)).contains(unified);
    assertThat(host.parent(Controller.MEMORY)).contains(memory.resolve("process_api/abc"));
    assertThat(host.onV2(Controller.MEMORY)).isFalse();
    assertThat(host.parent(Controller.PIDS)).contains(pids);
    assertThat(host.parent(Controller.CPU)).as("not mounted on this host").isEmpty();
  }

  @Test
  void v1HasNoUnifiedTree(@TempDir Path root) throws IOException {
    Path cpu = Files.createDirectories(root.resolve("cpu,cpuacct"));
    Path freezer = Files.createDirectories(root.resolve("freezer"));
    CgroupHost host = CgroupHost.detect(List.of(cgroup1(cpu, "cpu,cpuacct"), cgroup1(freezer, "freezer")),
        List.of("3:cpu,cpuacct:/jobs", "5:freezer:/"), null);
    assertThat(host.mode).isEqualTo(Mode.V1);
    assertThat(host.parent(Controller.UNIFIED)).isEmpty();
    assertThat(host.parent(Controller.CPU)).contains(cpu.resolve("jobs"));
    assertThat(host.parent(Controller.CPUACCT)).contains(cpu.resolve("jobs"));
    assertThat(host.parent(Controller.FREEZER)).contains(freezer);
  }

  @Test
  void noCgroupsAtAll() {
    CgroupHost host = CgroupHost.detect(List.of("22 1 0:21 / /proc rw - proc proc rw"), List.of(), null);
    assertThat(host.mode).isEqualTo(Mode.NONE);
    assertThat(host.parents).isEmpty();
  }

  @Test
  void aConfiguredParentReplacesTheJvmsOwnCgroup(@TempDir Path root) throws IOException {
    Path delegated = Files.createDirectories(root.resolve("delegated/isola"));
    Files.writeString(delegated.resolve("cgroup.controllers"), "memory pids\n");
    CgroupHost host = CgroupHost.detect(List.of(cgroup2(root)), List.of("0::/user.slice/jvm.scope"), "/delegated/isola");
    assertThat(host.parent(Controller.UNIFIED)).contains(delegated);
    assertThat(host.parent(Controller.MEMORY)).contains(delegated);
  }

  @Test
  void thisHostIsDetectedAsItsMountsSay() throws IOException {
    List<String> mounts = Files.readAllLines(Path.of("/proc/self/mounts"));
    boolean v2 = mounts.stream().anyMatch(l -> l.split(" ")[2].equals("cgroup2"));
    boolean v1 = mounts.stream().anyMatch(l -> l.split(" ")[2].equals("cgroup") && l.matches(".*[ ,](memory|pids|cpu)[ ,].*"));
    Mode expected = v2 ? (v1 ? Mode.HYBRID : Mode.V2) : (v1 ? Mode.V1 : Mode.NONE);
    CgroupHost host = CgroupHost.detect();
    assertThat(host.mode).isEqualTo(expected);
    host.parent(Controller.UNIFIED).ifPresent(p -> assertThat(p).isDirectory());
  }
}
