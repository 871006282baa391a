package dev.isola.linux;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ExecProcess;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.FilesystemRules;
import dev.isola.IdMapping;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Overlay;
import dev.isola.Signal;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Run by {@link RootlessTest} in a child JVM as an ordinary user: each scenario prints one line
 * "name: result" for the test to check.
 */
public final class RootlessMain {
  private RootlessMain() {}


  /** A server in a container with a user-mode network, asked through its published port. */
  private static String served() throws Exception {
    try (Container c = Container.builder().command("sh", "-c", "mkdir /tmp/www && echo served > /tmp/www/index.html"
        + " && echo ready && exec busybox httpd -f -p 8080 -h /tmp/www").network(dev.isola.Network.userMode().publish(8080)).start()) {
      new java.io.BufferedReader(new java.io.InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine();
      java.net.InetSocketAddress address = c.publishedAddress(8080);
      for (int attempt = 0; ; attempt++) {
        try (java.net.Socket s = new java.net.Socket()) {
          s.connect(address, 2000);
          s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          if (!answer.isEmpty() || attempt > 50) {
            return answer.contains("served") ? "served" : "answer " + answer;
          }
        } catch (java.io.IOException e) {
          if (attempt > 50) {
            throw e;
          }
        }
        Thread.sleep(100);
      }
    }
  }

  private static List<String> only = List.of();

  public static void main(String[] args) throws Exception {
    Path rootfs = Path.of(args[0]);
    Path shared = Path.of(args[1]);
    only = Arrays.asList(args).subList(2, args.length);
    String hostUserNs = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
    String hostNetNs = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    report("whoami", () -> "uid " + LibC.geteuid());
    report("ids", () -> run(sh(rootfs, "id -u; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' ' | tr '\\n' ';'")));
    report("namespaces", () -> {
      String out = run(sh(rootfs, "readlink /proc/self/ns/user; readlink /proc/self/ns/net"));
      String[] l = out.split("\n");
      return (l[0].equals(hostUserNs) ? "user-shared" : "user-new") + " " + (l[1].equals(hostNetNs) ? "net-shared" : "net-new");
    });
    report("pid-hostname-net", () -> run(sh(rootfs, "echo $$ $(hostname) $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')")));
    report("readonly-root", () -> run(sh(rootfs, "touch /etc/x 2>/dev/null && echo writable || echo read-only; echo t > /tmp/t && cat /tmp/t")));
    report("bind", () -> run(sh(rootfs, "cat /data/shared.txt; touch /data/new 2>/dev/null && echo wrote || echo refused")
        .mount(Mount.bind(shared, "/data"))));
    report("default-root", () -> run(Container.builder().command("sh", "-c", "test -d /usr/bin && echo usr-ok; id -u")));
    report("shared-net", () -> run(sh(rootfs, "readlink /proc/self/ns/net").share(Namespace.NETWORK)).equals(hostNetNs)
        ? "net-shared" : "net-new");
    report("writable-root", () -> {
      Path own = Files.createTempDirectory("isola-test-root").resolve("root");
      RootLayers.copyTree(rootfs, own, new long[] {LibC.geteuid(), LibC.getegid()});
      String out = run(sh(own, "echo x > /etc/written && echo wrote").readOnlyRootfs(false));
      return out + " " + (Files.exists(own.resolve("etc/written")) ? "on-host" : "missing");
    });
    report("explicit-own-ids", () -> run(sh(rootfs, "id -u; cat /proc/self/uid_map | tr -s ' '").idMapping(IdMapping.of(
        List.of(IdMapping.Range.of(0, LibC.geteuid(), 1)), List.of(IdMapping.Range.of(0, LibC.getegid(), 1))))));
    report("peak-memory", () -> {
      // dd fills a 40 MiB buffer: without a cgroup the peak comes from the exit's resource usage
      try (Container c = sh(rootfs, "dd if=/dev/zero of=/dev/null bs=40M count=1 2>/dev/null").start()) {
        ExitStatus s = c.waitFor();
        long peak = s.peakMemoryBytes();
        return (peak >= (40L << 20) && peak < (200L << 20) ? "about 40 MiB" : "peak " + peak) + ", " + s.accounting();
      }
    });
    report("exit-and-kill", () -> {
      try (Container c = Container.builder().rootfs(rootfs).command("sleep", "60").start()) {
        c.kill(Signal.TERM);
        return c.waitFor(Duration.ofSeconds(10)).map(s -> s.reason() + " " + s.signal().orElse(null)).orElse("still running");
      }
    });
    report("exec", () -> {
      try (Container c = sh(rootfs, "readlink /proc/self/ns/user; exec sleep 60").hostname("rl").start()) {
        String userNs = new java.io.BufferedReader(new java.io.InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine();
        try (ExecProcess p = c.exec("sh", "-c", "hostname; id -u; grep NoNewPrivs /proc/self/status | tr -d '\\t'; readlink /proc/self/ns/user")) {
          String[] out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8).trim().split("\n");
          ExitStatus s = p.waitFor();
          return out[0] + " " + out[1] + " " + out[2] + " " + (out[3].equals(userNs) ? "same-userns" : "other-userns " + out[3])
              + " exit " + s.exitCode();
        }
      }
    });
    report("network", RootlessMain::served);
    report("network-slirp4netns", () -> {
      System.setProperty(dev.isola.linux.internal.net.UserModeHelper.PROPERTY, "slirp4netns");
      try {
        return served();
      } finally {
        System.clearProperty(dev.isola.linux.internal.net.UserModeHelper.PROPERTY);
      }
    });
    report("stdio-eacces", () -> {
      try (Container c = sh(rootfs, "true").stdout(dev.isola.Stdio.file(Path.of("/root/isola-denied"))).start()) {
        return "started";
      } catch (dev.isola.ContainerStartException e) {
        return e.step() + ": " + (e.getMessage().contains("EACCES") && e.getMessage().contains("may not write it") ? "EACCES named" : e.getMessage());
      }
    });
    report("time", () -> {
      double host = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
      double inside = Double.parseDouble(run(sh(rootfs, "cut -d' ' -f1 /proc/uptime").timeOffsets(Duration.ZERO, Duration.ofDays(2))));
      double ahead = inside - host;
      return ahead > 2 * 86400 - 5 && ahead < 2 * 86400 + 5 ? "two days ahead" : "ahead by " + ahead + " s";
    });
    report("tty", () -> {
      try (Container c = sh(rootfs, "tty; stty size").tty(90, 30).start()) {
        String out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", " ").trim();
        return out + " exit " + c.waitFor().exitCode();
      }
    });
    report("launcher", () -> {
      try (Container c = Container.builder().rootfs(rootfs).command("sleep", "60").start()) {
        long monitor = ProcessHandle.of(c.pid()).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
        String comm = Files.readString(Path.of("/proc/" + monitor + "/comm")).trim();
        try {
          return comm + " exe " + Files.readSymbolicLink(Path.of("/proc/" + monitor + "/exe"));
        } catch (java.nio.file.AccessDeniedException e) {
          return comm + " not dumpable";
        }
      }
    });
    report("host-root", () -> run(sh(rootfs, "true").idMapping(IdMapping.hostRoot())));
    report("shared-user", () -> run(sh(rootfs, "true").share(Namespace.USER)));
    report("memory-limit", () -> run(sh(rootfs, "true").limits(Limits.builder().memory(64 << 20).build())));
    report("memory-best-effort", () -> run(sh(rootfs, "echo started")
        .limits(Limits.builder().memory(64 << 20).bestEffort(Limits.Kind.MEMORY).build())));
    report("wall-limit", () -> {
      try (Container c = sh(rootfs, "sleep 30").limits(Limits.builder().wallTime(Duration.ofMillis(200)).build()).start()) {
        return c.waitFor().reason().toString();
      }
    });
    report("pause", () -> {
      try (Container c = sh(rootfs, "sleep 30").start()) {
        c.pause();
        return "paused";
      }
    });
    report("overlay", () -> {
      Path dir = Files.createTempDirectory("isola-test-overlay");
      Path lower = dir.resolve("lower");
      RootLayers.copyTree(rootfs, lower, new long[] {LibC.geteuid(), LibC.getegid()});
      Path copied = dir.resolve("copied");
      String out;
      try (Container c = Container.builder().overlay(Overlay.ephemeral(List.of(lower)))
          .copy(FileCopy.of("in\n".getBytes(StandardCharsets.UTF_8), "/etc/in", 0644))
          .command("sh", "-c", "rm /bin/ls && echo written > /etc/w && cat /etc/in").start()) {
        out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8).trim();
        c.waitFor();
        c.copyOut("/etc/w", copied);
      }
      String left;
      try (Stream<Path> entries = Files.list(Path.of("/dev/shm/isola-" + LibC.geteuid()))) {
        left = "left=" + entries.count();
      }
      return out + " " + Files.readString(copied).trim() + " " + (Files.exists(lower.resolve("bin/ls")) ? "lower-intact" : "lower-changed")
          + " " + left;
    });
    report("copy-in", () -> {
      try (Container c = sh(rootfs, "while [ ! -f /tmp/go ]; do sleep 0.05; done; cat /tmp/go").start()) {
        c.copyIn(FileCopy.of("go\n".getBytes(StandardCharsets.UTF_8), "/tmp/go", 0644));
        String out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8).trim();
        c.waitFor();
        return out;
      }
    });
    report("filesystem-rules", () -> {
      try (Container c = sh(rootfs, "cat /etc/marker; touch /tmp/x 2>&1")
          .filesystemRules(FilesystemRules.builder().execute("/bin").readOnly("/etc", "/tmp").build()).start()) {
        return "level " + c.filesystemRulesLevel() + " " + new String(c.stdout().readAllBytes()).trim();
      }
    });
    report("subordinate-overlay", () -> {
      // ids beyond the caller's write into an ephemeral layer the caller could not delete on the
      // host: it is a tmpfs inside the container
      Path lower = Files.createTempDirectory("isola-test-overlay").resolve("lower");
      RootLayers.copyTree(rootfs, lower, new long[] {LibC.geteuid(), LibC.getegid()});
      Files.createDirectory(lower.resolve("scratch"));
      Files.setAttribute(lower.resolve("scratch"), "unix:mode", 01777);
      String out;
      try (Container c = Container.builder().overlay(Overlay.ephemeral(List.of(lower))).idMapping(IdMapping.subordinate())
          .user(1000, 1000).command("sh", "-c", "id -u; echo x > /scratch/mine && stat -c %u /scratch/mine").start()) {
        out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8).trim().replace('\n', ' ');
        c.waitFor();
        try {
          c.copyOut("/scratch/mine", lower.resolveSibling("out"));
          out += " copied";
        } catch (ContainerException e) {
          out += " copyOut refused";
        }
      }
      return out + " " + (Files.exists(lower.resolve("scratch/mine")) ? "lower-changed" : "lower-intact");
    });
    report("subordinate", () -> run(sh(rootfs, "cat /proc/self/uid_map | tr -s ' ' | tr '\\n' ';'").idMapping(IdMapping.subordinate())));
  }

  private static ContainerSpec.Builder sh(Path rootfs, String script) {
    return Container.builder().rootfs(rootfs).command("sh", "-c", script);
  }

  private static String run(ContainerSpec.Builder b) {
    try (Container c = b.start()) {
      String out = new String(c.stdout().readAllBytes()).trim();
      c.waitFor();
      return out;
    } catch (Exception e) {
      throw e instanceof RuntimeException ? (RuntimeException) e : new RuntimeException(e);
    }
  }

  /** A scenario that may throw. */
  private interface Scenario {
    String run() throws Exception;
  }

  private static void report(String name, Scenario scenario) {
    if (!only.isEmpty() && !only.contains(name)) {
      return;
    }
    String result;
    try {
      result = scenario.run();
    } catch (ContainerException e) {
      result = e.getClass().getSimpleName() + ": " + e.getMessage();
    } catch (Exception e) {
      result = "FAILED " + e;
    }
    System.out.println(name + ": " + result.replace('\n', ' '));
  }
}
