package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.IdMapping;
import dev.isola.Namespace;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy;
import dev.isola.Signal;
import dev.isola.Stdio;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.Signals;
import dev.isola.linux.testing.Background;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.HostState;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.SandboxProbe;
import dev.isola.linux.testing.TestRootfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Catalog group M (and CONF-03): containers end when and how they should, say truly how they
 * ended, leave nothing behind in the JVM or on the host, and start exactly as configured.
 * Cases that {@link LifecycleTest} and {@link JvmDeathTest} already cover (a plain thread that
 * ends, one container and a killed JVM, exit codes 3 and 4, TERM, SEGV) are not repeated.
 */
class ReliabilityTest {
  private static final String P = SandboxProbe.PROBE;

  // ---- REL-02: the thread that started a container may end ----

  /**
   * REL-02: containers started by pool threads that the pool then retires (a ThreadPoolExecutor
   * with a 1 ms keep-alive, a ForkJoinPool shut down) run to their normal end.
   */
  @Test
  void containersOutliveThePoolThreadsThatStartedThem() throws Exception {
    List<Thread> poolThreads = Collections.synchronizedList(new ArrayList<>());
    ThreadPoolExecutor pool = new ThreadPoolExecutor(0, 3, 1, TimeUnit.MILLISECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "short-lived-pool-thread");
      poolThreads.add(t);
      return t;
    });
    ForkJoinPool forkJoin = new ForkJoinPool(1);
    List<Future<Container>> started = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      started.add(pool.submit(() -> SandboxProbe.sh("sleep 1; echo done").start()));
    }
    started.add(forkJoin.submit(() -> SandboxProbe.sh("sleep 1; echo done").start()));
    List<Container> containers = new ArrayList<>();
    try {
      for (Future<Container> f : started) {
        containers.add(f.get(10, TimeUnit.SECONDS));
      }
      pool.shutdown();
      forkJoin.shutdown();
      assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      assertThat(forkJoin.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      for (Thread t : poolThreads) {
        t.join(5000); // a terminated pool's worker may still be on its way out
      }
      assertThat(poolThreads).hasSize(3).allSatisfy(t -> assertThat(t.isAlive()).isFalse());
      for (Container c : containers) {
        assertThat(c.isAlive()).as("a container whose starting thread ended").isTrue();
      }
      for (Container c : containers) {
        assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("done\n");
        ExitStatus s = c.waitFor(Duration.ofSeconds(10)).orElseThrow();
        assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
        assertThat(s.exitCode()).isZero();
        assertThat(s.wallTime()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
      }
    } finally {
      containers.forEach(Container::close);
      pool.shutdownNow();
      forkJoin.shutdownNow();
    }
  }

  // ---- REL-03: credential changes ----

  /**
   * REL-03: the launcher's own id changes (into the user namespace, or none) do not cost the
   * command its parent-death signal, with or without the init.
   */
  @Test
  void theCommandStartsWithTheParentDeathSignal() {
    List<ContainerSpec.Builder> specs = List.of(
        SandboxProbe.sh("").command(P, "pdeathsig"),
        SandboxProbe.sh("").command(P, "pdeathsig").init(false),
        SandboxProbe.sh("").command(P, "pdeathsig").init(false).idMapping(IdMapping.hostRoot()),
        SandboxProbe.sh("").command(P, "pdeathsig").init(false).share(Namespace.USER));
    for (ContainerSpec.Builder spec : specs) {
      Run r = Run.of(spec);
      assertThat(r.stdout).as(spec.build().toString()).isEqualTo("ok 9\n");
    }
    // what user code can do, and why the parent-death signal is not what Isola relies on
    Run changed = Run.of(SandboxProbe.sh("").command(P, "as-uid", "1000", "1000", P, "pdeathsig")
        .capabilities(dev.isola.Capability.SETUID, dev.isola.Capability.SETGID));
    assertThat(changed.stdout).as(changed.toString()).isEqualTo("ok 0\n");
  }

  /**
   * REL-01, REL-03: a JVM killed with SIGKILL takes along all its containers, including processes
   * that changed their uid (and so lost the parent-death signal), left the session, ignore TERM
   * and HUP, or were orphaned, with the init and without, and in the host's pid namespace.
   */
  @Test
  void processesThatChangedTheirUidDieWithTheJvm() throws Exception {
    Process jvm = new ProcessBuilder(ChildJvm.command(ChildJvm.classPath(), DyingJvmContainersMain.class,
        TestRootfs.busybox().toString(), SandboxProbe.dir().toString())).redirectErrorStream(true).start();
    List<Long> inside = new ArrayList<>();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      List<Long> inits = new ArrayList<>();
      List<String> lines = new ArrayList<>();
      List<Long> sharedPid = new ArrayList<>();
      boolean started = false;
      int uidLines = 0;
      while (!started || uidLines < 2 || sharedPid.size() < 2) {
        String line = out.readLine();
        assertThat(line).as("the child JVM's output so far: " + lines).isNotNull();
        lines.add(line);
        if (line.startsWith("pid ")) {
          inits.add(Long.parseLong(line.substring(4)));
        } else if (line.startsWith("shared-pid ")) {
          sharedPid.add(Long.parseLong(line.substring(11)));
        }
        started |= line.equals("started");
        uidLines += line.matches("uid 100[01]") ? 1 : 0;
      }
      assertThat(inits).hasSize(5);
      List<Long> monitors = new ArrayList<>();
      // the fourth shares the host's pid namespace; the fifth (an overlay root) is counted by its
      // init alone: its dd may end between the listing and the check
      for (long init : inits.subList(0, 3)) {
        inside.addAll(SandboxProbe.processesInPidNamespaceOf(init));
      }
      for (long init : inits) {
        monitors.add(Long.parseLong(SandboxProbe.status(init, "PPid")));
      }
      inside.add(inits.get(3));
      inside.add(inits.get(4));
      inside.addAll(sharedPid);
      assertThat(inside).allSatisfy(p -> assertThat(Leftovers.processExists(p)).as("process " + p).isTrue());
      Map<String, Long> byUid = inside.stream().collect(Collectors.groupingBy(
          p -> String.valueOf(SandboxProbe.status(p, "Uid")).split("\\s+")[0], Collectors.counting()));
      long base = IdMapping.DEFAULT_HOST_BASE;
      // the uid-changed shells' daemons: the TERM-ignoring shell or its sleep, the orphan, the exec'd sleep
      assertThat(byUid.getOrDefault(Long.toString(base + 1000), 0L)).as(byUid.toString()).isGreaterThanOrEqualTo(3);
      assertThat(byUid.getOrDefault(Long.toString(base + 1001), 0L)).as(byUid.toString()).isGreaterThanOrEqualTo(3);

      jvm.destroyForcibly();
      jvm.waitFor();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (Stream.concat(inside.stream(), monitors.stream()).anyMatch(Leftovers::processExists) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(inside).allSatisfy(p -> assertThat(Leftovers.processExists(p)).as("process " + p + " after the JVM died").isFalse());
      assertThat(monitors).allSatisfy(p -> assertThat(Leftovers.processExists(p)).as("monitor " + p).isFalse());
    } finally {
      jvm.destroyForcibly();
      killAll(inside);
    }
  }

  // ---- REL-04: the init ----

  /** REL-04: a hundred double-forked, short-lived processes leave no zombie behind. */
  @Test
  void theInitReapsAHundredOrphans() {
    // a zombie may live for the moment between its end and the init's wait: look again a while
    String states = "for f in /proc/[0-9]*/stat; do s=$(cat $f 2>/dev/null) && echo \"${s##*) }\" | cut -c1; done";
    String script = "i=0; while [ $i -lt 100 ]; do (sleep 0.01 &); i=$((i+1)); done; sleep 0.3;"
        + " t=0; while [ $t -lt 40 ]; do z=$(" + states + " | grep -c Z); [ $z -eq 0 ] && break; sleep 0.05; t=$((t+1)); done;"
        + " echo zombies $z; echo processes $(" + states + " | wc -l)";
    Run r = Run.of(SandboxProbe.sh(script));
    assertThat(r.stdout).as(r.toString()).startsWith("zombies 0\n");
    // the init, the shell, and the pipeline that counts: the hundred are gone
    assertThat(Integer.parseInt(r.stdout.split("\n")[1].substring("processes ".length()).trim())).isLessThanOrEqualTo(6);
  }

  /**
   * REL-04: the init passes each signal the caller sends on to the command; a command without a
   * handler ends with it, as {@code 128 + n}, attributed to the caller.
   */
  @Test
  void theInitPassesOnEachSignal() throws Exception {
    for (Signal sig : List.of(Signal.HUP, Signal.INT, Signal.USR1, Signal.USR2, Signal.ALRM, Signal.PIPE)) {
      try (Background c = Background.start(SandboxProbe.sh("echo ready; exec sleep 60"))) {
        c.await("ready");
        c.container().kill(sig);
        ExitStatus s = c.container().waitFor(Duration.ofSeconds(10)).orElseThrow();
        assertThat(s.reason()).as(sig.name()).isEqualTo(ExitReason.KILLED);
        assertThat(s.signal()).as(sig.name()).contains(sig);
        assertThat(s.exitCode()).as(sig.name()).isEqualTo(128 + Signals.number(sig));
      }
    }
  }

  // ---- REL-05: nothing leaks in the JVM ----

  /**
   * REL-05: 200 containers one after the other and 25 from 8 threads, a mix of normal exits,
   * kills, timeouts, failed starts and self-inflicted signals, each with its true status; then
   * the JVM has as many descriptors, threads and children as before, no zombie, and keeps no
   * container object alive.
   */
  @Test
  void twoHundredContainersLeakNothing() throws Exception {
    for (int i = 0; i < 5; i++) {
      runOne(i, null); // once of each kind: classes loaded, descriptors opened once per JVM
    }
    System.gc();
    HostState before = new HostState();
    List<String> fds = allDescriptors();
    int threads = ManagementFactory.getThreadMXBean().getThreadCount();
    List<WeakReference<Object>> refs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      runOne(i, refs);
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      int n = i;
      futures.add(pool.submit(() -> runOne(n, null)));
    }
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    before.assertNothingLeft(); // children, pipes, memfds, mounts, temporary directories
    // a leak is a descriptor that is new and stays: the JDK itself opens some for a moment (its
    // cgroup files), and one another thread closed since the first listing is none
    List<String> now = allDescriptors();
    for (int i = 0; i < 20 && !fds.containsAll(now); i++) {
      Thread.sleep(100);
      now = allDescriptors();
    }
    assertThat(now).as("every descriptor of the JVM").isSubsetOf(fds);
    assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).as("threads").isLessThanOrEqualTo(threads);
    assertThat(zombieChildren()).as("zombie children of the JVM").isEmpty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (refs.stream().anyMatch(r -> r.get() != null) && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(refs.stream().filter(r -> r.get() != null).count()).as("containers still reachable").isZero();
  }

  /** One container of kind {@code i % 5}, with its status checked. */
  private static void runOne(int i, List<WeakReference<Object>> refs) {
    ContainerSpec.Builder spec;
    switch (i % 5) {
      case 0:
        spec = SandboxProbe.sh("echo " + i + "; exit " + (i * 7 % 256));
        break;
      case 1:
      case 2:
        spec = SandboxProbe.sh("echo " + i + "; exec sleep 60");
        break;
      case 3:
        spec = SandboxProbe.sh("").command("no-such-program-" + i);
        break;
      default:
        spec = SandboxProbe.sh("echo " + i + "; kill -KILL $$");
    }
    spec.stderr(Stdio.discard());
    if (i % 5 == 3) {
      assertThatThrownBy(spec::start).isInstanceOf(ContainerStartException.class).hasMessageContaining("no-such-program-" + i);
      return;
    }
    Container c = spec.start();
    try {
      if (refs != null) {
        refs.add(new WeakReference<>(c));
        refs.add(new WeakReference<>(running(c)));
      }
      byte[] line = (i + "\n").getBytes(StandardCharsets.UTF_8);
      assertThat(c.stdout().readNBytes(line.length)).isEqualTo(line);
      ExitStatus s;
      switch (i % 5) {
        case 0:
          s = c.waitFor();
          assertThat(s.reason()).isEqualTo(ExitReason.EXITED);
          assertThat(s.exitCode()).isEqualTo(i * 7 % 256);
          break;
        case 1:
          c.kill(Signal.KILL);
          s = c.waitFor();
          assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
          assertThat(s.signal()).contains(Signal.KILL);
          break;
        case 2:
          assertThat(c.waitFor(Duration.ofMillis(5))).isEmpty(); // a timeout: the caller gives up and closes
          c.close();
          s = c.waitFor();
          assertThat(s.reason()).isEqualTo(ExitReason.KILLED);
          break;
        default:
          s = c.waitFor();
          assertThat(s.reason()).isEqualTo(ExitReason.SIGNALED);
          assertThat(s.signal()).contains(Signal.KILL);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      c.close();
    }
  }

  // ---- REL-06: nothing is left on the host ----

  /**
   * REL-06: after a crash of the command that leaves children, a container whose init the host
   * killed, and one whose launch server the host killed (REL-01's "native helper" case), every
   * process is gone and nothing is left in the JVM or on the host; the status says what
   * happened. A killed server is reaped, and the next container gets a new one.
   */
  @Test
  void nothingIsLeftAfterACrashOrAKilledInitOrServer() throws Exception {
    HostState before = new HostState();
    String script = "sleep 600 </dev/null >/dev/null 2>&1 & setsid sleep 600 </dev/null >/dev/null 2>&1 & echo ready; read x; ";
    for (String how : List.of("crash", "init", "server")) {
      List<Long> inside;
      ExitStatus s;
      long server;
      try (Background c = Background.start(SandboxProbe.sh(script + (how.equals("crash") ? "kill -SEGV $$" : "sleep 600")))) {
        c.await("ready");
        inside = SandboxProbe.processesInPidNamespaceOf(c.pid());
        assertThat(inside).as(how).hasSizeGreaterThanOrEqualTo(4);
        server = Long.parseLong(SandboxProbe.status(c.pid(), "PPid"));
        assertThat(SandboxProbe.status(server, "Name")).isEqualTo("isola-server");
        if (how.equals("crash")) {
          c.container().stdin().close();
        } else {
          LibC.kill((int) (how.equals("init") ? c.pid() : server), 9);
        }
        s = c.container().waitFor(Duration.ofSeconds(10)).orElseThrow();
      }
      // the server's death is the runtime's failure, not the container's: the verdict says so
      assertThat(s.reason()).as(how).isEqualTo(how.equals("server") ? ExitReason.RUNTIME_FAILURE : ExitReason.SIGNALED);
      assertThat(s.signal()).as(how).contains(how.equals("crash") ? Signal.SEGV : Signal.KILL);
      if (how.equals("server")) {
        assertThat(s.runtimeFailure()).hasValueSatisfying(m -> assertThat(m).contains("launch server (pid " + server + ")"));
      }
      // the init dies of its parent-death signal when the server dies, which nothing waits for
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while ((inside.stream().anyMatch(Leftovers::processExists) || how.equals("server") && Files.exists(Path.of("/proc/" + server)))
          && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(inside).allSatisfy(p -> assertThat(Leftovers.processExists(p)).as(how + ": process " + p).isFalse());
      assertThat(Leftovers.processExists(server)).as(how + ": the server").isEqualTo(!how.equals("server"));
      assertThat(Path.of("/proc/" + server)).as(how + ": the server, reaped").matches(p -> !how.equals("server") || !Files.exists(p));
    }
    assertThat(Run.of(SandboxProbe.sh("true")).status.isSuccess()).as("a container after the server was killed").isTrue();
    before.assertNothingLeft();
  }

  /**
   * REL-06 with {@code share(Namespace.PID)}: without a pid namespace of its own, nothing ends a
   * container's processes for the kernel, so Isola must: after a normal end and after close(),
   * no process the container started may remain (here: one that left the session, as a daemon
   * does).
   */
  @Test
  void withTheHostsPidNamespaceEveryProcessStillEnds() throws Exception {
    for (boolean close : List.of(false, true)) {
      List<Long> started = new ArrayList<>();
      try {
        try (Background c = Background.start(SandboxProbe.sh("setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!;"
            + " (sleep 600 </dev/null >/dev/null 2>&1 & echo $!); echo ready; read x").share(Namespace.PID))) {
          c.await("ready");
          List<String> out = close ? List.of() : c.finish();
          if (close) {
            c.container().close();
            out = c.finish();
          }
          out.stream().filter(l -> l.matches("\\d+")).forEach(l -> started.add(Long.parseLong(l)));
          assertThat(started).hasSize(2);
        }
        assertThat(started).allSatisfy(p -> assertThat(Leftovers.processExists(p))
            .as((close ? "after close(): " : "after the command ended: ") + "process " + p).isFalse());
      } finally {
        killAll(started);
      }
    }
  }

  // ---- REL-07: exit status attribution ----

  /**
   * REL-07: exit codes come back as they were, from the command behind the init: every bit on
   * its own, the edges of the byte, and the codes shells give meaning to (126, 127, 128 + n).
   * (A container per code costs some 20 ms; twoHundredContainersLeakNothing checks 40 more.)
   */
  @Test
  void exitCodesRoundTrip() throws Exception {
    for (int code : new int[] {0, 1, 2, 4, 8, 16, 32, 64, 128, 3, 127, 126, 129, 137, 139, 143, 191, 254, 255}) {
      try (Container c = SandboxProbe.sh("exit " + code).stdout(Stdio.discard()).stderr(Stdio.discard()).start()) {
        ExitStatus s = c.waitFor();
        assertThat(s.reason()).as("exit " + code).isEqualTo(ExitReason.EXITED);
        assertThat(s.exitCode()).as("exit " + code).isEqualTo(code);
        assertThat(s.signal()).isEmpty();
      }
    }
  }

  /**
   * REL-07: KILLED means the caller's signal ended the container. A signal the caller sent but
   * the command handled, followed by a death of the command's own making, is SIGNALED; and so
   * is a death by a signal that someone else on the host sent.
   */
  @Test
  void killedOnlyWhenTheCallersSignalEndedIt() throws Exception {
    // the shell waits in a loop (a trap runs between two sleeps) for a background cat to see stdin end
    try (Background c = Background.start(SandboxProbe.sh("trap 'echo got-usr1' USR1; exec 3<&0; (cat <&3 >/dev/null; touch /tmp/go) &"
        + " echo ready; while [ ! -e /tmp/go ]; do sleep 0.02; done; trap - TERM; kill -TERM $$"))) {
      c.await("ready");
      c.container().kill(Signal.USR1);
      c.await("got-usr1");
      c.container().stdin().close();
      ExitStatus s = c.container().waitFor(Duration.ofSeconds(10)).orElseThrow();
      assertThat(s.signal()).contains(Signal.TERM);
      assertThat(s.reason()).as("TERM of its own, after the caller's USR1").isEqualTo(ExitReason.SIGNALED);
    }
    ExitStatus self = Run.of(SandboxProbe.sh("kill -KILL $$")).status;
    assertThat(self.reason()).isEqualTo(ExitReason.SIGNALED);
    assertThat(self.signal()).contains(Signal.KILL);
  }

  // ---- REL-08: environment, working directory, umask, names ----

  /**
   * REL-08: the command's environment is exactly the configured one (PATH and what the spec
   * adds: nothing of the JVM's), also for the init; the working directory is the configured one,
   * "/" by default; HOME is not set unless the spec sets it.
   */
  @Test
  void environmentAndWorkingDirectoryAreExactlyAsConfigured() throws Exception {
    Run plain = Run.of(SandboxProbe.sh("").command("cat", "/proc/self/environ"));
    // PATH and a login's variables from the rootfs's passwd, nothing of the JVM's
    assertThat(plain.stdout).isEqualTo("PATH=" + ContainerSpec.DEFAULT_PATH + "\0HOME=/root\0USER=root\0LOGNAME=root\0");
    Run configured = Run.of(SandboxProbe.sh("").command("cat", "/proc/self/environ").clearEnv().env("HOME", "/root")
        .env("A", "1"));
    assertThat(configured.stdout.split("\0")).containsExactlyInAnyOrder("HOME=/root", "A=1");
    System.getenv().forEach((name, value) -> {
      if (!name.equals("PATH") && !ContainerSpec.LOGIN_ENV.contains(name)) {
        assertThat(plain.stdout).as("the JVM's variable " + name).doesNotContain(name + "=");
      }
    });
    try (Background c = Background.start(SandboxProbe.sh("echo ready; read x"))) {
      c.await("ready");
      assertThat(Files.readString(Path.of("/proc/" + c.pid() + "/environ"))).as("the init's environment").isEmpty();
      c.finish();
    }
    assertThat(Run.of(SandboxProbe.sh("").command("readlink", "/proc/self/cwd")).stdout).isEqualTo("/\n");
    assertThat(Run.of(SandboxProbe.sh("").command("readlink", "/proc/self/cwd").workingDirectory("/dev/shm")).stdout)
        .isEqualTo("/dev/shm\n");
  }

  /**
   * REL-08: the umask is 022, as in Docker and runc, whatever the JVM's; and so are the modes of
   * the directories Isola creates (a JVM with umask 077 must not make the default root's /etc
   * unreadable to the container's other users).
   */
  @Test
  void theUmaskIsNotTheJvms() {
    SandboxProbe.dir();
    TestRootfs.busybox(); // built before the JVM's umask changes
    int old = Umask.umask(077);
    Run probe;
    Run defaultRoot;
    try {
      probe = Run.of(SandboxProbe.sh("").command(P, "umask"));
      defaultRoot = Run.of(Container.builder().command("stat", "-c", "%a %n", "/etc", "/dev/pts", "/proc", "/tmp"));
    } finally {
      Umask.umask(old);
    }
    assertThat(probe.stdout).as(probe.toString()).isEqualTo("0022\n");
    assertThat(defaultRoot.stdout.split("\n")).as(defaultRoot.toString()).contains("755 /etc");
  }

  /**
   * REL-08: the host name is the configured one, and the NIS domain name is not the host's: a
   * JVM run in a UTS namespace whose domain name is set starts a container that must not see it.
   */
  @Test
  void theHostAndDomainNamesAreNotTheHosts() {
    List<String> command = new ArrayList<>(List.of("unshare", "--uts", "sh", "-c",
        "echo jvm-host > /proc/sys/kernel/hostname && echo jvm-domain.example > /proc/sys/kernel/domainname && exec \"$@\"", "sh"));
    command.addAll(ChildJvm.command(ChildJvm.classPath(), InheritedStdoutMain.class,
        TestRootfs.busybox().toString(), "sh", "-c", "echo $(hostname) $(cat /proc/sys/kernel/domainname)"));
    String out = ChildJvm.run(command);
    assertThat(out).as(out).contains("status ExitStatus{exited with code 0");
    assertThat(out.lines().findFirst().orElse("")).isEqualTo("isola (none)");
  }

  // ---- CONF-03 ----

  /**
   * CONF-03: nothing the launcher does after loading the seccomp filter needs a call the filter
   * may deny. An allow-list of only execve, write and exit_group, with every other call killing
   * the process, runs a program that needs exactly those, behind the init and as pid 1; and a
   * missing program under it is still a start failure, not an exit status of the command.
   */
  @Test
  void aStrictAllowListStillStartsAStaticProgram() {
    SeccompPolicy strict = SeccompPolicy.allowList().defaultAction(Action.killProcess())
        .allow("execve", "write", "exit_group").build();
    for (boolean init : List.of(true, false)) {
      Run r = Run.of(SandboxProbe.sh("").command(SandboxProbe.MINIMAL).seccomp(strict).init(init));
      assertThat(r.stdout).as(r.toString()).isEqualTo("minimal ok\n");
      assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
      assertThatThrownBy(() -> Run.of(SandboxProbe.sh("").command("/data/no-such-program").seccomp(strict).init(init)))
          .isInstanceOf(ContainerStartException.class).hasMessageContaining("execute /data/no-such-program");
    }
  }

  /**
   * CONF-03 and REL-07 ("[execve error]"): a missing program is a start failure, not an exit
   * status of the command, also under an allow-list without {@code write} (a static musl program
   * writes with {@code writev}), whether denied calls fail or kill. The launcher reports a failed
   * exec by writing to a pipe, after the filter is loaded.
   */
  @Test
  void aMissingProgramIsAStartFailureWhateverTheFilterDenies() {
    for (Action denied : List.of(Action.errno(1), Action.killProcess())) {
      SeccompPolicy noWrite = SeccompPolicy.allowList().defaultAction(denied).allow("execve", "writev", "exit_group").build();
      ExitStatus misreported = null;
      try {
        misreported = Run.of(SandboxProbe.sh("").command("/data/no-such-program").seccomp(noWrite)).status;
      } catch (ContainerStartException e) {
        assertThat(e).hasMessageContaining("execute /data/no-such-program");
      }
      assertThat(misreported).as("denied calls: " + denied + "; the missing program was reported as a command that"
          + " started and ended").isNull();
    }
  }

  // ---- helpers ----

  /** The umask of this JVM: process-wide, so tests set it only around a start and put it back. */
  static final class Umask {
    static {
      Native.register(Umask.class, NativeLibrary.getInstance("c"));
    }

    static native int umask(int mask);
  }

  /**
   * What {@link Leftovers} looks at, but with the temporary directory compared by what Isola
   * could leave there: test JVMs of other checkouts on the same host create and delete their own
   * fixture directories in it ({@code isola-test-*}, {@code isola-escape-*}) at any time.
   */
  static final class HostState {
    private final List<Long> children = Leftovers.children();
    private final List<String> descriptors = Leftovers.descriptors();
    private final List<String> mounts = mountinfo();
    private final List<String> tmp = tmpEntries();

    void assertNothingLeft() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!Leftovers.children().equals(children) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(Leftovers.children()).as("child processes of the JVM").isEqualTo(children);
      assertThat(Leftovers.descriptors()).as("pipes and memfds open in the JVM").isEqualTo(descriptors);
      assertThat(mountinfo()).as("mounts of the JVM's mount namespace").isEqualTo(mounts);
      List<String> added = tmpEntries();
      added.removeAll(tmp);
      assertThat(added).as("new entries of the temporary directory").allMatch(n -> n.matches("isola-(test|escape)-.*"));
    }

    private static List<String> mountinfo() {
      try {
        return Files.readAllLines(Path.of("/proc/self/mountinfo"));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    private static List<String> tmpEntries() {
      try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
        return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("isola")).collect(Collectors.toList());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private static Object running(Container c) {
    try {
      Field f = Container.class.getDeclaredField("running");
      f.setAccessible(true);
      return f.get(c);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> allDescriptors() throws IOException {
    List<String> result = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (!target.equals("/proc/" + ProcessHandle.current().pid() + "/fd")) { // the listing's own
            result.add(fd.getFileName() + " -> " + target);
          }
        } catch (IOException e) {
          // closed meanwhile: another thread's, not this listing's business
        }
      }
    }
    result.sort(null);
    return result;
  }

  private static List<Long> zombieChildren() {
    return Leftovers.children().stream().filter(p -> "Z".equals(String.valueOf(SandboxProbe.status(p, "State")).substring(0, 1)))
        .collect(Collectors.toList());
  }

  /** Cleans up after a failed test: only processes that this test started. */
  private static void killAll(List<Long> pids) {
    for (long p : pids) {
      if (Leftovers.processExists(p)) {
        LibC.kill((int) p, 9);
      }
    }
  }
}
