package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Capability;
import dev.isola.linux.internal.plan.PlanCompiler;
import dev.isola.linux.testing.BreakoutProbe;
import dev.isola.linux.testing.HostState;
import dev.isola.linux.testing.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Catalog group C, procfs / sysfs / cgroupfs exposure, attacked from inside a container with the
 * default spec: masked and read-only parts of {@code /proc} (FS-10, FS-11), a fresh procfs, sysfs or
 * cgroupfs to get around them (FS-12, FS-13), and kernel information (FS-14). Isola mounts no
 * {@code /sys} and no cgroupfs in a container, so the sysfs masks and the in-container cgroup
 * cases have nothing to attack but their absence.
 */
class EscapeProcfsTest {
  private static final String ESCAPE = BreakoutProbe.PATH;
  private static final Set<String> WRITE_DENIED = Set.of("errno EROFS", "errno EACCES", "errno EPERM");
  private static final long MS_BIND = 4096;
  private static final long MS_REMOUNT = 32;
  private static final long MS_MOVE = 8192;

  /**
   * FS-10: each masked path that this kernel has reads empty (a file is the null device, a
   * directory an empty read-only tmpfs), takes no new file, and cannot be unmounted, moved,
   * remounted or cloned away.
   */
  @Test
  void maskedPathsAreEmptyAndCannotBeUnmasked() throws IOException {
    List<String> present = new ArrayList<>();
    for (String p : PlanCompiler.MASKED) {
      if (Files.exists(Path.of(p))) {
        present.add(p);
      }
    }
    // the masks are not vacuous here: at least one masked file has something to hide on this host
    assertThat(present).contains("/proc/interrupts");
    assertThat(Files.readString(Path.of("/proc/interrupts"))).isNotEmpty();

    StringBuilder script = new StringBuilder("mkdir /tmp/moved; ");
    for (String p : present) {
      if (Files.isDirectory(Path.of(p))) {
        script.append("echo \"" + p + " entries $(ls -A " + p + " | wc -l)\"; " + ESCAPE + " create " + p + "/new; ");
      } else {
        script.append("echo \"" + p + " bytes $(wc -c < " + p + ") device $(stat -c %t:%T " + p + ")\"; ")
            .append(ESCAPE + " write " + p + " x; echo \"" + p + " after $(wc -c < " + p + ")\"; ");
      }
      for (String attempt : new String[] {"umount " + p + " 0", "umount " + p + " 2", "mount " + p + " /tmp/moved - " + MS_MOVE,
          "mount - " + p + " - " + (MS_REMOUNT | MS_BIND), "open_tree " + p}) {
        script.append("echo -n '" + p + " '; " + ESCAPE + " " + attempt + "; ");
      }
      script.append("umount " + p + " 2>/dev/null; echo \"" + p + " busybox-umount $?\"; ");
    }
    Run r = BreakoutProbe.run(script.toString());
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    List<String> out = r.stdout.lines().toList();
    for (String p : present) {
      if (Files.isDirectory(Path.of(p))) {
        assertThat(out).as(r.toString()).contains(p + " entries 0");
        assertThat(out).anyMatch(l -> l.matches("create " + p + "/new errno (EROFS|EACCES)"));
      } else {
        // a write goes to the null device: accepted or refused, the file stays empty
        assertThat(out).as(r.toString()).contains(p + " bytes 0 device 1:3", p + " after 0");
      }
      for (String attempt : new String[] {"umount", "mount", "open_tree"}) {
        assertThat(out.stream().filter(l -> l.startsWith(p + " " + attempt + " ")))
            .as(p + " " + attempt).isNotEmpty().allMatch(l -> l.endsWith(" errno EPERM"));
      }
      assertThat(out).contains(p + " busybox-umount 1");
    }
    // the sysfs masks of the catalog (firmware, powercap, thermal_throttle): there is no /sys at all
    Run sys = BreakoutProbe.run("ls /sys 2>/dev/null; echo rc=$?; grep -c ' sysfs ' /proc/self/mountinfo");
    assertThat(sys.stdout).isEqualTo("rc=1\n0\n");
  }

  /**
   * FS-11: writes to the knobs that run code as host root or take the host down fail; the
   * read-only paths are mounted read-only; the host's values are unchanged.
   */
  @Test
  void procKnobsCannotBeWritten() throws IOException {
    List<String> knobs = List.of("/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/proc/sys/kernel/modprobe",
        "/proc/sys/vm/drop_caches", "/proc/sys/fs/binfmt_misc/register", "/proc/sys/kernel/ns_last_pid",
        "/proc/sys/vm/overcommit_memory", "/proc/sys/net/ipv4/ip_forward", "/sys/kernel/uevent_helper");
    HostState host = HostState.snapshot();
    StringBuilder script = new StringBuilder();
    for (String k : knobs) {
      script.append(ESCAPE).append(" write ").append(k).append(" 1; ");
    }
    script.append("grep -E ' /proc/(sys|sysrq-trigger|irq|bus|fs) ' /proc/self/mountinfo | cut -d' ' -f5,6");
    Run r = BreakoutProbe.run(script.toString());
    Map<String, String> results = BreakoutProbe.results(r.stdout);
    for (String k : knobs) {
      String result = results.get("write " + k);
      if (Files.exists(Path.of(k)) && k.startsWith("/proc/")) {
        assertThat(result).as(k + "\n" + r).isIn(WRITE_DENIED);
      } else {
        // absent on this kernel, or under /sys, which containers do not have
        assertThat(result).as(k + "\n" + r).isIn(Set.of("errno ENOENT", "errno EROFS", "errno EACCES", "errno EPERM"));
      }
    }
    List<String> mounts = r.stdout.lines().filter(l -> l.startsWith("/proc/")).toList();
    for (String ro : PlanCompiler.READ_ONLY) {
      if (Files.exists(Path.of(ro))) {
        assertThat(mounts).as(r.toString()).anyMatch(l -> l.startsWith(ro + " ") && l.matches("\\S+ ro,.*"));
      }
    }
    // the read-only mount is what holds where the container's root may write the file: a container
    // keeping CAP_NET_ADMIN owns its network namespace's sysctls, and still gets EROFS
    Run admin = BreakoutProbe.run(BreakoutProbe.sh(ESCAPE + " write /proc/sys/net/ipv4/ip_forward 1").capabilities(Capability.NET_ADMIN));
    assertThat(admin.stdout).as(admin.toString()).isEqualTo("write /proc/sys/net/ipv4/ip_forward errno EROFS\n");
    host.assertUnchanged();
  }

  /**
   * FS-12: no new user or mount namespace to mount a procfs or sysfs without the masks in, and no
   * such mount in the container's own namespaces, by either mount API.
   */
  @Test
  void noFreshProcOrSysfsCanBeMounted() {
    HostState host = HostState.snapshot();
    Run r = BreakoutProbe.run("mkdir /tmp/p /tmp/s; "
        + "echo \"unshare-Urmpf $(unshare -Urmpf sh -c 'mount -t proc proc /tmp/p && echo h > /tmp/p/sysrq-trigger && echo MOUNTED' 2>/dev/null; echo $?)\"; "
        + "echo \"unshare-user $(probe 272 0x10000000)\"; echo \"unshare-mount $(probe 272 0x20000)\"; "
        + "echo \"clone-user $(probe 56 0x10000011 0 0 0 0)\"; echo \"clone3 $(probe 435 0 0)\"; "
        + "for t in proc sysfs; do echo -n \"$t \"; " + ESCAPE + " mount $t /tmp/p $t 0; echo -n \"$t \"; " + ESCAPE + " fsopen $t; done; "
        + "awk '/ - (proc|sysfs) / {print \"mounted\", $9, $4, $5}' /proc/self/mountinfo");
    List<String> out = r.stdout.lines().toList();
    assertThat(out).as(r.toString()).contains("unshare-Urmpf 1", "unshare-user errno 1", "unshare-mount errno 1",
        "clone-user errno 1", "proc mount errno EPERM", "proc fsopen errno EPERM", "sysfs mount errno EPERM",
        "sysfs fsopen errno EPERM");
    // clone3 cannot carry namespace flags past the filter: it answers ENOSYS, and libc falls back to clone
    assertThat(out).contains("clone3 errno 38");
    // one procfs, the container's own /proc, and binds of its read-only parts; no sysfs
    List<String> mounted = out.stream().filter(l -> l.startsWith("mounted ")).toList();
    assertThat(mounted).as(r.toString()).contains("mounted proc / /proc")
        .allMatch(l -> l.equals("mounted proc / /proc") || l.matches("mounted proc (/\\w+(-\\w+)?) /proc\\1"));
    host.assertUnchanged();
  }

  /**
   * FS-13 (CVE-2022-0492 and cgroupfs writes): no cgroupfs in the container, none can be mounted
   * (v1 with a release_agent, or v2), no new user or cgroup namespace to try it in, and the
   * container's view of its cgroups is rooted at its cgroup namespace.
   */
  @Test
  void noCgroupFilesystemCanBeReachedOrMounted() throws IOException {
    HostState host = HostState.snapshot();
    Run r = BreakoutProbe.run("mkdir /tmp/c; ls /sys/fs/cgroup 2>/dev/null; echo \"ls $?\"; "
        + "echo \"mounted $(grep -c cgroup /proc/self/mountinfo)\"; "
        + "echo \"unshare-UrmC $(unshare -UrmC true 2>/dev/null; echo $?)\"; "
        + "echo \"unshare-cgroup $(probe 272 0x02000000)\"; "
        + "echo -n 'v1 '; " + ESCAPE + " mount cgroup /tmp/c cgroup 0 rdma; "
        + "echo -n 'v1-memory '; " + ESCAPE + " mount cgroup /tmp/c cgroup 0 memory; "
        + "echo -n 'v2 '; " + ESCAPE + " mount cgroup2 /tmp/c cgroup2 0; "
        + "echo -n 'v1 '; " + ESCAPE + " fsopen cgroup; echo -n 'v2 '; " + ESCAPE + " fsopen cgroup2; "
        + "cat /proc/self/cgroup");
    List<String> out = r.stdout.lines().toList();
    assertThat(out).as(r.toString()).contains("ls 1", "mounted 0", "unshare-UrmC 1", "unshare-cgroup errno 1",
        "v1 mount errno EPERM", "v1-memory mount errno EPERM", "v2 mount errno EPERM", "v1 fsopen errno EPERM",
        "v2 fsopen errno EPERM");
    // every hierarchy, as the host lists them, is "/" inside: the host's paths do not show
    List<String> hostCgroups = Files.readAllLines(Path.of("/proc/self/cgroup"));
    List<String> inside = out.stream().filter(l -> l.matches("\\d+:[^:]*:.*")).toList();
    assertThat(inside).hasSameSizeAs(hostCgroups).allMatch(l -> l.endsWith(":/"), "rooted at the namespace");
    host.assertUnchanged();
  }

  /**
   * FS-14: kernel addresses read as zeros, the kernel log and the kernel's private files are
   * closed, the timer and scheduler dumps are masked, and only the container's processes exist.
   */
  @Test
  void theKernelsInformationStaysHidden() {
    long jvm = ProcessHandle.current().pid();
    Run r = BreakoutProbe.run("echo \"kallsyms $(wc -l < /proc/kallsyms) lines,"
        + " $(cut -d' ' -f1 /proc/kallsyms | grep -vc '^0*$') with an address\"; "
        + "dmesg >/dev/null 2>&1; echo \"dmesg $?\"; echo \"syslog $(probe 103 10 0 0)\"; "
        + ESCAPE + " read /proc/kmsg /proc/self/stack /proc/1/stack /proc/vmallocinfo /proc/kpageflags /proc/slabinfo"
        + " /proc/timer_list /proc/sched_debug /proc/" + jvm + "/status; "
        + "echo \"modules $(if [ -e /proc/modules ]; then awk '$6 !~ /^0x0+$/' /proc/modules | wc -l; else echo absent; fi)\"; "
        + "for p in /proc/[0-9]*; do echo \"pid ${p#/proc/} $(cat $p/comm)\"; done");
    List<String> out = r.stdout.lines().toList();
    Map<String, String> reads = BreakoutProbe.results(r.stdout);
    assertThat(out).as(r.toString()).anyMatch(l -> l.matches("kallsyms \\d{4,} lines, 0 with an address"));
    assertThat(out).contains("dmesg 1", "syslog errno 1");
    for (String secret : new String[] {"/proc/kmsg", "/proc/self/stack", "/proc/1/stack", "/proc/vmallocinfo", "/proc/kpageflags", "/proc/slabinfo"}) {
      assertThat(reads.get("read " + secret)).as(secret + "\n" + r).isIn("errno EACCES", "errno EPERM", "errno ENOENT");
    }
    for (String masked : new String[] {"/proc/timer_list", "/proc/sched_debug"}) {
      assertThat(reads.get("read " + masked)).as(masked + "\n" + r).isIn("ok 0", "errno ENOENT");
    }
    // modules, where the kernel has them, show no addresses either
    assertThat(out).as(r.toString()).containsAnyOf("modules 0", "modules absent");
    assertThat(reads.get("read /proc/" + jvm + "/status")).as("the JVM, pid " + jvm).isEqualTo("errno ENOENT");
    // the container's init and its shell, nothing of the host
    assertThat(out.stream().filter(l -> l.startsWith("pid "))).as(r.toString()).containsExactly("pid 1 isola-init", "pid 2 sh");
  }
}
