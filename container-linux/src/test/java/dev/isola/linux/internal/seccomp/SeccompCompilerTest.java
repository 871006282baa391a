package dev.isola.linux.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Capability;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
import dev.isola.SeccompPolicy;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The filters merged into one program, and that program as a bisection, answer every call as the
 * kernel answers the separate filters: checked by running them, here, on system calls of every
 * number and some arguments, with SeccompBisection's interpreter. The kernel's own answers to
 * the loaded program, inside containers, are EscapeSyscallTest's and SeccompTest's.
 */
class SeccompCompilerTest {
  private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
  private static final int AUDIT_ARCH_I386 = 0x40000003;
  private static final long[] ARGS = {0, 1, 2, 38, 0x10, 0x7e020000L, 0x10000000L, 0xffffffffL, 0xffffffffffffffffL};

  @Test
  void theDefaultPolicyIsOneProgramThatAnswersAsItsThreeFilters() {
    List<long[]> separate = SeccompCompiler.programs(SeccompPolicy.defaultPolicy(), Set.of());
    assertThat(separate).hasSize(3);
    assertSameAnswers(separate, SeccompCompiler.merged(separate));
  }

  @Test
  void refinementsOfYourOwnAndKeptCapabilitiesToo() {
    SeccompPolicy policy = SeccompPolicy.extendDefault().deny(Action.errno(13), "getpid")
        .rule(Rule.of("socket", Action.errno(97), Condition.maskedEquals(0, 0xffffffffL, 2)))
        .rule(Rule.of("personality", Action.killProcess(), Condition.maskedEquals(0, 0xff, 1))).build();
    List<long[]> separate = SeccompCompiler.programs(policy, Set.of(Capability.SYS_ADMIN, Capability.NET_ADMIN));
    assertThat(separate).hasSizeGreaterThanOrEqualTo(2);
    assertSameAnswers(separate, SeccompCompiler.merged(separate));
  }

  @Test
  void theDefaultPolicyLoadsAsABisectionThatAnswersAsItsThreeFilters() {
    List<long[]> separate = SeccompCompiler.programs(SeccompPolicy.defaultPolicy(), Set.of());
    List<long[]> loaded = SeccompCompiler.compile(SeccompPolicy.defaultPolicy(), Set.of());
    assertSameAnswers(separate, loaded);
    long merged = SeccompCompiler.merged(separate).get(0).length;
    assertThat(loaded.get(0).length).as("instructions, against %d merged", merged).isLessThan((int) (merged * 2 / 3));
  }

  @Test
  void aPolicyOfYourOwnLoadsAsABisectionToo() {
    SeccompPolicy policy = SeccompPolicy.extendDefault().deny(Action.errno(13), "getpid")
        .rule(Rule.of("socket", Action.errno(97), Condition.maskedEquals(0, 0xffffffffL, 2)))
        .rule(Rule.of("personality", Action.killProcess(), Condition.maskedEquals(0, 0xff, 1)))
        .rule(Rule.of("kill", Action.errno(1), Condition.greater(1, 15))).build();
    Set<Capability> kept = Set.of(Capability.SYS_ADMIN, Capability.NET_ADMIN);
    List<long[]> loaded = SeccompCompiler.compile(policy, kept);
    assertSameAnswers(SeccompCompiler.programs(policy, kept), loaded);
    assertThat(loaded.get(0).length).isLessThan(SeccompCompiler.merged(SeccompCompiler.programs(policy, kept)).get(0).length);
  }

  /** The check before a bisection is used catches one whose rest answers otherwise. */
  @Test
  void aBisectionThatAnswersOtherwiseIsCaught() {
    long[] merged = SeccompCompiler.merged(SeccompCompiler.programs(SeccompPolicy.defaultPolicy(), Set.of())).get(0);
    int arch = Libseccomp.seccomp_arch_native();
    long[] allowAll = {0x7fff0000L << 32 | 0x06}; // RET ALLOW
    long[] wrong = SeccompBisection.bisection(merged, allowAll, arch, 1024).orElseThrow();
    assertThat(SeccompCompiler.sameAnswers(merged, wrong, arch)).as("rest allows clone with namespace flags, and i386").isFalse();
    assertThat(SeccompCompiler.sameAnswers(merged, SeccompCompiler.compile(SeccompPolicy.defaultPolicy(), Set.of()).get(0), arch)).isTrue();
  }

  /** Every other call allowed: more runs than a bisection's jumps can span, so the merged program stays. */
  @Test
  void tooManyRunsKeepTheMergedProgram() {
    SeccompPolicy.Builder everyOther = SeccompPolicy.allowList();
    int arch = Libseccomp.seccomp_arch_native();
    for (int nr = 0; nr < 440; nr += 2) {
      com.sun.jna.Pointer name = Libseccomp.seccomp_syscall_resolve_num_arch(arch, nr);
      if (name != null) {
        everyOther.allow(name.getString(0));
        com.sun.jna.Native.free(com.sun.jna.Pointer.nativeValue(name));
      }
    }
    SeccompPolicy policy = everyOther.allow("execve").build();
    List<long[]> loaded = SeccompCompiler.compile(policy, Set.of());
    assertThat(loaded.get(0)).isEqualTo(SeccompCompiler.merged(SeccompCompiler.programs(policy, Set.of())).get(0));
    assertSameAnswers(SeccompCompiler.programs(policy, Set.of()), loaded);
  }

  @Test
  void programsTooLongToMergeStaySeparate() {
    List<long[]> separate = List.of(new long[3000], new long[2000]);
    assertThat(SeccompCompiler.merged(separate)).hasSize(2);
  }

  private static void assertSameAnswers(List<long[]> separate, List<long[]> merged) {
    assertThat(merged).hasSize(1);
    int checked = 0;
    for (int arch : new int[] {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386}) {
      for (long nr = 0; nr < 1100; nr++) {
        checked += compare(separate, merged.get(0), arch, nr);
      }
      for (long nr = 0x40000000L; nr < 0x40000000L + 600; nr += 7) {
        checked += compare(separate, merged.get(0), arch, nr);
      }
    }
    assertThat(checked).isGreaterThan(10_000);
  }

  private static int compare(List<long[]> separate, long[] merged, int arch, long nr) {
    int n = 0;
    for (long arg0 : ARGS) {
      for (long arg1 : new long[] {0, 0x80000L, 0xffffffffL}) {
        long[] data = {nr, arch, 0, arg0, arg1, 2, 0, 0, 0};
        assertThat(Integer.toHexString(run(merged, data)))
            .as("nr %d arch %x args %x %x", nr, arch, arg0, arg1).isEqualTo(Integer.toHexString(kernel(separate, data)));
        n++;
      }
    }
    return n;
  }

  /** As the kernel's seccomp_run_filters: newest first; a strictly stricter action replaces. */
  private static int kernel(List<long[]> loadedInOrder, long[] data) {
    int ret = 0x7fff0000; // allow
    for (int i = loadedInOrder.size() - 1; i >= 0; i--) {
      int cur = run(loadedInOrder.get(i), data);
      if ((cur & 0xffff0000) < (ret & 0xffff0000)) { // signed, as ACTION_ONLY: KILL_PROCESS is the least
        ret = cur;
      }
    }
    return ret;
  }

  /** {@code data}: nr, arch, instruction pointer, the six arguments. */
  private static int run(long[] program, long[] data) {
    return SeccompBisection.answer(program, (int) data[1], (int) data[0], java.util.Arrays.copyOfRange(data, 3, 9));
  }
}
