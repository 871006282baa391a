package dev.isola.linux.internal.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A seccomp program rewritten as a bisection over call numbers. The kernel's cost to take a
 * filter grows with its length (here 0.17 ms for any filter, and about 0.4 us more an
 * instruction, at every container's start), and libseccomp spends an instruction or more on
 * every call it names: the default profile is 436 instructions. Most of the answers depend on
 * the number alone, and neighbouring numbers share them: 68 runs of equal answers cover the
 * first 1024 numbers on x86-64. So the program becomes a bisection over those runs, each ending
 * in its answer; the few calls whose answer depends on their arguments, every number above the
 * runs, and every other architecture go on to a program that libseccomp compiled from just their
 * rules. About half as long, and every call takes fewer comparisons.
 */
public final class SeccompBisection {
  private static final int BPF_LD_W_ABS = 0x20;
  private static final int BPF_LD_IMM = 0x00;
  private static final int BPF_LD_MEM = 0x60;
  private static final int BPF_ST = 0x02;
  private static final int BPF_LDX_MEM = 0x61;
  private static final int BPF_TAX = 0x07;
  private static final int BPF_TXA = 0x87;
  private static final int BPF_AND_K = 0x54;
  private static final int BPF_JA = 0x05;
  private static final int BPF_JEQ = 0x15;
  private static final int BPF_JGT = 0x25;
  private static final int BPF_JGE = 0x35;
  private static final int BPF_JSET = 0x45;
  private static final int BPF_RET = 0x06;
  /** struct seccomp_data: nr at 0, arch at 4, then the instruction pointer and the arguments. */
  private static final int NR = 0;
  private static final int ARCH = 4;
  /** A bisection's first jump spans the first half of the tree: 2 * 128 - 1 instructions at most. */
  private static final int MAX_RUNS = 256;

  private SeccompBisection() {}

  /** The numbers below {@code limit} whose answer, on {@code arch}, depends on more than the number. */
  static Set<Integer> argumentDependent(long[] program, int arch, int limit) {
    Set<Integer> numbers = new TreeSet<>();
    for (int nr = 0; nr < limit; nr++) {
      if (answer(program, arch, nr, null) == null) {
        numbers.add(nr);
      }
    }
    return numbers;
  }

  /**
   * {@code program} as a bisection over the numbers below {@code limit} on {@code arch}, handing
   * the rest to {@code rest}, which must answer as {@code program} does wherever it is asked:
   * the numbers {@link #argumentDependent} found, those from {@code limit} on, other architectures.
   * Empty where the runs are too many for the jumps of classic BPF (8 bits) to span.
   */
  static Optional<long[]> bisection(long[] program, long[] rest, int arch, int limit) {
    List<int[]> runs = new ArrayList<>(); // {first number, answer, depends on the arguments (1) or not}
    for (int nr = 0; nr < limit; nr++) {
      Integer a = answer(program, arch, nr, null);
      int[] run = {nr, a == null ? 0 : a, a == null ? 1 : 0};
      int[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
      if (last == null || last[1] != run[1] || last[2] != run[2]) {
        runs.add(run);
      }
    }
    if (runs.size() > MAX_RUNS) {
      return Optional.empty();
    }
    List<long[]> code = new ArrayList<>(); // {instruction, 1 if its k is to become the jump to rest}
    code.add(new long[] {insn(BPF_LD_W_ABS, 0, 0, ARCH), 0});
    code.add(new long[] {insn(BPF_JEQ, 1, 0, arch), 0});
    code.add(new long[] {0, 1});
    code.add(new long[] {insn(BPF_LD_W_ABS, 0, 0, NR), 0});
    code.add(new long[] {insn(BPF_JGE, 0, 1, limit), 0});
    code.add(new long[] {0, 1});
    bisect(runs, 0, runs.size(), code);
    long[] out = new long[code.size() + rest.length];
    for (int pc = 0; pc < code.size(); pc++) {
      long[] c = code.get(pc);
      out[pc] = c[1] == 1 ? insn(BPF_JA, 0, 0, code.size() - pc - 1) : c[0];
    }
    System.arraycopy(rest, 0, out, code.size(), rest.length);
    return Optional.of(out);
  }

  private static void bisect(List<int[]> runs, int from, int to, List<long[]> code) {
    if (to - from == 1) {
      int[] run = runs.get(from);
      code.add(run[2] == 1 ? new long[] {0, 1} : new long[] {insn(BPF_RET, 0, 0, run[1]), 0});
      return;
    }
    int mid = (from + to) >>> 1;
    int at = code.size();
    code.add(null);
    bisect(runs, from, mid, code);
    int right = code.size();
    bisect(runs, mid, to, code);
    code.set(at, new long[] {insn(BPF_JGE, right - at - 1, 0, runs.get(mid)[0]), 0});
  }

  /**
   * What {@code program} answers for a call with {@code args} (six, or null: then null where the
   * answer would read an argument or the instruction pointer).
   */
  static Integer answer(long[] program, int arch, int nr, long[] args) {
    int acc = 0;
    int x = 0;
    int[] mem = new int[16];
    for (int pc = 0; pc < program.length; pc++) {
      long insn = program[pc];
      int code = (int) (insn & 0xffff);
      int jt = (int) ((insn >>> 16) & 0xff);
      int jf = (int) ((insn >>> 24) & 0xff);
      int k = (int) (insn >>> 32);
      switch (code) {
        case BPF_LD_W_ABS:
          if (k == NR) {
            acc = nr;
          } else if (k == ARCH) {
            acc = arch;
          } else if (args == null || k < 16) {
            return null;
          } else {
            long arg = args[(k - 16) / 8];
            acc = (int) ((k & 4) == 0 ? arg : arg >>> 32); // little-endian: the low word first
          }
          break;
        case BPF_LD_IMM: acc = k; break;
        case BPF_LD_MEM: acc = mem[k]; break;
        case BPF_ST: mem[k] = acc; break;
        case BPF_LDX_MEM: x = mem[k]; break;
        case BPF_TAX: x = acc; break;
        case BPF_TXA: acc = x; break;
        case BPF_AND_K: acc &= k; break;
        case BPF_JA: pc += k; break;
        case BPF_JEQ: pc += acc == k ? jt : jf; break;
        case BPF_JGT: pc += Integer.compareUnsigned(acc, k) > 0 ? jt : jf; break;
        case BPF_JGE: pc += Integer.compareUnsigned(acc, k) >= 0 ? jt : jf; break;
        case BPF_JSET: pc += (acc & k) != 0 ? jt : jf; break;
        case BPF_RET: return k;
        default: throw new IllegalArgumentException("BPF code 0x" + Integer.toHexString(code) + " at " + pc);
      }
    }
    throw new IllegalArgumentException("the program runs off its end");
  }

  private static long insn(int code, int jt, int jf, int k) {
    if (jt > 255 || jf > 255) {
      throw new IllegalStateException("BPF jump too far: " + jt + ", " + jf);
    }
    return (code & 0xffffL) | ((long) jt << 16) | ((long) jf << 24) | ((k & 0xffffffffL) << 32);
  }
}
