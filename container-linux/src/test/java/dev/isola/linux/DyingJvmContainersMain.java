package dev.isola.linux;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Overlay;
import dev.isola.Stdio;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a child JVM that the test then kills (REL-01, REL-03): starts containers whose processes
 * changed their uid, left the session or were orphaned, one of them in the host's pid namespace,
 * one with an ephemeral overlay root it wrote to, all printing to this JVM's stdout, prints
 * "pid N" for each container and "started", and waits to be killed. Arguments: the busybox rootfs
 * and the directory of the escape probes.
 */
public final class DyingJvmContainersMain {
  private DyingJvmContainersMain() {}

  public static void main(String[] args) throws Exception {
    Path rootfs = Path.of(args[0]);
    Path probes = Path.of(args[1]);
    String daemons = "setsid sh -c 'trap \"\" TERM HUP INT; sleep 600' </dev/null >/dev/null 2>&1 &"
        + " (sleep 600 </dev/null >/dev/null 2>&1 &); echo uid $(id -u); exec sleep 600";
    List<ContainerSpec.Builder> specs = List.of(
        base(rootfs, probes).command("sleep", "600"),
        // a uid change clears the parent-death signal: user code may do it whenever it can
        base(rootfs, probes).capabilities(Capability.SETUID, Capability.SETGID)
            .command("/data/xprobe", "as-uid", "1000", "1000", "/bin/sh", "-c", daemons),
        base(rootfs, probes).capabilities(Capability.SETUID, Capability.SETGID).init(false)
            .command("/data/xprobe", "as-uid", "1001", "1001", "/bin/sh", "-c", daemons),
        // without a pid namespace, the kernel ends nothing along with the init: $! are host pids
        base(rootfs, probes).share(Namespace.PID).command("sh", "-c",
            "setsid sh -c 'trap \"\" TERM HUP INT; sleep 600' </dev/null >/dev/null 2>&1 & echo shared-pid $!;"
            + " (sleep 600 </dev/null >/dev/null 2>&1 & echo shared-pid $!); exec sleep 600"),
        // an ephemeral root that has written to its upper layer: its tmpfs must go with it
        base(rootfs, probes).overlay(Overlay.ephemeral(List.of(rootfs)))
            .command("sh", "-c", "dd if=/dev/zero of=/filled bs=1M count=8 2>/dev/null; exec sleep 600"));
    for (ContainerSpec.Builder spec : specs) {
      Container c = spec.start();
      System.out.println("pid " + c.pid());
    }
    System.out.println("started");
    System.out.flush();
    Thread.sleep(600_000);
  }

  private static ContainerSpec.Builder base(Path rootfs, Path probes) {
    return Container.builder().rootfs(rootfs).mount(Mount.bind(probes, "/data")).stdout(Stdio.inherit());
  }
}
