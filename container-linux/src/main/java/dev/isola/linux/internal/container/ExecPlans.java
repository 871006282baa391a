package dev.isola.linux.internal.container;

import dev.isola.ContainerSpec;
import dev.isola.ExecSpec;
import dev.isola.TerminalSize;
import dev.isola.linux.internal.plan.LaunchPlan;
import java.util.Optional;

/** Compiles the plan of a process run in a running container (the engine's plan compiler, for one container). */
public interface ExecPlans {
  /**
   * The plan that runs {@code exec} in the container whose first process is {@code containerPid}
   * (the host's pid), and the spec it runs under: the container's, with the exec's command,
   * environment, working directory and user.
   */
  Compiled compile(ExecSpec exec, long containerPid);

  /** A compiled exec: the spec it runs under, its plan, and its terminal if it has one (not the container's). */
  record Compiled(ContainerSpec spec, LaunchPlan plan, Optional<TerminalSize> tty) {}
}
