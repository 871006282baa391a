package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Capability;
import dev.isola.ContainerStartException;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
import dev.isola.SeccompPolicy;
import dev.isola.Signal;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The seccomp filter, seen from inside: {@code probe NR ARGS} (src/test/c/probe.c) makes one raw
 * system call and prints "ok N" or "errno N". Numbers are x86_64's.
 */
class SeccompTest {
  private static final int EPERM = 1;
  private static final int ENOSYS = 38;

  /** Runs each probe in one container; returns probe name → its output. */
  private static Map<String, String> probe(SeccompPolicy policy, Map<String, String> probes, Capability... caps) {
    StringBuilder script = new StringBuilder();
    probes.forEach((name, args) -> script.append("echo \"").append(name).append(" $(probe ").append(args).append(")\"; "));
    Run r = Run.of(Run.sh(script.toString()).seccomp(policy).capabilities(caps));
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    Map<String, String> results = new LinkedHashMap<>();
    r.stdout.lines().forEach(l -> results.put(l.substring(0, l.indexOf(' ')), l.substring(l.indexOf(' ') + 1)));
    return results;
  }

  @Test
  void theDefaultFilterIsLoaded() {
    Run r = Run.of("grep -E '^(Seccomp|NoNewPrivs|Cap(Inh|Prm|Eff|Bnd|Amb)):' /proc/self/status | tr -s '\\t' ' '");
    assertThat(r.stdout.split("\n")).contains("Seccomp: 2", "NoNewPrivs: 1", "CapInh: 0000000000000000",
        "CapPrm: 0000000000000000", "CapEff: 0000000000000000", "CapBnd: 0000000000000000", "CapAmb: 0000000000000000");
  }

  @Test
  void theDefaultPolicyDeniesWhatDockerDenies() {
    Map<String, String> probes = new LinkedHashMap<>();
    probes.put("unshare-user", "272 0x10000000");
    probes.put("mount", "165 0 0 0 0 0");
    probes.put("umount2", "166 0 0");
    probes.put("pivot_root", "155 0 0");
    probes.put("keyctl", "250 0");
    probes.put("add_key", "248 0 0 0 0 0");
    probes.put("bpf", "321 0 0 0");
    probes.put("perf_event_open", "298 0 0 0 0 0");
    probes.put("open_by_handle_at", "304 0 0 0");
    probes.put("userfaultfd", "323 0");
    probes.put("io_uring_setup", "425 1 0");
    probes.put("init_module", "175 0 0 0");
    probes.put("kexec_load", "246 0 0 0 0");
    probes.put("reboot", "169 0 0 0 0");
    probes.put("setns", "308 0 0");
    probes.put("clone-newns", "56 0x20000 0 0 0 0");
    probes.put("socket-af_alg", "41 38 5 0");
    probes.put("socket-af_vsock", "41 40 1 0");
    probes.put("socket-af_alg-high-bits", "41 0x100000026 5 0");
    probes.put("ioctl-tiocsti", "16 0 0x5412 0");
    probes.put("ioctl-tiocsti-high-bits", "16 0 0x1000005412 0");
    probes.put("ioctl-tioclinux", "16 0 0x541c 0");
    probes.put("personality-bsd", "135 6");
    probes.put("personality-read-implies-exec", "135 0x0400000");
    Map<String, String> results = probe(SeccompPolicy.defaultPolicy(), probes);
    assertThat(results).hasSize(probes.size()).allSatisfy((name, result) -> assertThat(result).as(name).isEqualTo("errno " + EPERM));
  }

  @Test
  void newAndUnknownCallsAnswerEnosysSoThatLibrariesFallBack() {
    Map<String, String> probes = new LinkedHashMap<>();
    probes.put("clone3", "435 0 0");
    probes.put("beyond-the-table", "1000");
    probes.put("not-yet-assigned", "600");
    probes.put("far-beyond", "5000");
    probes.put("in-the-gap-of-x86_64", "400");
    assertThat(probe(SeccompPolicy.defaultPolicy(), probes)).allSatisfy((n, r) -> assertThat(r).as(n).isEqualTo("errno " + ENOSYS));
  }

  @Test
  void ordinaryProgramsKeepWorking() {
    Map<String, String> probes = new LinkedHashMap<>();
    probes.put("socket-inet", "41 2 1 0");
    probes.put("socket-unix", "41 1 1 0");
    probes.put("personality-query", "135 0xffffffff");
    probes.put("getpid", "39");
    probes.put("ptrace-traceme", "101 0");
    assertThat(probe(SeccompPolicy.defaultPolicy(), probes)).allSatisfy((n, r) -> assertThat(r).as(n).startsWith("ok "));
    Run r = Run.of("for i in 1 2 3; do echo $i; done | sort -r | head -n 1; (sleep 0.01 &); wait; tar cf /tmp/t.tar /etc 2>/dev/null && echo tar-ok");
    assertThat(r.stdout).isEqualTo("3\ntar-ok\n");
  }

  @Test
  void otherAbisAreClosed() throws Exception {
    // x32 (nr | 0x40000000) would bypass a filter written for x86_64 numbers only: the filter kills
    Run x32 = Run.of(Run.sh("exec probe x32 39").init(false));
    assertThat(x32.stdout).isEmpty();
    assertThat(x32.status.signal()).contains(Signal.SYS);

    // the i386 ABI (int 0x80): killed by the filter; where the host kernel has no i386 ABI at all
    // (ia32_emulation off), the probe dies of SIGSEGV on the host too, and must not get further inside
    Process onHost = new ProcessBuilder(TestRootfs.busybox().resolve("bin/probe").toString(), "int80", "20").start();
    boolean hostHasI386 = onHost.waitFor() == 0;
    Run i386 = Run.of(Run.sh("exec probe int80 20").init(false));
    assertThat(i386.stdout).isEmpty();
    assertThat(i386.status.signal()).contains(hostHasI386 ? Signal.SYS : Signal.SEGV);
  }

  @Test
  void keptCapabilitiesOpenTheirCalls() {
    Map<String, String> probes = new LinkedHashMap<>();
    probes.put("chroot", "161 0");
    Map<String, String> without = probe(SeccompPolicy.defaultPolicy(), probes);
    assertThat(without.get("chroot")).isEqualTo("errno " + EPERM);
    Map<String, String> with = probe(SeccompPolicy.defaultPolicy(), probes, Capability.SYS_CHROOT);
    assertThat(with.get("chroot")).isEqualTo("errno 14"); // EFAULT: the filter let it through, the kernel read address 0
  }

  @Test
  void anAllowListOfYourOwn() {
    SeccompPolicy policy = SeccompPolicy.extendDefault().deny(Action.errno(13), "getpid")
        .rule(Rule.of("socket", Action.errno(97), Condition.maskedEquals(0, 0xffffffffL, 2))).build();
    Map<String, String> probes = new LinkedHashMap<>();
    probes.put("getpid", "39");
    probes.put("socket-inet", "41 2 1 0");
    probes.put("socket-unix", "41 1 1 0");
    probes.put("mount", "165 0 0 0 0 0");
    Map<String, String> r = probe(policy, probes);
    assertThat(r).containsEntry("getpid", "errno 13").containsEntry("socket-inet", "errno 97")
        .containsEntry("mount", "errno 1");
    assertThat(r.get("socket-unix")).startsWith("ok ");
  }

  @Test
  void aDenyListAndUnconfined() {
    Map<String, String> probes = new LinkedHashMap<>();
    probes.put("getppid", "110");
    probes.put("keyctl", "250 0");
    probes.put("getpid", "39");
    Map<String, String> deny = probe(SeccompPolicy.denyList().deny(Action.errno(EPERM), "getppid").build(), probes);
    assertThat(deny.get("getppid")).isEqualTo("errno 1");
    assertThat(deny.get("keyctl")).isNotEqualTo("errno 1");
    assertThat(deny.get("getpid")).startsWith("ok ");
    Run r = Run.of(Run.sh("grep Seccomp: /proc/self/status").seccomp(SeccompPolicy.unconfined()));
    assertThat(r.stdout).contains("0");
  }

  @Test
  void killProcessIsASigsys() {
    Run r = Run.of(Run.sh("exec probe 39").init(false)
        .seccomp(SeccompPolicy.denyList().deny(Action.killProcess(), "getpid").build()));
    assertThat(r.status.signal()).contains(Signal.SYS);
  }

  @Test
  void anUnknownSystemCallNameIsRefusedBeforeAnythingStarts() {
    Leftovers before = Leftovers.snapshot();
    assertThatThrownBy(() -> Run.sh("true").seccomp(SeccompPolicy.denyList().deny("no_such_call").build()).start())
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("unknown system call \"no_such_call\"");
    before.assertNoneSince();
  }
}
