package dev.isola.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.isola.Capability;
import dev.isola.ContainerStartException;
import dev.isola.SeccompPolicy;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
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

/**
 * Compiles a {@link SeccompPolicy} to a BPF program with libseccomp, once per policy and set of
 * kept capabilities. The filter admits only the native ABI (others kill the process); a call
 * denied with an errno answers that errno when libseccomp knows the call, and {@code ENOSYS} when
 * it does not, so that C libraries fall back from calls newer than the profile (SYS-14).
 */
final class SeccompCompiler {
  /** Above every system call number of the architectures Isola runs on. */
  private static final int MAX_SYSCALL = 1024;

  private static final Map<Key, List<long[]>> CACHE = new ConcurrentHashMap<>();

  private SeccompCompiler() {}

  /**
   * The programs to load, in order, each one {@code struct sock_filter} per long; none for an
   * unconfined policy.
   *
   * <p>Two filters where the policy needs them: libseccomp ignores a call's conditional rules when
   * the call also has an unconditional one, so "allow {@code socket}, but deny {@code AF_ALG}"
   * becomes an unconditional allow in the first filter and the conditional denial in a second one
   * that allows everything else. The kernel runs both and keeps the stricter answer.
   */
  static List<long[]> compile(SeccompPolicy policy, Set<Capability> capabilities) {
    if (policy.base() == SeccompPolicy.Base.UNCONFINED) {
      return List.of();
    }
    return CACHE.computeIfAbsent(new Key(policy, capabilities), k -> build(policy, capabilities));
  }

  private static List<long[]> build(SeccompPolicy policy, Set<Capability> capabilities) {
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
        if (nr < 0) {
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
      if (policy.defaultAction().kind() == Action.Kind.ERRNO) {
        // a call this libseccomp does not know may be one newer than the profile: ENOSYS, so C libraries fall back
        int arch = Libseccomp.seccomp_arch_native();
        for (int nr = 0; nr < MAX_SYSCALL; nr++) {
          Pointer name = Libseccomp.seccomp_syscall_resolve_num_arch(arch, nr);
          if (name == null) {
            main.add(nr, Rule.of("unknown", Action.errno(Action.ENOSYS)));
          } else {
            Native.free(Pointer.nativeValue(name));
          }
        }
      }
      List<long[]> programs = new ArrayList<>();
      programs.add(main.export());
      if (refinements.rules > 0) {
        programs.add(refinements.export());
      }
      return List.copyOf(programs);
    } finally {
      main.release();
      refinements.release();
    }
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
