package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Capability;
import dev.isola.SeccompPolicy;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The filters merged into one program answer every call as the kernel answers the separate
 * filters: checked by running both, here, on system calls of every number and some arguments.
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

  /**
   * A classic BPF interpreter for what libseccomp and SeccompCompiler emit. {@code data} is
   * struct seccomp_data as 32-bit words: nr, arch, ip (two), args (two words each).
   */
  private static int run(long[] program, long[] data) {
    int[] words = new int[16];
    words[0] = (int) data[0];
    words[1] = (int) data[1];
    for (int a = 0; a < 6; a++) {
      long v = data[3 + a];
      words[4 + 2 * a] = (int) v; // little-endian: low word first
      words[5 + 2 * a] = (int) (v >>> 32);
    }
    int acc = 0;
    int x = 0;
    int[] mem = new int[16];
    List<Integer> trace = new ArrayList<>();
    for (int pc = 0; pc < program.length; pc++) {
      long insn = program[pc];
      int code = (int) (insn & 0xffff);
      int jt = (int) ((insn >>> 16) & 0xff);
      int jf = (int) ((insn >>> 24) & 0xff);
      int k = (int) (insn >>> 32);
      trace.add(pc);
      switch (code) {
        case 0x20: acc = words[k / 4]; break; // LD W ABS
        case 0x00: acc = k; break; // LD IMM
        case 0x60: acc = mem[k]; break; // LD MEM
        case 0x02: mem[k] = acc; break; // ST
        case 0x61: x = mem[k]; break; // LDX MEM
        case 0x07: x = acc; break; // TAX
        case 0x87: acc = x; break; // TXA
        case 0x54: acc &= k; break; // AND K
        case 0x05: pc += k; break; // JA
        case 0x15: pc += acc == k ? jt : jf; break; // JEQ K
        case 0x25: pc += Integer.compareUnsigned(acc, k) > 0 ? jt : jf; break; // JGT K
        case 0x35: pc += Integer.compareUnsigned(acc, k) >= 0 ? jt : jf; break; // JGE K
        case 0x45: pc += (acc & k) != 0 ? jt : jf; break; // JSET K
        case 0x06: return k; // RET K
        default: throw new AssertionError("BPF code 0x" + Integer.toHexString(code) + " at " + pc + ", not interpreted here");
      }
    }
    throw new AssertionError("ran off the end of the program: " + trace);
  }
}
