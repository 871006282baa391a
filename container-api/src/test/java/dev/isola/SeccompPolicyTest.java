package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Base;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Condition.Operator;
import dev.isola.SeccompPolicy.Rule;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeccompPolicyTest {
  private static final Action EPERM = Action.errno(Action.EPERM);

  /** An allow-list that can start a command. */
  private static SeccompPolicy.Builder allowList() {
    return SeccompPolicy.allowList().allow("execve", "exit_group");
  }

  @Nested
  class NamedPolicies {
    @Test
    void defaultIsDockersProfileWithEpermAndNoRulesOfItsOwn() {
      SeccompPolicy p = SeccompPolicy.defaultPolicy();

      assertThat(p.base()).isEqualTo(Base.DEFAULT);
      assertThat(p.defaultAction()).isEqualTo(EPERM);
      assertThat(p.rules()).isEmpty();
      assertThat(SeccompPolicy.defaultPolicy()).isSameAs(p);
    }

    @Test
    void unconfinedAllowsEverythingWithoutRules() {
      SeccompPolicy p = SeccompPolicy.unconfined();

      assertThat(p.base()).isEqualTo(Base.UNCONFINED);
      assertThat(p.defaultAction()).isEqualTo(Action.allow());
      assertThat(p.rules()).isEmpty();
      assertThat(p).isNotEqualTo(SeccompPolicy.defaultPolicy());
    }

    @Test
    void extendDefaultWithoutRulesIsTheDefault() {
      assertThat(SeccompPolicy.extendDefault().build()).isEqualTo(SeccompPolicy.defaultPolicy())
          .hasSameHashCodeAs(SeccompPolicy.defaultPolicy());
    }

    @Test
    void allowListDeniesWithEpermByDefault() {
      SeccompPolicy p = allowList().build();

      assertThat(p.base()).isEqualTo(Base.ALLOW_LIST);
      assertThat(p.defaultAction()).isEqualTo(EPERM);
      assertThat(p.rules()).containsExactly(Rule.of("execve", Action.allow()), Rule.of("exit_group", Action.allow()));
    }

    @Test
    void denyListAllowsByDefault() {
      SeccompPolicy p = SeccompPolicy.denyList().deny("ptrace").build();

      assertThat(p.base()).isEqualTo(Base.DENY_LIST);
      assertThat(p.defaultAction()).isEqualTo(Action.allow());
      assertThat(p.rules()).containsExactly(Rule.of("ptrace", EPERM));
    }

    @Test
    void anEmptyDenyListBuilds() {
      assertThat(SeccompPolicy.denyList().build().rules()).isEmpty();
    }
  }

  @Nested
  class Actions {
    @Test
    void eachFactoryMakesItsKind() {
      assertThat(Action.allow().kind()).isEqualTo(Action.Kind.ALLOW);
      assertThat(Action.errno(13).kind()).isEqualTo(Action.Kind.ERRNO);
      assertThat(Action.killProcess().kind()).isEqualTo(Action.Kind.KILL_PROCESS);
      assertThat(Action.killThread().kind()).isEqualTo(Action.Kind.KILL_THREAD);
      assertThat(Action.trap().kind()).isEqualTo(Action.Kind.TRAP);
      assertThat(Action.log().kind()).isEqualTo(Action.Kind.LOG);
    }

    @Test
    void errnoKeepsItsNumberAndOthersHaveNone() {
      assertThat(Action.errno(13).errno()).isEqualTo(13);
      for (Action a : List.of(Action.allow(), Action.killProcess(), Action.killThread(), Action.trap(), Action.log())) {
        assertThat(a.errno()).as(a.toString()).isZero();
      }
    }

    @Test
    void errnoConstants() {
      assertThat(Action.EPERM).isEqualTo(1);
      assertThat(Action.ENOSYS).isEqualTo(38);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 38, 4095})
    void errnoAccepts1To4095(int errno) {
      assertThat(Action.errno(errno).errno()).isEqualTo(errno);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 4096, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void errnoRejectsOthersNamingTheNumber(int errno) {
      assertThatThrownBy(() -> Action.errno(errno))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("errno must be in 1..4095")
          .hasMessageEndingWith(": " + errno);
    }

    @Test
    void equalsAndHashCode() {
      assertThat(Action.errno(1)).isEqualTo(Action.errno(Action.EPERM)).hasSameHashCodeAs(Action.errno(1));
      assertThat(Action.allow()).isEqualTo(Action.allow()).hasSameHashCodeAs(Action.allow());
      assertThat(Action.errno(1)).isNotEqualTo(Action.errno(2)).isNotEqualTo(Action.allow())
          .isNotEqualTo(null).isNotEqualTo("errno(1)");
      List<Action> all = List.of(Action.allow(), Action.errno(1), Action.killProcess(), Action.killThread(),
          Action.trap(), Action.log());
      assertThat(all).doesNotHaveDuplicates();
    }

    @Test
    void toStringNamesTheAction() {
      assertThat(Action.errno(13)).hasToString("errno(13)");
      assertThat(Action.allow()).hasToString("allow");
      assertThat(Action.killProcess()).hasToString("kill_process");
      assertThat(Action.killThread()).hasToString("kill_thread");
      assertThat(Action.trap()).hasToString("trap");
      assertThat(Action.log()).hasToString("log");
    }
  }

  @Nested
  class Conditions {
    @Test
    void eachFactoryMakesItsOperator() {
      assertThat(Condition.equal(0, 1).operator()).isEqualTo(Operator.EQUAL);
      assertThat(Condition.notEqual(0, 1).operator()).isEqualTo(Operator.NOT_EQUAL);
      assertThat(Condition.less(0, 1).operator()).isEqualTo(Operator.LESS);
      assertThat(Condition.lessOrEqual(0, 1).operator()).isEqualTo(Operator.LESS_OR_EQUAL);
      assertThat(Condition.greater(0, 1).operator()).isEqualTo(Operator.GREATER);
      assertThat(Condition.greaterOrEqual(0, 1).operator()).isEqualTo(Operator.GREATER_OR_EQUAL);
      assertThat(Condition.maskedEquals(0, 0xff, 1).operator()).isEqualTo(Operator.MASKED_EQUAL);
    }

    @Test
    void keepsArgumentValueAndMask() {
      Condition c = Condition.maskedEquals(3, 0xffffffffL, 10);

      assertThat(c.argument()).isEqualTo(3);
      assertThat(c.mask()).isEqualTo(0xffffffffL);
      assertThat(c.value()).isEqualTo(10);
      Condition e = Condition.greater(5, -1);
      assertThat(e.argument()).isEqualTo(5);
      assertThat(e.value()).isEqualTo(-1);
      assertThat(e.mask()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5})
    void argumentsAreNumbered0To5(int argument) {
      assertThat(Condition.equal(argument, 0).argument()).isEqualTo(argument);
    }

    @ParameterizedTest
    @ValueSource(ints = {6, -1, 7, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void otherArgumentsAreRejectedNamingThem(int argument) {
      List<Runnable> factories = List.of(
          () -> Condition.equal(argument, 0),
          () -> Condition.notEqual(argument, 0),
          () -> Condition.less(argument, 0),
          () -> Condition.lessOrEqual(argument, 0),
          () -> Condition.greater(argument, 0),
          () -> Condition.greaterOrEqual(argument, 0),
          () -> Condition.maskedEquals(argument, 1, 0));
      for (Runnable f : factories) {
        assertThatThrownBy(f::run)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("system call arguments are numbered 0 to 5")
            .hasMessageEndingWith(": " + argument);
      }
    }

    @Test
    void equalsAndHashCode() {
      assertThat(Condition.equal(1, 2)).isEqualTo(Condition.equal(1, 2)).hasSameHashCodeAs(Condition.equal(1, 2));
      assertThat(Condition.equal(1, 2)).isNotEqualTo(Condition.equal(0, 2)).isNotEqualTo(Condition.equal(1, 3))
          .isNotEqualTo(Condition.notEqual(1, 2)).isNotEqualTo(Condition.maskedEquals(1, 0, 2))
          .isNotEqualTo(null).isNotEqualTo("arg1 equal 0x2");
      assertThat(Condition.maskedEquals(1, 0xff, 2)).isEqualTo(Condition.maskedEquals(1, 0xff, 2))
          .isNotEqualTo(Condition.maskedEquals(1, 0xfff, 2));
    }

    @Test
    void toStringShowsTheComparisonInHex() {
      assertThat(Condition.equal(0, 10)).hasToString("arg0 equal 0xa");
      assertThat(Condition.greaterOrEqual(2, 255)).hasToString("arg2 greater_or_equal 0xff");
      assertThat(Condition.maskedEquals(1, 0xffffffffL, 0x5412)).hasToString("(arg1 & 0xffffffff) == 0x5412");
    }
  }

  @Nested
  class Rules {
    @Test
    void keepsSyscallActionAndConditionsInOrder() {
      Rule r = Rule.of("socket", Action.errno(97), Condition.equal(0, 10), Condition.equal(1, 2));

      assertThat(r.syscall()).isEqualTo("socket");
      assertThat(r.action()).isEqualTo(Action.errno(97));
      assertThat(r.conditions()).containsExactly(Condition.equal(0, 10), Condition.equal(1, 2));
      assertThat(Rule.of("read", Action.allow()).conditions()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"read", "_llseek", "exit_group", "io_uring_setup", "pread64", "_", "x"})
    void acceptsSystemCallNames(String name) {
      assertThat(Rule.of(name, Action.allow()).syscall()).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "Read", "READ", "exec ve", " read", "read ", "64bit", "1", "sys-call",
        "read;", "re\0ad", "ré", "read\n", "ioctl(TIOCSTI)", "a.b", "*"})
    void rejectsInvalidNamesQuotingThem(String name) {
      assertThatThrownBy(() -> Rule.of(name, Action.allow()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("not a system call name: \"" + name + "\"");
      assertThatThrownBy(() -> SeccompPolicy.denyList().deny(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"" + name + "\"");
      assertThatThrownBy(() -> SeccompPolicy.allowList().allow(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"" + name + "\"");
    }

    @Test
    void nullsAreRejected() {
      assertThatThrownBy(() -> Rule.of(null, Action.allow()))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("syscall");
      assertThatThrownBy(() -> Rule.of("read", null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("action");
      assertThatThrownBy(() -> Rule.of("read", Action.allow(), Condition.equal(0, 1), null))
          .isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> SeccompPolicy.denyList().rule(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("rule");
      assertThatThrownBy(() -> SeccompPolicy.denyList().deny((Action) null, "read"))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("action");
    }

    @Test
    void twoConditionsOnOneArgumentAreRejectedNamingCallAndArgument() {
      assertThatThrownBy(() -> Rule.of("socket", Action.errno(97), Condition.greaterOrEqual(2, 1),
              Condition.equal(0, 10), Condition.lessOrEqual(2, 5)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("rule for socket has two conditions on argument 2")
          .hasMessageContaining("write two rules instead");
      assertThatThrownBy(() -> Rule.of("ioctl", EPERM, Condition.equal(1, 1), Condition.equal(1, 1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("argument 1");
    }

    @Test
    void conditionsOnEverySixArgumentsAreAllowed() {
      Rule r = Rule.of("mmap", EPERM, Condition.equal(0, 0), Condition.equal(1, 1), Condition.equal(2, 2),
          Condition.equal(3, 3), Condition.equal(4, 4), Condition.equal(5, 5));

      assertThat(r.conditions()).hasSize(6);
    }

    @Test
    void conditionsAreCopiedAndUnmodifiable() {
      Condition[] conditions = {Condition.equal(0, 1)};
      Rule r = Rule.of("kill", EPERM, conditions);
      conditions[0] = Condition.equal(0, 2);

      assertThat(r.conditions()).containsExactly(Condition.equal(0, 1));
      assertThatThrownBy(() -> r.conditions().add(Condition.equal(1, 1)))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> r.conditions().set(0, Condition.equal(1, 1)))
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void equalsAndHashCode() {
      Rule r = Rule.of("socket", Action.errno(97), Condition.equal(0, 10));

      assertThat(r).isEqualTo(Rule.of("socket", Action.errno(97), Condition.equal(0, 10)))
          .hasSameHashCodeAs(Rule.of("socket", Action.errno(97), Condition.equal(0, 10)));
      assertThat(r).isNotEqualTo(Rule.of("socketpair", Action.errno(97), Condition.equal(0, 10)))
          .isNotEqualTo(Rule.of("socket", Action.errno(98), Condition.equal(0, 10)))
          .isNotEqualTo(Rule.of("socket", Action.errno(97), Condition.equal(0, 11)))
          .isNotEqualTo(Rule.of("socket", Action.errno(97)))
          .isNotEqualTo(null).isNotEqualTo(r.toString());
    }

    @Test
    void toStringShowsCallConditionsAndAction() {
      assertThat(Rule.of("ptrace", EPERM)).hasToString("ptrace -> errno(1)");
      assertThat(Rule.of("socket", Action.killProcess(), Condition.equal(0, 40)))
          .hasToString("socket[arg0 equal 0x28] -> kill_process");
    }
  }

  @Nested
  class Building {
    @Test
    void allowAndDenyAddRulesInOrder() {
      SeccompPolicy p = SeccompPolicy.allowList()
          .allow("read", "write")
          .deny("ptrace")
          .deny(Action.killProcess(), "kexec_load", "reboot")
          .rule(Rule.of("socket", Action.errno(97), Condition.equal(0, 10)))
          .allow("execve")
          .build();

      assertThat(p.rules()).containsExactly(
          Rule.of("read", Action.allow()),
          Rule.of("write", Action.allow()),
          Rule.of("ptrace", EPERM),
          Rule.of("kexec_load", Action.killProcess()),
          Rule.of("reboot", Action.killProcess()),
          Rule.of("socket", Action.errno(97), Condition.equal(0, 10)),
          Rule.of("execve", Action.allow()));
    }

    @Test
    void aRejectedNameAddsNoneOfTheCallsNamedWithIt() {
      SeccompPolicy.Builder b = allowList();

      assertThatThrownBy(() -> b.allow("read", "Write")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> b.deny("ptrace", "")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> b.deny(Action.killProcess(), "reboot", "kexec load"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(b.build()).isEqualTo(allowList().build());
    }

    @Test
    void allowAndDenyWithNoNamesAddNothing() {
      assertThat(allowList().allow().deny().deny(Action.trap()).build()).isEqualTo(allowList().build());
    }

    @Test
    void defaultActionCanBeChosenForListsAndTheLastWins() {
      assertThat(allowList().defaultAction(Action.killProcess()).build().defaultAction())
          .isEqualTo(Action.killProcess());
      assertThat(allowList().defaultAction(Action.trap()).defaultAction(Action.errno(38)).build().defaultAction())
          .isEqualTo(Action.errno(38));
      assertThat(SeccompPolicy.denyList().defaultAction(Action.log()).build().defaultAction())
          .isEqualTo(Action.log());
    }

    @Test
    void defaultActionOfTheExtendedDefaultIsRejected() {
      for (Action a : List.of(Action.allow(), EPERM, Action.killProcess(), Action.log())) {
        assertThatThrownBy(() -> SeccompPolicy.extendDefault().defaultAction(a))
            .as(a.toString())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("default policy's default action is fixed")
            .hasMessageContaining("add rules instead");
      }
      assertThatThrownBy(() -> SeccompPolicy.defaultPolicy().toBuilder().defaultAction(Action.allow()))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnconfinedPolicyTakesNoRulesItWouldIgnore() {
      SeccompPolicy.Builder b = SeccompPolicy.unconfined().toBuilder();

      assertThatThrownBy(() -> b.deny("ptrace"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unconfined policy loads no filter")
          .hasMessageContaining("ptrace -> errno(1)");
      assertThatThrownBy(() -> b.rule(Rule.of("socket", Action.killProcess(), Condition.equal(0, 40))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("socket[arg0 equal 0x28] -> kill_process");
      assertThatThrownBy(() -> b.allow("read")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> b.defaultAction(Action.killProcess()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unconfined policy loads no filter")
          .hasMessageContaining("kill_process");
      assertThat(b.build()).isEqualTo(SeccompPolicy.unconfined());
    }

    @Test
    void nullDefaultActionIsRejected() {
      assertThatThrownBy(() -> SeccompPolicy.allowList().defaultAction(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("action");
    }

    @Test
    void extendDefaultKeepsItsRules() {
      SeccompPolicy p = SeccompPolicy.extendDefault().deny("ptrace", "process_vm_readv").build();

      assertThat(p.base()).isEqualTo(Base.DEFAULT);
      assertThat(p.defaultAction()).isEqualTo(EPERM);
      assertThat(p.rules()).extracting(Rule::syscall).containsExactly("ptrace", "process_vm_readv");
      assertThat(p).isNotEqualTo(SeccompPolicy.defaultPolicy());
    }
  }

  @Nested
  class Contradictions {
    @Test
    void sameCallAllowedAndDeniedIsRejectedNamingBothRules() {
      assertThatThrownBy(() -> allowList().allow("ptrace").deny("ptrace").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("contradictory seccomp rules for ptrace")
          .hasMessageContaining("ptrace -> allow")
          .hasMessageContaining("ptrace -> errno(1)");
    }

    @Test
    void sameCallWithTwoDenialsIsRejected() {
      assertThatThrownBy(() -> SeccompPolicy.denyList().deny("ptrace").deny(Action.killProcess(), "ptrace").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("contradictory seccomp rules for ptrace")
          .hasMessageContaining("errno(1)")
          .hasMessageContaining("kill_process");
      assertThatThrownBy(() -> SeccompPolicy.denyList().deny(Action.errno(1), "ptrace").deny(Action.errno(2), "ptrace")
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("errno(2)");
    }

    @Test
    void sameConditionsWithDifferentActionsAreRejected() {
      assertThatThrownBy(() -> SeccompPolicy.denyList()
              .rule(Rule.of("socket", Action.errno(97), Condition.equal(0, 10)))
              .rule(Rule.of("kill", EPERM))
              .rule(Rule.of("socket", Action.allow(), Condition.equal(0, 10)))
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("contradictory seccomp rules for socket")
          .hasMessageContaining("socket[arg0 equal 0xa] -> errno(97)")
          .hasMessageContaining("socket[arg0 equal 0xa] -> allow");
    }

    @Test
    void contradictionsInAnExtendedDefaultAreRejected() {
      assertThatThrownBy(() -> SeccompPolicy.extendDefault().allow("ptrace").deny("ptrace").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("contradictory seccomp rules for ptrace");
    }

    @Test
    void theOrderOfConditionsDoesNotHideAContradiction() {
      assertThatThrownBy(() -> SeccompPolicy.denyList()
              .rule(Rule.of("socket", Action.errno(97), Condition.equal(0, 10), Condition.equal(1, 2)))
              .rule(Rule.of("socket", Action.allow(), Condition.equal(1, 2), Condition.equal(0, 10)))
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("contradictory seccomp rules for socket");
    }

    @Test
    void theSameRuleTwiceIsNoContradiction() {
      SeccompPolicy p = allowList().allow("read", "read").build();

      assertThat(p.rules()).containsExactly(Rule.of("execve", Action.allow()), Rule.of("exit_group", Action.allow()),
          Rule.of("read", Action.allow()), Rule.of("read", Action.allow()));
    }

    @Test
    void differentConditionsOnOneCallAreNoContradiction() {
      SeccompPolicy p = SeccompPolicy.denyList()
          .rule(Rule.of("socket", Action.errno(97), Condition.equal(0, 10)))
          .rule(Rule.of("socket", Action.errno(22), Condition.equal(0, 40)))
          .rule(Rule.of("socket", Action.allow(), Condition.equal(0, 2), Condition.equal(1, 1)))
          .rule(Rule.of("socket", Action.log(), Condition.equal(0, 2)))
          .deny("socket")
          .build();

      assertThat(p.rules()).hasSize(5);
    }
  }

  @Nested
  class Exec {
    @Test
    void anAllowListThatAllowsExecveBuilds() {
      assertThat(SeccompPolicy.allowList().allow("execve").build().rules())
          .containsExactly(Rule.of("execve", Action.allow()));
      assertThat(SeccompPolicy.allowList().rule(Rule.of("execve", Action.log())).build().rules()).hasSize(1);
    }

    @Test
    void anAllowListWithoutExecveIsRejectedNamingThePolicy() {
      assertThatThrownBy(() -> SeccompPolicy.allowList().allow("read", "write", "exit_group").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("this seccomp policy blocks execve, so no command could ever start")
          .hasMessageContaining("allow_list")
          .hasMessageContaining("read -> allow");
      assertThatThrownBy(() -> SeccompPolicy.allowList().build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blocks execve");
    }

    @Test
    void anAllowListWithAnAllowingDefaultActionNeedsNoExecveRule() {
      assertThat(SeccompPolicy.allowList().defaultAction(Action.log()).allow("read").build().defaultAction())
          .isEqualTo(Action.log());
      assertThat(SeccompPolicy.allowList().defaultAction(Action.allow()).build().rules()).isEmpty();
    }

    @Test
    void anAllowListThatDeniesExecveIsRejected() {
      for (Action deny : List.of(EPERM, Action.killProcess(), Action.killThread(), Action.trap())) {
        assertThatThrownBy(() -> SeccompPolicy.allowList().allow("read").deny(deny, "execve").build())
            .as(deny.toString())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("blocks execve");
      }
    }

    @Test
    void aDenyListDenyingExecveIsRejected() {
      for (Action deny : List.of(EPERM, Action.errno(Action.ENOSYS), Action.killProcess(), Action.killThread(),
          Action.trap())) {
        assertThatThrownBy(() -> SeccompPolicy.denyList().deny("ptrace").deny(deny, "execve").build())
            .as(deny.toString())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("blocks execve")
            .hasMessageContaining("execve -> " + deny);
      }
    }

    @Test
    void anExtendedDefaultDenyingExecveIsRejected() {
      assertThatThrownBy(() -> SeccompPolicy.extendDefault().deny("execve").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blocks execve")
          .hasMessageContaining("execve -> errno(1)");
      assertThatThrownBy(() -> SeccompPolicy.extendDefault().deny(Action.killProcess(), "execve").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blocks execve");
    }

    @Test
    void loggingExecveIsAllowingIt() {
      assertThat(SeccompPolicy.denyList().deny(Action.log(), "execve").build().rules()).hasSize(1);
      assertThat(SeccompPolicy.extendDefault().deny(Action.log(), "execve").build().rules()).hasSize(1);
    }

    @Test
    void otherCallsMayBeDeniedFreely() {
      assertThat(SeccompPolicy.denyList().deny("execveat", "fork", "vfork", "clone").build().rules()).hasSize(4);
      assertThat(SeccompPolicy.extendDefault().deny("execveat").build().rules()).hasSize(1);
    }

    @Test
    void conditionalDenialsOfExecveBuild() {
      // Only some execve calls are denied; whether the command's is cannot be told from here.
      assertThat(SeccompPolicy.denyList().rule(Rule.of("execve", EPERM, Condition.equal(2, 0))).build().rules())
          .hasSize(1);
      assertThat(SeccompPolicy.extendDefault().rule(Rule.of("execve", EPERM, Condition.equal(2, 0))).build().rules())
          .hasSize(1);
    }

    @Test
    void aDenyListWhoseDefaultActionDeniesMustAllowExecve() {
      for (Action deny : List.of(EPERM, Action.killProcess(), Action.trap())) {
        assertThatThrownBy(() -> SeccompPolicy.denyList().defaultAction(deny).deny("ptrace").build())
            .as(deny.toString())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("blocks execve");
      }
      assertThat(SeccompPolicy.denyList().defaultAction(EPERM).allow("execve").build().defaultAction())
          .isEqualTo(EPERM);
    }

    @Test
    void aConditionalDenialDoesNotMakeABlockedExecveAllowed() {
      // execve fails whether or not the condition holds
      assertThatThrownBy(() -> SeccompPolicy.allowList().allow("read")
              .rule(Rule.of("execve", EPERM, Condition.equal(0, 0))).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blocks execve");
      assertThatThrownBy(() -> SeccompPolicy.denyList().deny("execve")
              .rule(Rule.of("execve", Action.killProcess(), Condition.equal(0, 0))).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blocks execve");
      assertThatThrownBy(() -> SeccompPolicy.extendDefault().deny("execve")
              .rule(Rule.of("execve", Action.errno(13), Condition.equal(2, 0))).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blocks execve");
    }

    @Test
    void conditionallyAllowedExecveBuilds() {
      assertThat(SeccompPolicy.allowList().rule(Rule.of("execve", Action.allow(), Condition.notEqual(0, 0)))
          .build().rules()).hasSize(1);
    }
  }

  @Nested
  class ValueSemantics {
    private SeccompPolicy sample() {
      return SeccompPolicy.allowList()
          .defaultAction(Action.errno(38))
          .allow("read", "execve")
          .rule(Rule.of("socket", Action.errno(97), Condition.maskedEquals(0, 0xffffffffL, 10)))
          .build();
    }

    @Test
    void equalBuildsAreEqual() {
      assertThat(sample()).isEqualTo(sample()).hasSameHashCodeAs(sample()).hasToString(sample().toString());
      assertThat(sample()).isNotSameAs(sample());
    }

    @Test
    void everyPartTakesPartInEquals() {
      SeccompPolicy base = sample();
      List<SeccompPolicy> variants = List.of(
          SeccompPolicy.denyList().allow("read", "execve")
              .rule(Rule.of("socket", Action.errno(97), Condition.maskedEquals(0, 0xffffffffL, 10))).build(),
          base.toBuilder().defaultAction(Action.errno(1)).build(),
          base.toBuilder().allow("write").build(),
          SeccompPolicy.allowList().defaultAction(Action.errno(38)).allow("execve", "read")
              .rule(Rule.of("socket", Action.errno(97), Condition.maskedEquals(0, 0xffffffffL, 10))).build(),
          SeccompPolicy.extendDefault().build(),
          SeccompPolicy.unconfined());

      for (SeccompPolicy v : variants) {
        assertThat(v).as(v.toString()).isNotEqualTo(base);
        assertThat(base).isNotEqualTo(v);
      }
      assertThat(base).isNotEqualTo(null).isNotEqualTo(base.toString());
    }

    @Test
    void toBuilderRoundTrips() {
      for (SeccompPolicy p : List.of(sample(), SeccompPolicy.defaultPolicy(), SeccompPolicy.unconfined(),
          SeccompPolicy.extendDefault().deny("ptrace").build(), SeccompPolicy.denyList().deny("ptrace").build())) {
        SeccompPolicy copy = p.toBuilder().build();
        assertThat(copy).isEqualTo(p).hasSameHashCodeAs(p).hasToString(p.toString());
        assertThat(copy.base()).isEqualTo(p.base());
        assertThat(copy.defaultAction()).isEqualTo(p.defaultAction());
        assertThat(copy.rules()).containsExactlyElementsOf(p.rules());
      }
    }

    @Test
    void changingTheToBuilderLeavesThePolicyAlone() {
      SeccompPolicy p = sample();
      String before = p.toString();
      p.toBuilder().allow("write").defaultAction(Action.killProcess()).build();

      assertThat(p).isEqualTo(sample()).hasToString(before);
    }

    @Test
    void changingTheBuilderAfterBuildLeavesThePolicyAlone() {
      SeccompPolicy.Builder b = SeccompPolicy.allowList().allow("execve");
      SeccompPolicy first = b.build();

      b.allow("read").deny("ptrace").defaultAction(Action.killProcess());

      assertThat(first.rules()).containsExactly(Rule.of("execve", Action.allow()));
      assertThat(first.defaultAction()).isEqualTo(EPERM);
      assertThat(b.build()).isNotEqualTo(first);
    }

    @Test
    void aFailedBuildLeavesTheBuilderUsable() {
      SeccompPolicy.Builder b = SeccompPolicy.allowList().allow("read");

      assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class);
      assertThat(b.allow("execve").build().rules()).hasSize(2);
    }

    @Test
    void rulesAreUnmodifiable() {
      assertThatThrownBy(() -> sample().rules().add(Rule.of("write", Action.allow())))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> sample().rules().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> SeccompPolicy.defaultPolicy().rules().add(Rule.of("write", Action.allow())))
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void toStringNamesBaseDefaultActionAndRules() {
      assertThat(SeccompPolicy.defaultPolicy()).hasToString("SeccompPolicy{default}");
      assertThat(SeccompPolicy.unconfined()).hasToString("SeccompPolicy{unconfined}");
      assertThat(sample()).hasToString("SeccompPolicy{allow_list, default errno(38), rules [read -> allow, "
          + "execve -> allow, socket[(arg0 & 0xffffffff) == 0xa] -> errno(97)]}");
      assertThat(SeccompPolicy.extendDefault().deny("ptrace").build().toString())
          .startsWith("SeccompPolicy{default, ").contains("ptrace -> errno(1)");
      assertThat(SeccompPolicy.denyList().deny("ptrace").build().toString())
          .startsWith("SeccompPolicy{deny_list, default allow");
    }

    @Test
    void toStringTellsListsWithoutRulesApart() {
      SeccompPolicy logAll = SeccompPolicy.denyList().defaultAction(Action.log()).build();
      SeccompPolicy allowAll = SeccompPolicy.allowList().defaultAction(Action.allow()).build();

      assertThat(logAll).isNotEqualTo(SeccompPolicy.denyList().build());
      assertThat(logAll.toString()).isNotEqualTo(SeccompPolicy.denyList().build().toString()).contains("default log");
      assertThat(allowAll).hasToString("SeccompPolicy{allow_list, default allow}");
    }
  }
}
