package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerStartException;
import dev.isola.ContainerStats;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Limits;
import dev.isola.Namespace;
import dev.isola.Signal;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.cgroup.CgroupHost;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.NothingLeftBehind;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Limits that really bite, the verdict that says which one, and no cgroup left afterwards. */
@ExtendWith(NothingLeftBehind.class)
class LimitsTest {
  private static final Duration SAFETY = Duration.ofSeconds(20);
  private static Limits.Builder limits() {
    return Limits.builder().wallTime(SAFETY); // every test ends, whatever the runtime does
  }

  /** The preset for untrusted code starts here as root, every limit of it enforced, and a fork bomb stops at it. */
  @Test
  void theUntrustedDefaultsRunAndBite() throws Exception {
    Run ok = Run.of(Run.sh("echo fine").limits(Limits.untrustedDefaults()));
    assertThat(ok.stdout).isEqualTo("fine\n");
    assertThat(ok.status.accounting()).isEqualTo(ExitStatus.Accounting.CGROUP);
    try (Container bomb = Run.sh("f() { f | f & }; f; sleep 30").limits(Limits.untrustedDefaults().toBuilder().wallTime(SAFETY).build())
        .start()) {
      Thread.sleep(1500);
      assertThat(bomb.stats().pids()).isBetween(1L, 256L); // stopped at the preset's limit
      bomb.killAll();
    }
  }

  @Test
  void aMemoryHogIsOomKilledAndSaidSo() {
    Run r = Run.of(Run.sh("x=a; while true; do x=$x$x; done").limits(limits().memory(32 << 20).build()));
    assertThat(r.status.reason()).as(r.toString()).isEqualTo(ExitReason.OOM_KILLED);
    assertThat(r.status.signal()).contains(Signal.KILL);
    assertThat(r.status.peakMemoryBytes()).isGreaterThan(16 << 20).isLessThanOrEqualTo(32 << 20);
  }

  @Test
  void aForkBombStopsAtThePidsLimit() throws Exception {
    Limits l = limits().pids(16).build();
    try (Container bomb = Run.sh("f() { f | f & }; f; sleep 30").limits(l).start()) {
      Thread.sleep(700);
      ContainerStats stats = bomb.stats();
      assertThat(stats.pids()).isBetween(1L, 16L);
      // the host, and other containers, go on
      assertThat(Run.of("echo alive").stdout).isEqualTo("alive\n");
      bomb.killAll();
      assertThat(bomb.waitFor(SAFETY).orElseThrow().reason()).isEqualTo(ExitReason.KILLED);
    }
  }

  /**
   * An io write limit throttles direct writes to a writable bind of a directory on a disk (on
   * cgroup v1 only direct and synchronous I/O is throttled, so the test writes with O_DIRECT).
   */
  @Test
  void anIoWriteLimitThrottlesDirectWritesToADisk() throws Exception {
    // the first of these on a disk: the build's own directory, the temporary ones
    List<Path> candidates = List.of(Path.of("target").toAbsolutePath(), Path.of(System.getProperty("java.io.tmpdir")),
        Path.of("/var/tmp"));
    Optional<Path> onDisk = candidates.stream().filter(c -> !dev.isola.linux.internal.cgroup.IoDevices.of(
        Container.builder().rootfs(c).command("true").build()).isEmpty()).findFirst();
    org.junit.jupiter.api.Assumptions.assumeTrue(onDisk.isPresent(), "none of " + candidates + " lies on a block device on this machine");
    Path dir = Files.createTempDirectory(onDisk.get(), "isola-io-limit-");
    try {
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      dev.isola.ContainerSpec.Builder write = Container.builder().mount(dev.isola.Mount.bindWritable(dir, "/out"))
          .command("dd", "if=/dev/zero", "of=/out/f", "bs=1M", "count=12", "oflag=direct");
      Run free = Run.of(write.limits(limits().build()));
      assertThat(free.status.isSuccess()).as(free.toString()).isTrue();
      Run limited = Run.of(write.limits(limits().ioWriteBandwidth(4L << 20).build()));
      assertThat(limited.status.isSuccess()).as(limited.toString()).isTrue();
      // 12 MiB at 4 MiB/s: about 3 s, however fast the disk
      assertThat(limited.status.wallTime()).isGreaterThan(Duration.ofMillis(2000))
          .isGreaterThan(free.status.wallTime().multipliedBy(2));
    } finally {
      TestRootfs.deleteTree(dir);
    }
  }

  /** Fail closed: an io limit on a container that uses no block device is refused before it starts. */
  @Test
  void anIoLimitWithNoDiskToThrottleIsRefused() throws Exception {
    Path root = Files.createTempDirectory(Path.of("/dev/shm"), "isola-io-test-");
    try {
      for (String d : List.of("proc", "dev", "tmp")) {
        Files.createDirectory(root.resolve(d));
      }
      assertThatThrownBy(() -> Container.builder().rootfs(root).command("true")
          .limits(Limits.builder().ioReadBandwidth(1 << 20).build()).start())
          .isInstanceOf(dev.isola.UnsupportedFeatureException.class)
          .hasMessageContaining("an io limit").hasMessageContaining("no block device");
    } finally {
      TestRootfs.deleteTree(root);
    }
  }

  /** With no limits at all, a fork bomb still stops at podman's default, where the host has the pids controller. */
  @Test
  void aForkBombWithoutLimitsStopsAtTheDefaultPidsLimit() throws Exception {
    try (Container bomb = Run.sh("f() { f | f & }; f; sleep 30").limits(limits().build()).start()) {
      long pids = 0;
      for (int i = 0; i < 50 && pids < Limits.DEFAULT_PIDS - 8; i++) {
        Thread.sleep(100);
        pids = bomb.stats().pids();
      }
      assertThat(pids).as("it grows to the default, and no further").isBetween(Limits.DEFAULT_PIDS - 64, Limits.DEFAULT_PIDS);
      Thread.sleep(300);
      assertThat(bomb.stats().pids()).isLessThanOrEqualTo(Limits.DEFAULT_PIDS);
      assertThat(Run.of("echo alive").stdout).isEqualTo("alive\n");
      bomb.killAll();
    }
  }

  /**
   * Without limits the CPU time comes from the init's usage, which the launch server reads when it
   * reaps it: it counts every process of the pid namespace, here an orphan the init reaped.
   */
  @Test
  void theCpuTimeWithoutLimitsCountsEveryProcessOfTheContainer() {
    Run r = Run.of("(timeout 1 yes >/dev/null &); sleep 1.5");
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    assertThat(r.status.cpuTime()).as(r.toString()).isGreaterThan(Duration.ofMillis(600));
  }

  @Test
  void aBusyLoopEndsAtTheCpuTimeLimit() {
    Run r = Run.of(Run.sh("while :; do :; done").limits(limits().cpuTime(Duration.ofMillis(500)).build()));
    assertThat(r.status.reason()).as(r.toString()).isEqualTo(ExitReason.CPU_TIME_LIMIT);
    assertThat(r.status.cpuTime()).isGreaterThanOrEqualTo(Duration.ofMillis(500));
  }

  @Test
  void theCpuTimeLimitCountsEveryProcessOfTheContainer() {
    // two busy children: the sum reaches the limit, however little each one used
    Run r = Run.of(Run.sh("(while :; do :; done) & (while :; do :; done) & wait")
        .limits(limits().cpuTime(Duration.ofMillis(600)).build()));
    assertThat(r.status.reason()).as(r.toString()).isEqualTo(ExitReason.CPU_TIME_LIMIT);
    assertThat(r.status.cpuTime()).isGreaterThanOrEqualTo(Duration.ofMillis(600));
  }

  @Test
  void aProgramThatEndsWithinTheGraceIsStillOverTheLimit() {
    // a few tenths of a second of CPU against a limit of 0.05 s plus 5 s of grace: it ends by itself, over the limit
    Run r = Run.of(Run.sh("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done")
        .limits(limits().cpuTime(Duration.ofMillis(50)).cpuTimeGrace(Duration.ofSeconds(5)).build()));
    assertThat(r.stdout).isEqualTo("done\n");
    assertThat(r.status.exitCode()).isZero();
    assertThat(r.status.reason()).as(r.toString()).isEqualTo(ExitReason.CPU_TIME_LIMIT);
  }

  /** The one launch server keeps the time limits of every container it watches, each on time. */
  @Test
  void theWallLimitsOfContainersRunningTogetherEachEndTheirOwn() throws Exception {
    try (Container soon = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "30")
            .limits(Limits.builder().wallTime(Duration.ofMillis(300)).build()).start();
        Container later = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "30")
            .limits(Limits.builder().wallTime(Duration.ofMillis(1200)).build()).start();
        Container none = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "30").start()) {
      ExitStatus first = soon.waitFor(SAFETY).orElseThrow();
      assertThat(later.isAlive()).as("the later limit has not come").isTrue();
      ExitStatus second = later.waitFor(SAFETY).orElseThrow();
      assertThat(first.reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
      assertThat(second.reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
      assertThat(first.wallTime()).isBetween(Duration.ofMillis(300), Duration.ofMillis(1100));
      assertThat(second.wallTime()).isBetween(Duration.ofMillis(1200), Duration.ofMillis(3000));
      assertThat(none.isAlive()).isTrue();
    }
  }

  @Test
  void aSleepingProcessEndsAtTheWallTimeLimit() {
    Run r = Run.of(Run.sh("sleep 30").limits(Limits.builder().wallTime(Duration.ofMillis(300)).build()));
    assertThat(r.status.reason()).isEqualTo(ExitReason.WALL_TIME_LIMIT);
    assertThat(r.status.wallTime()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(r.status.cpuTime()).isLessThan(Duration.ofMillis(300));
  }

  @Test
  void aCpuQuotaThrottles() throws Exception {
    try (Container c = Run.sh("while :; do :; done").limits(limits().cpus(0.2).build()).start()) {
      Path cpuStat = v1Dir(c.pid(), "cpu").resolve("cpu.stat");
      Thread.sleep(1000);
      long throttled = Files.readAllLines(cpuStat).stream().filter(l -> l.startsWith("nr_throttled "))
          .mapToLong(l -> Long.parseLong(l.split(" ")[1])).findFirst().orElseThrow();
      assertThat(throttled).as(cpuStat.toString()).isPositive();
      // 0.2 CPUs for about a second: far less than the second a free loop would use
      assertThat(c.stats().cpuTime()).isLessThan(Duration.ofMillis(600));
    }
  }

  @Test
  void aFloodOfOutputIsCutAtTheLimit() throws Exception {
    Run r = Run.of(Run.sh("yes").limits(limits().outputBytes(10_000).build()));
    assertThat(r.status.reason()).as(r.status.toString()).isEqualTo(ExitReason.OUTPUT_LIMIT);
    assertThat(r.status.outputTruncated()).isTrue();
    assertThat(r.stdout).hasSize(10_000).startsWith("y\ny\n");
  }

  @Test
  void outputPastTheLimitCanBeThrownAwayInstead() {
    Run r = Run.of(Run.sh("i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; echo done >&2")
        .limits(limits().outputBytes(1000).onOutputLimit(Limits.OutputAction.DISCARD).build()));
    assertThat(r.status.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(r.status.outputTruncated()).isTrue();
    assertThat(r.stdout.length() + r.stderr.length()).isEqualTo(1000);
  }

  @Test
  void capturedOutputNeverBlocksTheContainerThoughNobodyReadsIt() throws Exception {
    // a megabyte on each stream: sixteen times what a pipe holds, with nobody reading until the end
    try (Container c = Run.sh("head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2")
        .limits(limits().outputBytes(4 << 20).build()).start()) {
      Optional<ExitStatus> s = c.waitFor(Duration.ofSeconds(15));
      assertThat(s).as("ended without a reader").hasValueSatisfying(status -> assertThat(status.isSuccess()).isTrue());
      assertThat(c.stdout().readAllBytes()).hasSize(1_000_000);
      assertThat(c.stderr().readAllBytes()).hasSize(1_000_000);
    }
  }

  @Test
  void outputWithinTheLimitIsWhole() {
    Run r = Run.of(Run.sh("echo out; echo err >&2").limits(limits().outputBytes(1000).build()));
    assertThat(r.status.isSuccess()).isTrue();
    assertThat(r.status.outputTruncated()).isFalse();
    assertThat(r.stdout).isEqualTo("out\n");
    assertThat(r.stderr).isEqualTo("err\n");
  }

  @Test
  void pauseFreezesAndResumeContinues() throws Exception {
    try (Container c = Run.sh("while :; do :; done").limits(limits().build()).start()) {
      Thread.sleep(100);
      c.pause();
      assertThat(c.stats().paused()).isTrue();
      Duration frozenAt = c.stats().cpuTime();
      Thread.sleep(300);
      assertThat(c.stats().cpuTime()).isEqualTo(frozenAt);
      c.resume();
      Thread.sleep(300);
      assertThat(c.stats().paused()).isFalse();
      assertThat(c.stats().cpuTime()).isGreaterThan(frozenAt);
    }
  }

  @Test
  void killAllEndsGrandchildrenToo() throws Exception {
    // without a pid namespace, only the cgroup knows every process
    try (Container c = Run.sh("(sleep 600 &) ; (sleep 600 &); echo started; sleep 600").share(Namespace.PID)
        .limits(limits().build()).start()) {
      assertThat(new String(c.stdout().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("started\n");
      List<Long> members = new ArrayList<>();
      for (String pid : Files.readString(v2Dir(c.pid()).resolve("cgroup.procs")).trim().split("\n")) {
        members.add(Long.parseLong(pid));
      }
      assertThat(members).hasSizeGreaterThanOrEqualTo(4);
      c.killAll();
      ExitStatus s = c.waitFor(SAFETY).orElseThrow();
      assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
      long deadline = System.nanoTime() + SAFETY.toNanos();
      while (members.stream().anyMatch(Leftovers::processExists) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(members).noneMatch(Leftovers::processExists);
    }
  }

  @Test
  void rlimitsAreVisibleInside() {
    Run r = Run.of(Run.sh("cat /proc/self/limits").limits(Limits.builder()
        .rlimit(Limits.Rlimit.NOFILE, 64).rlimit(Limits.Rlimit.FSIZE, 1 << 20).rlimit(Limits.Rlimit.STACK, 8 << 20).build()));
    assertThat(r.stdout).containsPattern("Max open files\\s+64\\s+64")
        .containsPattern("Max file size\\s+1048576\\s+1048576")
        .containsPattern("Max stack size\\s+8388608\\s+8388608")
        .containsPattern("Max core file size\\s+0\\s+0");
    Run fsize = Run.of(Run.sh("dd if=/dev/zero of=/tmp/big bs=1024 count=2048 2>&1; echo rc=$?")
        .limits(Limits.builder().rlimit(Limits.Rlimit.FSIZE, 1 << 20).build()));
    assertThat(fsize.stdout).doesNotContain("rc=0");
  }

  @Test
  void theProcessAddressSpaceAndCpuRlimitsBite() {
    Run r = Run.of(Run.sh("cat /proc/self/limits").limits(Limits.builder()
        .rlimit(Limits.Rlimit.NPROC, 20).rlimit(Limits.Rlimit.AS, 256L << 20).rlimit(Limits.Rlimit.CPU, 5).build()));
    assertThat(r.stdout).containsPattern("Max processes\\s+20\\s+20")
        .containsPattern("Max address space\\s+268435456\\s+268435456")
        .containsPattern("Max cpu time\\s+5\\s+5");
    // a block larger than the address space cannot be had; one well within it can
    Run as = Run.of(Run.sh("dd if=/dev/zero of=/dev/null bs=300M count=1 2>&1; echo rc=$?; dd if=/dev/zero of=/dev/null"
        + " bs=16M count=1 2>/dev/null; echo rc=$?").limits(Limits.builder().rlimit(Limits.Rlimit.AS, 256L << 20).build()));
    assertThat(as.stdout).containsPattern("rc=[1-9][0-9]*\\nrc=0\\n");
    // the container's root counts its processes: the sixth cannot start
    Run nproc = Run.of(Run.sh("for i in 1 2 3 4 5 6 7 8; do sleep 1 & done 2>&1; wait")
        .limits(Limits.builder().rlimit(Limits.Rlimit.NPROC, 6).build()));
    assertThat(nproc.stdout + nproc.stderr).as("forks past RLIMIT_NPROC").containsIgnoringCase("fork");
    // the CPU time rlimit ends a busy loop with SIGXCPU, or SIGKILL at the hard limit
    Run cpu = Run.of(Run.sh("while :; do :; done").limits(Limits.builder().rlimit(Limits.Rlimit.CPU, 1).build()));
    assertThat(cpu.status.signal()).as(cpu.status.toString()).hasValueSatisfying(sig -> assertThat(sig).isIn(Signal.XCPU, Signal.KILL));
  }

  @Test
  void memoryAndSwapAndTheCpuWeightReachTheirControllers() throws Exception {
    try (Container c = Run.sh("sleep 30").limits(limits().memory(128L << 20).memoryAndSwap(256L << 20).cpuWeight(200).build())
        .start()) {
      Path memory = v1Dir(c.pid(), "memory");
      assertThat(Files.readString(memory.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(128L << 20));
      assertThat(Files.readString(memory.resolve("memory.memsw.limit_in_bytes")).trim()).isEqualTo(Long.toString(256L << 20));
      // the kernel's own mapping of a v2 weight onto v1 shares: 1 -> 2, 100 -> 2 + 99 * 262142 / 9999, 10000 -> 262144
      assertThat(Files.readString(v1Dir(c.pid(), "cpu").resolve("cpu.shares")).trim())
          .isEqualTo(Long.toString(2 + 199L * 262142 / 9999));
    }
  }

  @Test
  void theContainerSeesItsOwnCgroupAsTheRoot() {
    Run r = Run.of(Run.sh("cat /proc/self/cgroup").limits(limits().memory(64 << 20).build()));
    assertThat(r.stdout.lines()).allSatisfy(l -> assertThat(l).endsWith(":/"));
  }

  @Test
  void limitsTheHostCannotMeetAreRefusedBeforeAnythingStarts() {
    assertThatThrownBy(() -> Run.sh("true").limits(Limits.builder().cpus(64).build()).start())
        .isInstanceOf(ContainerStartException.class).hasMessageContaining("more than this host's");
    assertThatThrownBy(() -> Run.sh("true").limits(Limits.builder().cpuset(0, 99).build()).start())
        .isInstanceOf(ContainerStartException.class).hasMessageContaining("CPU 99");
  }

  @Test
  void aCpusetPinsTheContainer() {
    Run r = Run.of(Run.sh("grep Cpus_allowed_list /proc/self/status").limits(Limits.builder().cpuset(0).build()));
    assertThat(r.stdout).containsPattern("Cpus_allowed_list:\\s+0\\n");
  }

  @Test
  void staleCgroupsOfDeadJvmsAreSwept() throws IOException {
    CgroupHost host = CgroupHost.detect();
    List<Path> fakes = new ArrayList<>();
    for (Path parent : host.distinctParents()) {
      fakes.add(Files.createDirectory(parent.resolve("isola-999999999-1-1"))); // no such pid
    }
    Cgroup.sweepStale(host);
    assertThat(fakes).allSatisfy(f -> assertThat(f).doesNotExist());
  }

  /** This JVM's cgroups: once a test's containers have ended, there must be none (other JVMs may run meanwhile). */

  /** The host-side v1 directory of {@code controller} for the container whose first process is {@code pid}. */
  private static Path v1Dir(long pid, String controller) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/" + pid + "/cgroup"))) {
      String path = lines.map(l -> l.split(":", 3)).filter(f -> List.of(f[1].split(",")).contains(controller))
          .findFirst().orElseThrow()[2];
      return Path.of("/sys/fs/cgroup", controller, path.substring(1));
    }
  }

  private static Path v2Dir(long pid) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/" + pid + "/cgroup"))) {
      String path = lines.filter(l -> l.startsWith("0::")).findFirst().orElseThrow().substring(3);
      Path unified = Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup");
      return unified.resolve(path.substring(1));
    }
  }
}
