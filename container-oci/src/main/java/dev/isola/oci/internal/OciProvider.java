package dev.isola.oci.internal;

import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.Image;
import dev.isola.Namespace;
import dev.isola.Network;
import dev.isola.UnsupportedFeatureException;
import dev.isola.spi.ContainerRuntimeProvider;
import dev.isola.spi.RunningContainer;
import java.util.Optional;

/**
 * An OCI runtime as an Isola runtime: what of a spec a bundle can say, and the start. Chosen only
 * by name, so that installing runc never moves a spec off the linux engine.
 */
public abstract class OciProvider implements ContainerRuntimeProvider {
  private final OciRuntime runtime;

  protected OciProvider(OciRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public final String name() {
    return runtime.runtimeName;
  }

  @Override
  public final boolean selectedByDefault() {
    return false;
  }

  @Override
  public final Optional<String> unavailableReason() {
    return runtime.unavailableReason();
  }

  @Override
  public final Optional<String> supports(ContainerSpec spec) {
    if (spec.image().isPresent() && spec.image().get().layers().isEmpty()) {
      return Optional.of("an image known only by its reference (" + spec.image().flatMap(Image::reference).orElse("?")
          + "; fetch its layers with Image.pull)");
    }
    if (spec.tty().isPresent()) {
      return Optional.of("a terminal (tty)");
    }
    if (spec.network().mode() == Network.Mode.USER_MODE) {
      return Optional.of("user-mode networking with published ports (pasta is the linux runtime's)");
    }
    if (spec.timeOffsets().isPresent() || spec.namespaces().contains(Namespace.TIME)) {
      return Optional.of("a time namespace");
    }
    if (spec.filesystemRules().isPresent()) {
      return Optional.of("filesystem rules (Landlock)");
    }
    if (!spec.files().isEmpty()) {
      return Optional.of("files copied in before the start (copy them in with copyIn once it runs)");
    }
    if (spec.limits().outputBytes().isPresent()) {
      return Optional.of("an output limit");
    }
    if (!spec.namespaces().contains(Namespace.MOUNT) || !spec.namespaces().contains(Namespace.PID)) {
      return Optional.of("sharing the host's mount or PID namespace");
    }
    if (runtime == OciRuntime.GVISOR && spec.limits().pids().isPresent()) {
      return Optional.of("a pids limit on gVisor (the host sees the sandbox's kernel threads, not the container's processes:"
          + " a host pids limit would count those)");
    }
    if (spec.init()) {
      return Optional.of("an init process (the runtimes run the command itself as PID 1, which ignores the signals it has no"
          + " handler for: set init(false) to run it so)");
    }
    Optional<String> seccomp = OciSeccomp.unsupported(spec.seccomp(), spec.capabilities());
    if (seccomp.isPresent()) {
      return seccomp;
    }
    if (System.getProperty("isola.cgroup.parent") != null) {
      return Optional.of("-Disola.cgroup.parent (the runtime makes its cgroup beneath its own, the JVM's)");
    }
    return Optional.empty();
  }

  @Override
  public final RunningContainer start(ContainerSpec spec) {
    supports(spec).ifPresent(what -> {
      throw new UnsupportedFeatureException(what, "the runtime \"" + name() + "\" cannot enforce it");
    });
    unavailableReason().ifPresent(why -> {
      throw new UnsupportedFeatureException("the runtime \"" + name() + "\"", why);
    });
    return OciContainer.start(spec, runtime);
  }

  @Override
  public final IdMapping resolve(IdMapping mapping) {
    throw new UnsupportedFeatureException("id mappings resolved by the runtime \"" + name() + "\"",
        "the linux runtime resolves them; OCI runtimes take the mapping it resolves");
  }
}
