package dev.isola.linux.internal.plan;

import dev.isola.Capability;
import dev.isola.ContainerSpec;
import dev.isola.FilesystemRules;
import dev.isola.Limits;
import dev.isola.TerminalSize;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The third phase: what confines the command's process, from its session to its descriptors. */
final class HardeningPhase {
  /** Linux's resource numbers, the same on every architecture Isola runs on. */
  static final Map<Limits.Rlimit, Integer> RLIMITS = new EnumMap<>(Map.of(Limits.Rlimit.CPU, 0, Limits.Rlimit.FSIZE, 1,
      Limits.Rlimit.STACK, 3, Limits.Rlimit.CORE, 4, Limits.Rlimit.NPROC, 6, Limits.Rlimit.NOFILE, 7, Limits.Rlimit.AS, 9));

  private HardeningPhase() {}

  /**
   * Everything after the root is in place and before the command runs, in the order the
   * launcher must take it: a session of its own, the init, the user's ids, the terminal, the
   * working directory, rlimits, capabilities, no_new_privs, Landlock, the descriptors.
   */
  static void add(LaunchPlan.Builder plan, ContainerSpec spec, Optional<TerminalSize> tty, Optional<IdMaps> maps, int landlockAbi) {
    plan.add(Op.SETSID, "start a new session (no access to the caller's terminal)");
    long keep = 0;
    for (Capability c : spec.capabilities()) {
      keep |= 1L << c.ordinal();
    }
    if (spec.init()) {
      // the init keeps what the command keeps, and KILL where the command may change its uid:
      // it must still be able to pass signals on
      boolean otherUid = spec.capabilities().contains(Capability.SETUID) || spec.uid() != 0;
      long initKeep = keep | (otherUid ? 1L << Capability.KILL.ordinal() : 0);
      plan.add(Op.INIT, initKeep, "start the container's init");
    }
    if (spec.uid() != 0 || spec.gid() != 0) {
      // after the init, which stays root; before the working directory, checked as the user
      boolean denySetgroups = maps.map(IdMaps::denySetgroups).orElse(false);
      plan.add(Op.SET_IDS, List.of(spec.uid(), spec.gid(), denySetgroups ? 0L : 1L, 1L), List.of(),
          "become user " + spec.uid() + ", group " + spec.gid());
    }
    // the command's own (not the init's), opened as its user, who then owns it
    tty.ifPresent(t -> plan.add(Op.TTY, List.of((long) t.columns(), (long) t.rows()), List.of(),
        "open a pseudo-terminal of " + t.columns() + "x" + t.rows() + " as the controlling terminal"));
    plan.add(Op.CHDIR, "change to the working directory " + spec.workingDirectory(), spec.workingDirectory());
    spec.limits().rlimits().forEach((resource, value) -> plan.add(Op.RLIMIT, List.of((long) RLIMITS.get(resource), value, value),
        List.of(), "set the rlimit " + resource + " to " + value));
    plan.add(Op.DROP_CAPS, keep, spec.capabilities().isEmpty() ? "drop all capabilities" : "keep only the capabilities " + spec.capabilities());
    plan.add(Op.NO_NEW_PRIVS, "set no_new_privs");
    if (landlockAbi > 0) {
      landlock(plan, spec.filesystemRules().orElseThrow(), landlockAbi);
    }
    plan.add(Op.CLOSE_FDS, "close every descriptor but 0, 1 and 2");
  }

  /**
   * Filesystem rules restrict the command alone: after INIT (the init is not under them) and after
   * no_new_privs, which landlock_restrict_self needs without CAP_SYS_ADMIN. The seccomp filters
   * (an allow-list may leave the landlock calls out) are loaded later, by EXEC. The step's ints:
   * the ABI, the rights it handles, the rights a rule on a file may hold, then one mask per path.
   */
  private static void landlock(LaunchPlan.Builder plan, FilesystemRules rules, int abi) {
    long handled = Landlock.handled(abi);
    List<Long> ints = new ArrayList<>(List.of((long) abi, handled, Landlock.FILE_RIGHTS & handled));
    List<String> paths = new ArrayList<>();
    List<String> described = new ArrayList<>();
    for (Map.Entry<String, Set<FilesystemRules.Access>> rule : rules.paths().entrySet()) {
      ints.add(Landlock.rights(rule.getValue()) & handled);
      paths.add(rule.getKey());
      described.add(rule.getKey() + " " + rule.getValue().stream().map(a -> a.name().toLowerCase()).collect(Collectors.joining("+")));
    }
    plan.add(Op.LANDLOCK, ints, paths, "restrict the filesystem with Landlock ABI " + abi + " to "
        + String.join(", ", described));
  }

}
