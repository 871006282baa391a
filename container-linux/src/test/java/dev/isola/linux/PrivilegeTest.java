package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Capability;
import dev.isola.linux.testing.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Capabilities, no_new_privs, and the masked and read-only parts of /proc. */
class PrivilegeTest {
  @Test
  void keptCapabilitiesAreInAllFiveSetsAndNothingElse() {
    Run r = Run.of(Run.sh("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status | tr -s '\\t' ' '")
        .capabilities(Capability.NET_BIND_SERVICE, Capability.KILL));
    long expected = (1L << 10) | (1L << 5);
    String hex = String.format("%016x", expected);
    assertThat(r.stdout.split("\n")).containsExactly(
        "CapInh: " + hex, "CapPrm: " + hex, "CapEff: " + hex, "CapBnd: " + hex, "CapAmb: " + hex);
  }

  @Test
  void dockersDefaultSetLetsRootChownAndChrootInsideButNothingMore() {
    String script = "touch /tmp/f && chown 1:1 /tmp/f && stat -c %u:%g /tmp/f; chroot / true && echo chroot;"
        + " hostname other 2>/dev/null || echo no-hostname; grep CapEff /proc/self/status | tr -s '\\t' ' '";
    Run r = Run.of(Run.sh(script).capabilities(Capability.dockerDefaults()));
    long expected = 0;
    for (Capability c : Capability.dockerDefaults()) {
      expected |= 1L << c.ordinal(); // the enum is in the kernel's order
    }
    assertThat(r.stdout).as(r.stderr).startsWith("1:1\nchroot\nno-hostname\n")
        .endsWith("CapEff: " + String.format("%016x", expected) + "\n");
    assertThat(Capability.dockerDefaults()).hasSize(14).doesNotContain(Capability.SYS_ADMIN, Capability.NET_ADMIN);
  }

  @Test
  void withoutCapabilitiesRootInsideCannotDoRootThings() {
    Run r = Run.of("chown 1 /tmp 2>&1; echo rc=$?; hostname other 2>&1; echo rc=$?; mknod /tmp/n c 1 3 2>&1; echo rc=$?");
    assertThat(r.stdout).doesNotContain("rc=0");
  }

  @Test
  void maskedPathsAreEmptyAndCannotBeUnmasked() {
    List<String> masked = Arrays.asList("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
        "/proc/latency_stats", "/proc/interrupts", "/proc/acpi", "/proc/scsi", "/proc/asound", "/proc/timer_stats");
    StringBuilder script = new StringBuilder();
    for (String p : masked) {
      script.append("if [ -d ").append(p).append(" ]; then echo \"").append(p).append(" dir $(ls -A ").append(p).append(" | wc -l)\";")
          .append(" elif [ -e ").append(p).append(" ]; then echo \"").append(p).append(" file $(wc -c < ").append(p).append(")\"; fi; ");
    }
    script.append("umount /proc/keys 2>&1; echo umount=$?");
    Run r = Run.of(script.toString());
    assertThat(r.stdout).contains("umount=1");
    r.stdout.lines().filter(l -> l.startsWith("/proc/")).forEach(l -> assertThat(l).as(l).endsWith(" 0"));
    // the kernel of this host has at least some of them: the masks are not vacuous
    assertThat(r.stdout.lines().filter(l -> l.startsWith("/proc/")).count()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void nestedUserNamespacesAreCappedAtZeroUnderTheDefaultPolicy() {
    assertThat(Run.of("cat /proc/sys/user/max_user_namespaces").stdout).isEqualTo("0\n");
    // a caller who opens the filter decides for itself
    Run open = Run.of(Run.sh("cat /proc/sys/user/max_user_namespaces; unshare -U true && echo nested")
        .seccomp(dev.isola.SeccompPolicy.unconfined()).capabilities(Capability.SYS_ADMIN));
    assertThat(open.stdout).doesNotStartWith("0\n").contains("nested");
  }

  @Test
  void maskedFilesAreReadOnlyEmptyFiles() {
    Run r = Run.of("grep -E ' /proc/(keys|timer_list|sched_debug|interrupts|latency_stats|timer_stats|kcore) ' /proc/self/mounts | cut -d' ' -f2,4");
    assertThat(r.stdout.lines()).isNotEmpty().allSatisfy(l -> assertThat(l).contains(" ro,").contains("nosuid").contains("noexec"));
    // a write still reaches /dev/null (a read-only mount does not stop writes to a device): harmless
    assertThat(Run.of("echo secret > /proc/keys; wc -c < /proc/keys").stdout).isEqualTo("0\n");
  }

  @Test
  void procKnobsAreReadOnly() {
    Run r = Run.of("echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; echo rc=$?; echo b > /proc/sysrq-trigger 2>&1; echo rc=$?;"
        + " grep -E ' /proc/(sys|sysrq-trigger|bus|fs|irq) ' /proc/self/mounts | cut -d' ' -f2,4");
    assertThat(r.stdout).doesNotContain("rc=0");
    // each of Docker's read-only paths that this host's /proc has is a read-only mount
    for (String knob : new String[] {"sys", "sysrq-trigger", "bus", "fs", "irq"}) {
      if (Files.exists(Path.of("/proc", knob))) {
        assertThat(r.stdout).as(r.stdout).containsPattern("(?m)^/proc/" + knob + " ro,");
      }
    }
  }

  @Test
  void noNewPrivsStopsSetuidPrograms() {
    Run r = Run.of("grep NoNewPrivs /proc/self/status");
    assertThat(r.stdout).contains("1");
  }

  @Test
  void theSysFilesystemIsAbsent() {
    Run r = Run.of("ls /sys 2>&1; grep -c sysfs /proc/self/mounts");
    assertThat(r.stdout).contains("No such file or directory").endsWith("0\n");
  }
}
