package dev.isola.linux.internal.plan;

import dev.isola.ContainerSpec;
import dev.isola.TerminalSize;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.rootfs.LoginEnv;
import dev.isola.linux.internal.seccomp.SeccompCompiler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The last phase: the seccomp filters and the command. */
final class ExecPhase {
  private ExecPhase() {}

  /**
   * The seccomp filters, which EXEC loads last of all, and the command with its environment,
   * login variables included ({@code hostRoot}: the host's root, the default root's source).
   */
  static void add(LaunchPlan.Builder plan, ContainerSpec spec, Optional<TerminalSize> tty, Path hostRoot) {
    List<long[]> filters = SeccompCompiler.compile(spec.seccomp(), spec.capabilities());
    for (int i = 0; i < filters.size(); i++) {
      long[] program = filters.get(i);
      plan.add(Op.SECCOMP, program, List.of(), "load seccomp filter " + (i + 1) + " of " + filters.size()
          + " (" + program.length + " instructions)");
    }
    List<String> exec = new ArrayList<>(spec.command());
    spec.env().forEach((k, v) -> exec.add(k + "=" + v));
    LoginEnv.of(spec, hostRoot, tty.isPresent()).forEach((k, v) -> exec.add(k + "=" + v));
    plan.add(Op.EXEC, List.of((long) spec.command().size()), exec, "execute " + spec.command().get(0));
  }
}
