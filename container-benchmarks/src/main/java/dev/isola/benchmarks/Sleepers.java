package dev.isola.benchmarks;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * The cost of a running container: starts K Isola containers running {@code sleep 600}, reads the
 * memory of what Isola keeps for each (the init inside; outside, the growth of the one launch
 * server they share, or a monitor of its own where a container has one), the JVM's threads and
 * descriptors, and times starting and closing them all.
 */
final class Sleepers {
  private Sleepers() {}

  static void run(Path rootfs, int k) {
    ContainerSpec spec = Container.builder().rootfs(rootfs).command("sleep", "600").build();
    // the first container of a JVM starts what every later one shares (supervisor thread, JNA's
    // cleaner, the launch server)
    long server;
    try (Container first = Container.start(spec)) {
      server = Proc.ppid(first.pid());
      first.kill(dev.isola.Signal.KILL);
    } catch (RuntimeException e) {
      System.out.println("  !! cannot start an Isola container here: " + e.getMessage());
      return;
    }
    System.gc();
    long[][] serverMemory = new long[2][2];
    memory(server, serverMemory, 0);
    Snapshot before = Snapshot.take();
    List<Container> running = new ArrayList<>(k);
    String startFailure = null;
    long t0 = System.nanoTime();
    try {
      for (int i = 0; i < k; i++) {
        try {
          running.add(Container.start(spec));
        } catch (RuntimeException e) {
          startFailure = "start " + (i + 1) + " of " + k + " failed: " + e.getMessage();
          break;
        }
      }
      long startAll = System.nanoTime() - t0;
      Snapshot during = Snapshot.take();

      int n = running.size();
      memory(server, serverMemory, 1);
      long[][] monitor = new long[2][n];
      long[][] init = new long[2][n];
      long[][] command = new long[2][n];
      String serverName = Proc.comm(server);
      String initName = "?";
      String commandName = "?";
      int measured = 0;
      int ownMonitors = 0;
      for (Container c : running) {
        long initPid = c.pid();
        long monitorPid = Proc.ppid(initPid);
        List<Long> kids = Proc.children(initPid);
        if (monitorPid <= 0 || kids.isEmpty()) {
          continue;
        }
        long commandPid = kids.get(0);
        initName = Proc.comm(initPid);
        commandName = Proc.comm(commandPid);
        if (monitorPid != server) {
          memory(monitorPid, monitor, measured); // a monitor of its own, not the shared server
          ownMonitors++;
        }
        memory(initPid, init, measured);
        memory(commandPid, command, measured);
        measured++;
      }

      long t1 = System.nanoTime();
      for (Container c : running) {
        c.close();
      }
      long closeAll = System.nanoTime() - t1;
      Snapshot afterClose = Snapshot.take();
      long stillAlive = running.stream().filter(Container::isAlive).count();
      running.clear();

      System.out.printf("  %d containers `sleep 600` (default spec: rootfs, all namespaces, init, piped stdio), started after one"
          + " container that was started and closed, so that what all share already exists%n", n);
      if (startFailure != null) {
        System.out.println("  !! " + startFailure);
      }
      if (n == 0) {
        return;
      }
      System.out.printf("  %-44s %9.2f s  (%.1f ms per container)%n", "start all, one after another", startAll / 1e9, startAll / 1e6 / n);
      System.out.printf("  %-44s %9.2f s  (%.1f ms per container)%s%n", "close all, one after another", closeAll / 1e9, closeAll / 1e6 / n,
          stillAlive == 0 ? "" : "  !! " + stillAlive + " still alive after close()");
      System.out.printf("  %-44s %s (c.pid(), pid 1 inside) + %s (the command); outside, %s%n", "processes per container",
          initName, commandName, ownMonitors == 0 ? "none: the one launch server (" + serverName + ", pid " + server + ") watches all"
              : ownMonitors + " with a monitor of their own");
      System.out.printf("  %-44s RSS %d -> %d KiB, Pss %d -> %d KiB with %d running  (%+.1f KiB RSS, %+.1f KiB Pss per container)%n",
          "the launch server, shared", serverMemory[0][0], serverMemory[0][1], serverMemory[1][0], serverMemory[1][1], n,
          (serverMemory[0][1] - serverMemory[0][0]) / (double) n, (serverMemory[1][1] - serverMemory[1][0]) / (double) n);
      System.out.printf("  memory per container, of %d measured (KiB)    %9s %9s %9s %9s%n", measured, "RSS med", "RSS mean", "Pss med", "Pss mean");
      if (ownMonitors > 0) {
        row("  Isola: monitors of their own", monitor, ownMonitors);
      }
      row("  Isola: init (" + initName + ")", init, measured);
      // Pss splits each shared page among its sharers (the inits are copies of the server), so the
      // sum over all of Isola's processes, less the server's own before, is what they added
      long pss = serverMemory[1][1] - serverMemory[1][0];
      for (int i = 0; i < measured; i++) {
        pss += monitor[1][i] + init[1][i];
      }
      System.out.printf("  %-44s %9s %9s %9s %9.0f%n", "  Isola's own, all its processes' Pss / " + measured, "", "", "",
          pss / (double) Math.max(1, measured));
      row("  the user's command (" + commandName + "), not Isola's", command, measured);
      System.out.printf("  %-44s %d before, %d with %d running, %d after closing  (%+.3f per container)%n",
          "JVM threads (Java, ThreadMXBean)", before.javaThreads, during.javaThreads, n, afterClose.javaThreads,
          (during.javaThreads - before.javaThreads) / (double) n);
      List<String> newThreads = new ArrayList<>(during.threadNames);
      newThreads.removeAll(before.threadNames);
      if (!newThreads.isEmpty()) {
        System.out.printf("  %-44s %s%n", "  new Java threads", String.join(", ", newThreads));
      }
      System.out.printf("  %-44s %d before, %d with %d running  (%+.3f per container)%n",
          "JVM threads (kernel, /proc/self/status)", before.osThreads, during.osThreads, n,
          (during.osThreads - before.osThreads) / (double) n);
      System.out.printf("  %-44s %d before, %d with %d running  (%+.1f per container)%n",
          "JVM open descriptors", before.fds, during.fds, n, (during.fds - before.fds) / (double) n);
      System.out.printf("  %-44s %+.0f KiB per container  (%.0f MiB before, %.0f with %d running, %.0f after closing;"
          + " whole host, so other work on it blurs this)%n", "host MemAvailable drop",
          (before.memAvailable - during.memAvailable) / (double) n, before.memAvailable / 1024.0, during.memAvailable / 1024.0, n,
          afterClose.memAvailable / 1024.0);
      System.out.printf("  %-44s %+.0f KiB per container  (namespaces, mounts, pipes, task structs…; whole host too)%n",
          "kernel slab growth (Slab in meminfo)", (during.slab - before.slab) / (double) n);
    } finally {
      for (Container c : running) {
        c.close();
      }
    }
  }

  /** RSS from /proc/pid/status, Pss from /proc/pid/smaps_rollup, in KiB. */
  private static void memory(long pid, long[][] into, int i) {
    into[0][i] = Proc.kib("/proc/" + pid + "/status", "VmRSS").orElse(0);
    OptionalLong pss = Proc.kib("/proc/" + pid + "/smaps_rollup", "Pss");
    into[1][i] = pss.orElse(0);
  }

  private static void row(String label, long[][] v, int n) {
    if (n == 0) {
      return;
    }
    System.out.printf("  %-44s %9d %9.0f %9d %9.0f%n", label, median(v[0], n), mean(v[0], n), median(v[1], n), mean(v[1], n));
  }

  private static long median(long[] v, int n) {
    long[] s = Arrays.copyOf(v, n);
    Arrays.sort(s);
    return s[n / 2];
  }

  private static double mean(long[] v, int n) {
    return Arrays.stream(v, 0, n).average().orElse(0);
  }

  /** The JVM and host values compared before and while the containers run. */
  private static final class Snapshot {
    int javaThreads;
    List<String> threadNames = new ArrayList<>();
    long osThreads;
    int fds;
    long memAvailable;
    long slab;

    static Snapshot take() {
      Snapshot s = new Snapshot();
      s.javaThreads = ManagementFactory.getThreadMXBean().getThreadCount();
      Thread.getAllStackTraces().keySet().forEach(t -> s.threadNames.add(t.getName()));
      s.osThreads = Proc.osThreads();
      s.fds = Proc.openFds();
      s.memAvailable = Proc.kib("/proc/meminfo", "MemAvailable").orElse(0);
      s.slab = Proc.kib("/proc/meminfo", "Slab").orElse(0);
      return s;
    }
  }
}
