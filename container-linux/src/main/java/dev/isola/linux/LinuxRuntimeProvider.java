package dev.isola.linux;

import com.sun.jna.Platform;
import dev.isola.ContainerSpec;
import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.util.Optional;

/**
 * The Linux runtime, found by {@link java.util.ServiceLoader}. Public only for that; everything
 * else in this module is package-private.
 */
public final class LinuxRuntimeProvider implements ContainerRuntimeProvider {
  /** Loaded on first start, not when the service is listed. */
  private static final class Runtime {
    static final Launcher LAUNCHER = Launcher.load(!Boolean.getBoolean("isola.launcher.noMemfd"));
    static final Supervisor SUPERVISOR = new Supervisor();
  }

  public LinuxRuntimeProvider() {}

  @Override
  public Optional<String> unavailableReason() {
    if (!Platform.isLinux()) {
      return Optional.of("the container-linux runtime needs Linux; this is " + System.getProperty("os.name"));
    }
    if (!Platform.is64Bit()) {
      return Optional.of("the container-linux runtime needs a 64-bit JVM");
    }
    return Optional.empty();
  }

  @Override
  public RunningContainer start(ContainerSpec spec) {
    LaunchPlan plan = new PlanCompiler(Host.current()).compile(spec);
    return LinuxContainer.start(spec, plan, Runtime.LAUNCHER, Runtime.SUPERVISOR);
  }
}
