package dev.isola.linux.internal.seccomp;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.isola.Capability;
import dev.isola.ContainerStartException;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
import dev.isola.SeccompPolicy;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.LibC;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;

/**
 * Compiles a {@link SeccompPolicy} to a BPF program with libseccomp, once per policy and set of
 * kept capabilities. The filter admits only the native ABI (others kill the process); a call
 * denied with an errno answers that errno when libseccomp knows the call, and {@code ENOSYS} when
 * it does not, so that C libraries fall back from calls newer than the profile (SYS-14). What is
 * loaded is the shortest program that answers every call alike: libseccomp's filters merged
 * into one, then rewritten as a {@link SeccompBisection}.
 */
public final class SeccompCompiler {
  /** Above every system call number libseccomp knows on the architectures Isola runs on. */
  private static final int MAX_SYSCALL = 1024;

  private static final Map<Key, List<long[]>> CACHE = new ConcurrentHashMap<>();

  private SeccompCompiler() {}

  /**
   * The programs to load, in order, each one {@code struct sock_filter} per long; none for an
   * unconfined policy.
   *
   * <p>Built as two filters where the policy needs them: libseccomp ignores a call's conditional
   * rules when the call also has an unconditional one, so "allow {@code socket}, but deny {@code
   * AF_ALG}" becomes an unconditional allow in the first filter and the conditional denial in a
   * second one that allows everything else (the kernel runs both and keeps the stricter answer);
   * a third answers ENOSYS. They are then merged into one program where they fit ({@link #merged}).
   */
  public static List<long[]> compile(SeccompPolicy policy, Set<Capability> capabilities) {
    if (policy.base() == SeccompPolicy.Base.UNCONFINED) {
      return List.of();
    }
    return CACHE.computeIfAbsent(new Key(policy, capabilities), k -> shortest(policy, capabilities));
  }

  /**
   * The {@link #merged} program, or its {@link SeccompBisection} where that is shorter and answers
   * as it does: checked here on every number up to past {@link #MAX_SYSCALL}, numbers beyond, this
   * and another architecture, and arguments that hit the usual conditions' edges.
   */
  private static List<long[]> shortest(SeccompPolicy policy, Set<Capability> capabilities) {
    List<long[]> merged = merged(programs(policy, capabilities));
    if (merged.size() != 1) {
      return merged;
    }
    long[] program = merged.get(0);
    int arch = Libseccomp.seccomp_arch_native();
    Set<Integer> dependent = SeccompBisection.argumentDependent(program, arch, MAX_SYSCALL);
    List<long[]> rest = merged(programs(policy, capabilities, dependent::contains));
    if (rest.size() != 1) {
      return merged;
    }
    return SeccompBisection.bisection(program, rest.get(0), arch, MAX_SYSCALL)
        .filter(b -> b.length < program.length && sameAnswers(program, b, arch)).map(List::of).orElse(merged);
  }

  private static final long[][] ARGUMENTS = {new long[6], {1, 1, 1, 1, 1, 1}, {2, 0x7e020000L, 0x10000000L, 38, 0x10, 0x80000L},
      {0xff, 0xffffffffL, 0x20000000L, 3, 0x40000000L, 0}, {-1L, -1L, -1L, -1L, -1L, -1L}, {0x100000000L, 0x8, 0x11, 0x21, 0x40, 5}};

  /** Whether {@code a} and {@code b} answer alike on the calls {@link #shortest} checks. */
  static boolean sameAnswers(long[] a, long[] b, int arch) {
    List<Integer> numbers = new ArrayList<>();
    for (int nr = 0; nr < MAX_SYSCALL + 64; nr++) {
      numbers.add(nr);
    }
    for (int nr : new int[] {X32_BIT - 1, X32_BIT, X32_BIT + 1, X32_BIT + 59, X32_BIT + 512, -1}) {
      numbers.add(nr);
    }
    for (int someArch : new int[] {arch, arch ^ 0x80000000, 0}) {
      for (int nr : numbers) {
        for (long[] args : ARGUMENTS) {
          if (!Objects.equals(SeccompBisection.answer(a, someArch, nr, args), SeccompBisection.answer(b, someArch, nr, args))) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** The filters before {@link #merged}: the main one, the refinements, the ENOSYS one, as needed. */
  static List<long[]> programs(SeccompPolicy policy, Set<Capability> capabilities) {
    return programs(policy, capabilities, nr -> true);
  }

  /** The same, with the rules of the calls whose numbers {@code calls} takes. */
  private static List<long[]> programs(SeccompPolicy policy, Set<Capability> capabilities, IntPredicate calls) {
    Libseccomp.require();
    Map<String, List<Rule>> bySyscall = new LinkedHashMap<>();
    if (policy.base() == SeccompPolicy.Base.DEFAULT) {
      for (Rule r : DockerProfile.rules(nativeArchName(), capabilities)) {
        bySyscall.computeIfAbsent(r.syscall(), n -> new ArrayList<>()).add(r);
      }
      // an unconditional rule of the caller replaces the profile's rules for its call; a
      // conditional one refines them
      Set<String> replaced = new HashSet<>();
      for (Rule r : policy.rules()) {
        if (r.conditions().isEmpty() && replaced.add(r.syscall())) {
          bySyscall.put(r.syscall(), new ArrayList<>());
        }
        bySyscall.computeIfAbsent(r.syscall(), n -> new ArrayList<>()).add(r);
      }
    } else {
      for (Rule r : policy.rules()) {
        bySyscall.computeIfAbsent(r.syscall(), n -> new ArrayList<>()).add(r);
      }
    }

    int mainDefault = action(policy.defaultAction());
    Filter main = new Filter(mainDefault);
    Filter refinements = new Filter(Libseccomp.ACT_ALLOW);
    try {
      for (Map.Entry<String, List<Rule>> e : bySyscall.entrySet()) {
        int nr = resolve(e.getKey(), policy);
        if (nr < 0 || !calls.test(nr)) {
          continue;
        }
        List<Rule> unconditional = new ArrayList<>();
        List<Rule> conditional = new ArrayList<>();
        e.getValue().forEach(r -> (r.conditions().isEmpty() ? unconditional : conditional).add(r));
        if (unconditional.isEmpty() || conditional.isEmpty()) {
          e.getValue().forEach(r -> main.add(nr, r));
        } else if (conditional.stream().allMatch(r -> stricter(r.action(), unconditional.get(0).action()))) {
          unconditional.forEach(r -> main.add(nr, r));
          conditional.forEach(r -> refinements.add(nr, r));
        } else if (action(unconditional.get(0).action()) == mainDefault) {
          conditional.forEach(r -> main.add(nr, r));
        } else {
          throw new ContainerStartException("compile the seccomp policy", "the rules for " + e.getKey() + " " + e.getValue()
              + " cannot be expressed: a call's conditional rules must be stricter than its unconditional one,"
              + " or the unconditional one must be the policy's default action", -1);
        }
      }
      List<long[]> programs = new ArrayList<>();
      programs.add(main.export());
      if (refinements.rules > 0) {
        programs.add(refinements.export());
      }
      if (policy.defaultAction().kind() == Action.Kind.ERRNO) {
        programs.add(enosysFilter());
      }
      return List.copyOf(programs);
    } finally {
      main.release();
      refinements.release();
    }
  }

  /**
   * A call this libseccomp does not know may be one newer than the profile: it answers ENOSYS,
   * so that C libraries fall back (SYS-14). libseccomp has rules for single calls only, and a
   * rule per unknown number made the main filter three times longer (and slower for the kernel to
   * take at every start); so this small filter is assembled here from the ranges of unknown
   * numbers. Loaded last, it wins the tie with the main filter's errno; everything else it allows.
   */
  private static long[] enosysFilter() {
    int arch = Libseccomp.seccomp_arch_native();
    List<int[]> unknown = new ArrayList<>();
    int start = -1;
    for (int nr = 0; nr < MAX_SYSCALL; nr++) {
      Pointer name = Libseccomp.seccomp_syscall_resolve_num_arch(arch, nr);
      if (name != null) {
        Native.free(Pointer.nativeValue(name));
        if (start >= 0) {
          unknown.add(new int[] {start, nr - 1});
          start = -1;
        }
      } else if (start < 0) {
        start = nr;
      }
    }
    unknown.add(new int[] {start >= 0 ? start : MAX_SYSCALL, X32_BIT - 1});
    int n = unknown.size();
    List<Long> bpf = new ArrayList<>();
    bpf.add(insn(BPF_LD_W_ABS, 0, 0, 4)); // seccomp_data.arch
    bpf.add(insn(BPF_JEQ, 0, 2 * n + 1, arch)); // another ABI: the main filter's business
    bpf.add(insn(BPF_LD_W_ABS, 0, 0, 0)); // seccomp_data.nr
    for (int i = 0; i < n; i++) {
      bpf.add(insn(BPF_JGE, 0, 1, unknown.get(i)[0]));
      bpf.add(insn(BPF_JGT, 0, 2 * (n - i) - 1, unknown.get(i)[1]));
    }
    bpf.add(insn(BPF_RET, 0, 0, Libseccomp.ACT_ALLOW));
    bpf.add(insn(BPF_RET, 0, 0, Libseccomp.errno(Action.ENOSYS)));
    return bpf.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * The programs as one, where it fits: the kernel takes about 0.1 ms for each filter (it
   * compiles it and works out which calls it always allows), whatever its length. The kernel
   * runs every filter and keeps the strictest answer, on a tie the last loaded one's; here the
   * last loaded runs first, and each program's "allow" goes on to the one before it. That is the
   * same only because a program here denies nothing the ones before it would deny more strictly:
   * the refinements are stricter than the main filter's unconditional rule for their calls, and
   * the ENOSYS filter answers only numbers the main filter denies with its default errno.
   */
  static List<long[]> merged(List<long[]> programs) {
    int total = programs.stream().mapToInt(p -> p.length).sum();
    if (programs.size() < 2 || total > BPF_MAXINSNS) {
      return List.copyOf(programs);
    }
    long[] out = new long[total];
    int at = 0;
    for (int p = programs.size() - 1; p >= 0; p--) {
      long[] program = programs.get(p);
      for (int i = 0; i < program.length; i++) {
        boolean allow = (program[i] & 0xffff) == BPF_RET && (int) (program[i] >>> 32) == Libseccomp.ACT_ALLOW;
        out[at + i] = allow && p > 0 ? insn(BPF_JA, 0, 0, program.length - i - 1) : program[i];
      }
      at += program.length;
    }
    return List.of(out);
  }

  private static final int BPF_MAXINSNS = 4096;
  private static final int BPF_JA = 0x05;
  private static final int BPF_LD_W_ABS = 0x20;
  private static final int BPF_JEQ = 0x15;
  private static final int BPF_JGT = 0x25;
  private static final int BPF_JGE = 0x35;
  private static final int BPF_RET = 0x06;
  private static final int X32_BIT = 0x40000000;

  /** A struct sock_filter {u16 code; u8 jt; u8 jf; u32 k} as the launcher copies it. */
  private static long insn(int code, int jt, int jf, int k) {
    if (jt > 255 || jf > 255) {
      throw new IllegalStateException("BPF jump too far: " + jt + ", " + jf);
    }
    return (code & 0xffffL) | ((long) jt << 16) | ((long) jf << 24) | ((k & 0xffffffffL) << 32);
  }

  /** The call's number here; -1 for a call of other architectures only. */
  private static int resolve(String name, SeccompPolicy policy) {
    int nr = Libseccomp.seccomp_syscall_resolve_name(name);
    if (nr == Libseccomp.NR_SCMP_ERROR && policy.rules().stream().anyMatch(r -> r.syscall().equals(name))) {
      throw new ContainerStartException("compile the seccomp policy",
          "unknown system call \"" + name + "\" (libseccomp knows no call of that name on any architecture)", -1);
    }
    return nr; // the profile's names that this libseccomp predates resolve to an error, and are skipped
  }

  /** Whether the kernel prefers {@code a} over {@code b} when two filters disagree. */
  private static boolean stricter(Action a, Action b) {
    return precedence(a) < precedence(b);
  }

  private static int precedence(Action a) {
    switch (a.kind()) {
      case KILL_PROCESS: return 0;
      case KILL_THREAD: return 1;
      case TRAP: return 2;
      case ERRNO: return 3;
      case LOG: return 4;
      case ALLOW: return 5;
      default: throw new AssertionError(a.kind());
    }
  }

  /** One libseccomp filter being built. */
  private static final class Filter {
    final Pointer ctx;
    final int defaultAction;
    int rules;

    Filter(int defaultAction) {
      this.defaultAction = defaultAction;
      this.ctx = Libseccomp.seccomp_init(defaultAction);
      if (ctx == null) {
        throw failed("seccomp_init", 0);
      }
      check(Libseccomp.seccomp_attr_set(ctx, Libseccomp.ATTR_ACT_BADARCH, Libseccomp.ACT_KILL_PROCESS), "set the bad-arch action");
      check(Libseccomp.seccomp_attr_set(ctx, Libseccomp.ATTR_CTL_NNP, 0), "leave no_new_privs to the launcher");
      Libseccomp.seccomp_attr_set(ctx, Libseccomp.ATTR_CTL_OPTIMIZE, 2); // a binary tree, where libseccomp has one
    }

    void add(int nr, Rule rule) {
      if (SeccompCompiler.add(ctx, nr, rule, defaultAction)) {
        rules++;
      }
    }

    long[] export() {
      return SeccompCompiler.export(ctx);
    }

    void release() {
      Libseccomp.seccomp_release(ctx);
    }
  }

  /** Adds a rule; false when it would change nothing (libseccomp refuses those). */
  private static boolean add(Pointer ctx, int nr, Rule rule, int filterDefault) {
    int action = action(rule.action());
    if (action == filterDefault && rule.conditions().isEmpty()) {
      return false;
    }
    List<Condition> conditions = rule.conditions();
    Memory args = null;
    if (!conditions.isEmpty()) {
      args = new Memory(24L * conditions.size()); // struct scmp_arg_cmp {u32 arg; u32 op; u64 a; u64 b}
      for (int i = 0; i < conditions.size(); i++) {
        Condition c = conditions.get(i);
        long off = 24L * i;
        args.setInt(off, c.argument());
        args.setInt(off + 4, operator(c.operator()));
        args.setLong(off + 8, c.operator() == Condition.Operator.MASKED_EQUAL ? c.mask() : c.value());
        args.setLong(off + 16, c.operator() == Condition.Operator.MASKED_EQUAL ? c.value() : 0);
      }
    }
    check(Libseccomp.seccomp_rule_add_array(ctx, action, nr, conditions.size(), args), "add the rule " + rule);
    return true;
  }

  private static int operator(Condition.Operator op) {
    switch (op) {
      case NOT_EQUAL: return 1;
      case LESS: return 2;
      case LESS_OR_EQUAL: return 3;
      case EQUAL: return 4;
      case GREATER_OR_EQUAL: return 5;
      case GREATER: return 6;
      case MASKED_EQUAL: return 7;
      default: throw new AssertionError(op);
    }
  }

  private static int action(Action a) {
    switch (a.kind()) {
      case ALLOW: return Libseccomp.ACT_ALLOW;
      case ERRNO: return Libseccomp.errno(a.errno());
      case KILL_PROCESS: return Libseccomp.ACT_KILL_PROCESS;
      case KILL_THREAD: return Libseccomp.ACT_KILL_THREAD;
      case TRAP: return Libseccomp.ACT_TRAP;
      case LOG: return Libseccomp.ACT_LOG;
      default: throw new AssertionError(a.kind());
    }
  }

  /** libseccomp 2.5 exports only to a descriptor: a memfd, read back. */
  private static long[] export(Pointer ctx) {
    int fd = LibC.memfd_create("isola-bpf", LibC.MFD_CLOEXEC);
    if (fd < 0) {
      throw failed("memfd_create for the filter", Native.getLastError());
    }
    try {
      check(Libseccomp.seccomp_export_bpf(ctx, fd), "export the filter");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      Memory buf = new Memory(65536);
      long n;
      while ((n = LibC.pread(fd, buf, buf.size(), bytes.size())) > 0) {
        bytes.write(buf.getByteArray(0, (int) n), 0, (int) n);
      }
      ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.nativeOrder());
      long[] program = new long[b.remaining() / 8];
      for (int i = 0; i < program.length; i++) {
        program[i] = b.getLong();
      }
      if (program.length == 0 || program.length > 4096) {
        throw new ContainerStartException("compile the seccomp policy", "the filter has " + program.length
            + " instructions; the kernel takes 1 to 4096", -1);
      }
      return program;
    } finally {
      LibC.close(fd);
    }
  }

  static String nativeArchName() {
    String arch = System.getProperty("os.arch");
    return arch.equals("amd64") ? "x86_64" : arch;
  }

  private static void check(int result, String what) {
    if (result < 0) {
      throw failed(what, -result);
    }
  }

  private static ContainerStartException failed(String what, int errno) {
    return new ContainerStartException("compile the seccomp policy: " + what, errno > 0 ? Errno.describe(errno) : "failed", errno > 0 ? errno : -1);
  }

  /** A policy and the capabilities it was compiled for. */
  private static final class Key {
    final SeccompPolicy policy;
    final Set<Capability> capabilities;

    Key(SeccompPolicy policy, Set<Capability> capabilities) {
      this.policy = policy;
      this.capabilities = Set.copyOf(capabilities);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key && ((Key) o).policy.equals(policy) && ((Key) o).capabilities.equals(capabilities);
    }

    @Override
    public int hashCode() {
      return Objects.hash(policy, capabilities);
    }
  }
}
