package dev.isola.oci.internal;

import dev.isola.ContainerSpec;
import dev.isola.Stdio;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;

/** The spec's standard streams as the runtime's own, which it hands to the container unchanged. */
final class Redirects {
  private Redirects() {}

  static void apply(ProcessBuilder pb, ContainerSpec spec) {
    pb.redirectInput(input(spec.stdin()));
    pb.redirectOutput(output(spec.stdout()));
    pb.redirectError(output(spec.stderr()));
  }

  static Redirect input(Stdio in) {
    switch (in.kind()) {
      case PIPE:
        return Redirect.PIPE;
      case INHERIT:
        return Redirect.INHERIT;
      case DISCARD:
        return Redirect.from(new File("/dev/null"));
      default:
        return Redirect.from(in.file().orElseThrow().toFile());
    }
  }

  static Redirect output(Stdio out) {
    switch (out.kind()) {
      case PIPE:
        return Redirect.PIPE;
      case INHERIT:
        return Redirect.INHERIT;
      case DISCARD:
        return Redirect.DISCARD;
      case FILE:
        return Redirect.to(out.file().orElseThrow().toFile());
      default:
        return Redirect.appendTo(out.file().orElseThrow().toFile());
    }
  }
}
