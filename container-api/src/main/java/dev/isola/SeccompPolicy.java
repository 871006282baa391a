package dev.isola;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Which system calls a container may make: a seccomp filter, compiled by the runtime and loaded
 * just before the command runs. Immutable.
 *
 * <ul>
 *   <li>{@link #defaultPolicy()} (the default): Docker's default profile — an allow-list of about
 *       360 calls, {@code clone} without namespace flags, {@code clone3} answering {@code ENOSYS},
 *       no {@code AF_ALG} or {@code AF_VSOCK} sockets, a few {@code personality} values — plus
 *       {@code ioctl(TIOCSTI)} and {@code ioctl(TIOCLINUX)} denied. The calls that Docker allows
 *       only with a capability are allowed when the container keeps that capability.
 *   <li>{@link #allowList()}: your allow-list; everything else fails with {@code EPERM} (or the
 *       default action you choose).
 *   <li>{@link #denyList()}: everything is allowed but what you deny.
 *   <li>{@link #unconfined()}: no filter at all; only when asked for by name.
 * </ul>
 *
 * <p>Whatever the policy, the filter admits only the host's native system call ABI: i386 calls
 * ({@code int 0x80}) and x32 calls on x86_64, or 32-bit arm calls on aarch64, kill the process.
 * Calls that the policy denies with an {@code errno} but that the runtime does not know (newer
 * than its tables) fail with {@code ENOSYS}, so that C libraries fall back to older calls.
 */
public final class SeccompPolicy {
  /** What a policy starts from. */
  public enum Base {
    /** Docker's default profile, with the rules of this policy on top (see {@link #extendDefault()}). */
    DEFAULT,
    /** Nothing is allowed but what the rules allow. */
    ALLOW_LIST,
    /** Everything is allowed but what the rules deny. */
    DENY_LIST,
    /** No filter. */
    UNCONFINED
  }

  private static final Pattern SYSCALL_NAME = Pattern.compile("[a-z_][a-z0-9_]*");
  private static final SeccompPolicy DEFAULT =
      new SeccompPolicy(Base.DEFAULT, Action.errno(Action.EPERM), List.of());
  private static final SeccompPolicy UNCONFINED =
      new SeccompPolicy(Base.UNCONFINED, Action.allow(), List.of());

  private final Base base;
  private final Action defaultAction;
  private final List<Rule> rules;

  private SeccompPolicy(Base base, Action defaultAction, List<Rule> rules) {
    this.base = base;
    this.defaultAction = defaultAction;
    this.rules = List.copyOf(rules);
  }

  public static SeccompPolicy defaultPolicy() {
    return DEFAULT;
  }

  public static SeccompPolicy unconfined() {
    return UNCONFINED;
  }

  /** An allow-list: calls no rule allows fail with {@code EPERM}. */
  public static Builder allowList() {
    return new Builder(Base.ALLOW_LIST, Action.errno(Action.EPERM));
  }

  /** A deny-list: calls no rule denies are allowed. */
  public static Builder denyList() {
    return new Builder(Base.DENY_LIST, Action.allow());
  }

  /**
   * The default policy with rules of your own: an unconditional rule replaces the default's rules
   * for its call; a conditional one is added to them (for example, deny {@code socket} for one
   * more address family).
   */
  public static Builder extendDefault() {
    return new Builder(Base.DEFAULT, Action.errno(Action.EPERM));
  }

  public Base base() {
    return base;
  }

  /** What happens to a call that no rule matches (for {@link Base#DEFAULT}, to calls outside the profile). */
  public Action defaultAction() {
    return defaultAction;
  }

  public List<Rule> rules() {
    return rules;
  }

  public Builder toBuilder() {
    Builder b = new Builder(base, defaultAction);
    b.rules.addAll(rules);
    return b;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SeccompPolicy && ((SeccompPolicy) o).base == base
        && ((SeccompPolicy) o).defaultAction.equals(defaultAction) && ((SeccompPolicy) o).rules.equals(rules);
  }

  @Override
  public int hashCode() {
    return Objects.hash(base, defaultAction, rules);
  }

  @Override
  public String toString() {
    // a list's default action is its own choice, and tells two lists without rules apart
    boolean fixedDefault = base == Base.DEFAULT || base == Base.UNCONFINED;
    return "SeccompPolicy{" + base.name().toLowerCase(java.util.Locale.ROOT) + (rules.isEmpty() && fixedDefault ? "" : ", default " + defaultAction)
        + (rules.isEmpty() ? "" : ", rules " + rules) + "}";
  }

  /** Builds a {@link SeccompPolicy}; {@link #build()} checks the rules against each other. */
  public static final class Builder {
    private final Base base;
    private Action defaultAction;
    private final List<Rule> rules = new ArrayList<>();

    private Builder(Base base, Action defaultAction) {
      this.base = base;
      this.defaultAction = defaultAction;
    }

    /** What happens to calls no rule matches; not for an extended default policy. */
    public Builder defaultAction(Action action) {
      if (base == Base.DEFAULT) {
        throw new IllegalArgumentException("the default policy's default action is fixed (EPERM); add rules instead");
      }
      Objects.requireNonNull(action, "action");
      if (base == Base.UNCONFINED) {
        throw new IllegalArgumentException("an unconfined policy loads no filter, so a default action of " + action
            + " would be ignored; start from allowList() or denyList()");
      }
      this.defaultAction = action;
      return this;
    }

    public Builder allow(String... syscalls) {
      return rules(Action.allow(), syscalls);
    }

    /** Denies these calls with {@code EPERM}. */
    public Builder deny(String... syscalls) {
      return deny(Action.errno(Action.EPERM), syscalls);
    }

    public Builder deny(Action action, String... syscalls) {
      return rules(action, syscalls);
    }

    /** Adds an unconditional rule for each call, once every name has been checked. */
    private Builder rules(Action action, String... syscalls) {
      List<Rule> named = new ArrayList<>();
      for (String s : syscalls) {
        named.add(Rule.of(s, action));
      }
      named.forEach(this::rule);
      return this;
    }

    public Builder rule(Rule rule) {
      Objects.requireNonNull(rule, "rule");
      if (base == Base.UNCONFINED) {
        throw new IllegalArgumentException("an unconfined policy loads no filter, so the rule " + rule
            + " would be ignored; start from denyList() or extendDefault()");
      }
      rules.add(rule);
      return this;
    }

    public SeccompPolicy build() {
      for (int i = 0; i < rules.size(); i++) {
        for (int j = i + 1; j < rules.size(); j++) {
          Rule a = rules.get(i);
          Rule b = rules.get(j);
          // conditions are ANDed, each on its own argument: their order does not matter
          if (a.syscall.equals(b.syscall) && Set.copyOf(a.conditions).equals(Set.copyOf(b.conditions))
              && !a.action.equals(b.action)) {
            throw new IllegalArgumentException("contradictory seccomp rules for " + a.syscall + ": " + a + " and " + b);
          }
        }
      }
      SeccompPolicy policy = new SeccompPolicy(base, defaultAction, rules);
      if (!policy.allowsExec()) {
        throw new IllegalArgumentException("this seccomp policy blocks execve, so no command could ever start: " + policy);
      }
      return policy;
    }
  }

  /**
   * Whether {@code execve} is allowed when no argument condition is involved, or some conditional
   * rule may allow it. The default action applies to deny-lists too: the runtime uses it for every
   * call no rule matches.
   */
  private boolean allowsExec() {
    Action exec = base == Base.DEFAULT ? Action.allow() : defaultAction;
    for (Rule r : rules) {
      if (r.syscall.equals("execve") && r.conditions.isEmpty()) {
        exec = r.action;
      }
    }
    return allows(exec) || rules.stream().anyMatch(r -> r.syscall.equals("execve") && !r.conditions.isEmpty() && allows(r.action));
  }

  private static boolean allows(Action a) {
    return a.kind == Action.Kind.ALLOW || a.kind == Action.Kind.LOG;
  }

  /** What the filter does with a call. */
  public static final class Action {
    /** {@code EPERM}, the usual answer to a denied call. */
    public static final int EPERM = 1;
    /** {@code ENOSYS}: "no such call", which makes C libraries fall back. */
    public static final int ENOSYS = 38;

    /** The kinds of action. */
    public enum Kind {
      ALLOW, ERRNO, KILL_PROCESS, KILL_THREAD, TRAP, LOG
    }

    private final Kind kind;
    private final int errno;

    private Action(Kind kind, int errno) {
      this.kind = kind;
      this.errno = errno;
    }

    public static Action allow() {
      return new Action(Kind.ALLOW, 0);
    }

    /** The call fails with this error number (1 to 4095) and does nothing. */
    public static Action errno(int errno) {
      if (errno < 1 || errno > 4095) {
        throw new IllegalArgumentException("errno must be in 1..4095: " + errno);
      }
      return new Action(Kind.ERRNO, errno);
    }

    /** The whole process is killed with {@code SIGSYS}. */
    public static Action killProcess() {
      return new Action(Kind.KILL_PROCESS, 0);
    }

    /** The calling thread is killed with {@code SIGSYS}. */
    public static Action killThread() {
      return new Action(Kind.KILL_THREAD, 0);
    }

    /** The thread gets a {@code SIGSYS} it can handle. */
    public static Action trap() {
      return new Action(Kind.TRAP, 0);
    }

    /** Allowed, and logged by the kernel's audit. */
    public static Action log() {
      return new Action(Kind.LOG, 0);
    }

    public Kind kind() {
      return kind;
    }

    /** The error number of an {@link Kind#ERRNO} action. */
    public int errno() {
      return errno;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Action && ((Action) o).kind == kind && ((Action) o).errno == errno;
    }

    @Override
    public int hashCode() {
      return Objects.hash(kind, errno);
    }

    @Override
    public String toString() {
      return kind == Kind.ERRNO ? "errno(" + errno + ")" : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** An action for one system call, when all its conditions on the arguments hold. */
  public static final class Rule {
    private final String syscall;
    private final Action action;
    private final List<Condition> conditions;

    private Rule(String syscall, Action action, List<Condition> conditions) {
      Objects.requireNonNull(syscall, "syscall");
      if (!SYSCALL_NAME.matcher(syscall).matches()) {
        throw new IllegalArgumentException("not a system call name: \"" + syscall + "\"");
      }
      this.syscall = syscall;
      this.action = Objects.requireNonNull(action, "action");
      this.conditions = List.copyOf(conditions);
      for (int i = 0; i < this.conditions.size(); i++) {
        for (int j = i + 1; j < this.conditions.size(); j++) {
          if (this.conditions.get(i).argument == this.conditions.get(j).argument) {
            throw new IllegalArgumentException("rule for " + syscall + " has two conditions on argument "
                + this.conditions.get(i).argument + "; write two rules instead");
          }
        }
      }
    }

    public static Rule of(String syscall, Action action, Condition... conditions) {
      return new Rule(syscall, action, Arrays.asList(conditions));
    }

    public String syscall() {
      return syscall;
    }

    public Action action() {
      return action;
    }

    public List<Condition> conditions() {
      return conditions;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Rule && ((Rule) o).syscall.equals(syscall) && ((Rule) o).action.equals(action)
          && ((Rule) o).conditions.equals(conditions);
    }

    @Override
    public int hashCode() {
      return Objects.hash(syscall, action, conditions);
    }

    @Override
    public String toString() {
      return syscall + (conditions.isEmpty() ? "" : conditions.toString()) + " -> " + action;
    }
  }

  /**
   * A comparison of one argument (0 to 5) of a call. Arguments are compared as 64-bit values;
   * for an argument that the kernel reads as 32 bits (an {@code int}, an {@code ioctl} request),
   * compare with {@link #maskedEquals(int, long, long)} and mask {@code 0xffffffffL}, so that
   * garbage in the upper half cannot slip past the filter.
   */
  public static final class Condition {
    /** The comparison. */
    public enum Operator {
      NOT_EQUAL, LESS, LESS_OR_EQUAL, EQUAL, GREATER_OR_EQUAL, GREATER, MASKED_EQUAL
    }

    private final int argument;
    private final Operator operator;
    private final long value;
    private final long mask;

    private Condition(int argument, Operator operator, long value, long mask) {
      if (argument < 0 || argument > 5) {
        throw new IllegalArgumentException("system call arguments are numbered 0 to 5: " + argument);
      }
      this.argument = argument;
      this.operator = operator;
      this.value = value;
      this.mask = mask;
    }

    public static Condition equal(int argument, long value) {
      return new Condition(argument, Operator.EQUAL, value, 0);
    }

    public static Condition notEqual(int argument, long value) {
      return new Condition(argument, Operator.NOT_EQUAL, value, 0);
    }

    public static Condition less(int argument, long value) {
      return new Condition(argument, Operator.LESS, value, 0);
    }

    public static Condition lessOrEqual(int argument, long value) {
      return new Condition(argument, Operator.LESS_OR_EQUAL, value, 0);
    }

    public static Condition greater(int argument, long value) {
      return new Condition(argument, Operator.GREATER, value, 0);
    }

    public static Condition greaterOrEqual(int argument, long value) {
      return new Condition(argument, Operator.GREATER_OR_EQUAL, value, 0);
    }

    /** {@code (arg & mask) == value}. */
    public static Condition maskedEquals(int argument, long mask, long value) {
      return new Condition(argument, Operator.MASKED_EQUAL, value, mask);
    }

    public int argument() {
      return argument;
    }

    public Operator operator() {
      return operator;
    }

    public long value() {
      return value;
    }

    /** The mask of a {@link Operator#MASKED_EQUAL} comparison. */
    public long mask() {
      return mask;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Condition && ((Condition) o).argument == argument && ((Condition) o).operator == operator
          && ((Condition) o).value == value && ((Condition) o).mask == mask;
    }

    @Override
    public int hashCode() {
      return Objects.hash(argument, operator, value, mask);
    }

    @Override
    public String toString() {
      return operator == Operator.MASKED_EQUAL
          ? "(arg" + argument + " & 0x" + Long.toHexString(mask) + ") == 0x" + Long.toHexString(value)
          : "arg" + argument + " " + operator.name().toLowerCase(java.util.Locale.ROOT) + " 0x" + Long.toHexString(value);
    }
  }
}
