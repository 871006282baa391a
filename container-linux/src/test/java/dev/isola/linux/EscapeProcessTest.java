package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.IdMapping;
import dev.isola.Namespace;
import dev.isola.Signal;
import dev.isola.linux.testing.Background;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.SandboxProbe;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Catalog group I, from inside containers with the default spec: host processes cannot be seen
 * or touched, even those running as the very host uid the container's root is mapped to; and
 * the container's pid 1 behaves as an init must (cannot be killed from inside, adopts and reaps
 * orphans, takes everything with it when the command ends).
 */
class EscapeProcessTest {
  private static final int ESRCH = 3;
  private static final long SANDBOX_UID = IdMapping.DEFAULT_HOST_BASE;

  /**
   * PROC-01: a canary process on the host runs as the host uid of the container's root, so that
   * only the pid namespace stands between them. Inside, it is not in /proc, and kill (including
   * {@code kill(-1, SIGKILL)}), setpriority, sched_setaffinity and ioprio_set cannot reach it.
   */
  @Test
  void hostProcessesAreInvisibleAndUnsignalable() throws Exception {
    Process canary = new ProcessBuilder(SandboxProbe.onHost(), "as-uid", Long.toString(SANDBOX_UID),
        Long.toString(SANDBOX_UID), "/bin/busybox", "sleep", "60").start();
    try {
      long pid = canary.pid();
      long jvm = ProcessHandle.current().pid();
      waitForUid(pid, SANDBOX_UID);
      String p = SandboxProbe.PROBE;
      // the canary takes everything; this JVM only harmless probes, should the test fail
      String script = "ls /proc | grep -cxE '" + pid + "|" + jvm + "';"
          + " echo canary kill0 $(" + p + " kill " + pid + " 0) kill9 $(" + p + " kill " + pid + " 9)"
          + " nice $(" + p + " setpriority " + pid + ") affinity $(" + p + " affinity " + pid + ")"
          + " ioprio $(" + p + " ioprio " + pid + ");"
          + " echo jvm kill0 $(" + p + " kill " + jvm + " 0);"
          // last: kill(-1) ends this shell and so the container, before the probe can say so
          + " sleep 60 & " + p + " kill -1 9 >/dev/null; sleep 60";
      Run r = Run.of(SandboxProbe.sh(script));
      String err = "errno " + ESRCH;
      assertThat(r.stdout.split("\n")).as(r.toString()).containsExactly("0",
          "canary kill0 " + err + " kill9 " + err + " nice " + err + " affinity " + err + " ioprio " + err,
          "jvm kill0 " + err);
      // kill(-1) reached what it may: the processes of its own container, the shell among them
      assertThat(r.status.reason()).isEqualTo(ExitReason.SIGNALED);
      assertThat(r.status.signal()).contains(Signal.KILL);

      // the command as pid 1, which kill(-1) spares: it sees what kill(-1) did
      Run pid1 = Run.of(SandboxProbe.sh("sleep 60 & s=$!; " + p + " kill -1 9; sleep 0.1; kill -0 $s 2>/dev/null || echo sleep-killed").init(false));
      assertThat(pid1.stdout.split("\n")).as(pid1.toString()).containsExactly("ok 0", "sleep-killed");
      assertThat(canary.isAlive()).as("the canary").isTrue();
      assertThat(SandboxProbe.status(pid, "Uid")).startsWith(Long.toString(SANDBOX_UID));
      assertThat(SandboxProbe.status(pid, "State")).startsWith("S");
    } finally {
      canary.destroyForcibly();
      canary.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * PROC-01, documented risk: every container's root is the same host uid by default, so with
   * {@code share(Namespace.PID)} a container may signal any host process of that uid, including
   * other containers' processes. Probed with signal 0, which only checks the permission.
   */
  @Test
  void withTheHostsPidNamespaceTheSandboxUidReachesItsOtherProcesses() throws Exception {
    Process canary = new ProcessBuilder(SandboxProbe.onHost(), "as-uid", Long.toString(SANDBOX_UID),
        Long.toString(SANDBOX_UID), "/bin/busybox", "sleep", "60").start();
    try {
      waitForUid(canary.pid(), SANDBOX_UID);
      Run r = Run.of(SandboxProbe.sh(SandboxProbe.PROBE + " kill " + canary.pid() + " 0; "
          + SandboxProbe.PROBE + " kill " + ProcessHandle.current().pid() + " 0").share(Namespace.PID));
      assertThat(r.stdout.split("\n")).as(r.toString()).containsExactly("ok 0", "errno 1");
      assertThat(canary.isAlive()).isTrue();
    } finally {
      canary.destroyForcibly();
      canary.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * PROC-02: pid 1 takes no SIGKILL or SIGSTOP from inside, whether the init or the command is
   * pid 1, and whoever sends it; the container goes on and ends normally.
   */
  @Test
  void pid1CannotBeKilledOrStoppedFromInside() throws Exception {
    String script = "kill -KILL 1; kill -STOP 1; sh -c 'kill -KILL 1; kill -STOP 1'; echo alive;"
        + " sleep 0.2; echo $(grep State /proc/1/status | cut -f2 | cut -c1); echo still";
    Run withInit = Run.of(SandboxProbe.sh(script));
    assertThat(withInit.stdout.split("\n")).as(withInit.toString()).containsExactly("alive", "S", "still");
    assertThat(withInit.status.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(withInit.status.exitCode()).isZero();

    // without the init the command is pid 1: its own children cannot kill it either
    Run withoutInit = Run.of(SandboxProbe.sh("sh -c 'kill -KILL 1; kill -STOP 1'; echo alive $$;"
        + " echo $(grep State /proc/1/status | cut -f2 | cut -c1)").init(false));
    assertThat(withoutInit.stdout.split("\n")).as(withoutInit.toString()).hasSize(2).startsWith("alive 1");
    assertThat(withoutInit.stdout.split("\n")[1]).as("state of pid 1").isIn("R", "S");
    assertThat(withoutInit.status.isSuccess()).isTrue();
  }

  /**
   * PROC-02: a grandchild whose parent exits is adopted by the init (pid 1) and reaped when it
   * ends: no zombie stays.
   */
  @Test
  void anOrphanIsAdoptedAndReapedByTheInit() {
    String script = "sh -c 'sleep 0.3 & echo $!' > /tmp/pid; p=$(cat /tmp/pid);"
        + " echo parent $(cut -d' ' -f4 /proc/$p/stat);" // field 4 of stat: the parent pid
        + " sleep 0.8; if [ -e /proc/$p ]; then echo left $(cut -d' ' -f3 /proc/$p/stat); else echo reaped; fi";
    Run r = Run.of(SandboxProbe.sh(script));
    assertThat(r.stdout.split("\n")).as(r.toString()).containsExactly("parent 1", "reaped");
  }

  /**
   * PROC-02: when the command ends, everything else in the container dies with it, even
   * processes that left the session, ignore every catchable signal or are stopped.
   */
  @Test
  void whenTheCommandEndsEveryProcessInTheContainerDies() throws Exception {
    String script = "setsid sh -c 'trap \"\" TERM HUP INT QUIT USR1 USR2; sleep 600' </dev/null >/dev/null 2>&1 &"
        + " (sleep 600 </dev/null >/dev/null 2>&1 &);"
        + " sleep 600 </dev/null >/dev/null 2>&1 & kill -STOP $!;"
        + " echo ready; read x; exit 3";
    List<Long> inside;
    ExitStatus status;
    try (Background c = Background.start(SandboxProbe.sh(script))) {
      c.await("ready");
      inside = SandboxProbe.processesInPidNamespaceOf(c.pid());
      // the init, the shell, and the three sleeps
      assertThat(inside).as("processes in the container").hasSizeGreaterThanOrEqualTo(5);
      assertThat(inside.stream().map(pid -> SandboxProbe.status(pid, "State").substring(0, 1))).contains("T");
      c.finish();
      status = c.status();
    }
    assertThat(status.reason()).isEqualTo(ExitReason.EXITED);
    assertThat(status.exitCode()).isEqualTo(3);
    // the status is reported once the init is gone, and the kernel ends an init's namespace first
    assertThat(inside).allSatisfy(pid -> assertThat(Leftovers.processExists(pid)).as("process " + pid).isFalse());
  }

  private static void waitForUid(long pid, long uid) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      String u = SandboxProbe.status(pid, "Uid");
      if (u != null && u.startsWith(uid + "\t")) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("process " + pid + " did not become uid " + uid + ": " + SandboxProbe.status(pid, "Uid"));
  }
}
