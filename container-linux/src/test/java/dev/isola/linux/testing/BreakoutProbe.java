package dev.isola.linux.testing;

import dev.isola.ContainerSpec;
import dev.isola.Mount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The escape probe of {@code src/test/c/breakout.c}, compiled static once per JVM into a
 * world-readable temporary directory (deleted when the JVM ends) and bound read-only into the
 * busybox root at {@code /data}, where it runs as {@code /data/escape}. Its lines read
 * "LABEL ok VALUE" or "LABEL errno NAME".
 */
public final class BreakoutProbe {
  public static final String PATH = "/data/escape";
  private static Path dir;

  private BreakoutProbe() {}

  /** The directory holding {@code escape} (and {@code reaper}, the subreaper of the ESC-04 test). */
  public static synchronized Path dir() {
    if (dir == null) {
      try {
        Path d = Files.createTempDirectory("isola-escape-breakout-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> TestRootfs.deleteTree(d)));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        compile("breakout.c", d.resolve("escape"));
        compile("reaper.c", d.resolve("reaper"));
        dir = d;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dir;
  }

  public static Path binary(String name) {
    return dir().resolve(name);
  }

  /** The default spec on the busybox root, running {@code sh -c script}, with the probe at /data/escape. */
  public static ContainerSpec.Builder sh(String script) {
    return Run.sh(script).mount(Mount.bind(dir(), "/data"));
  }

  public static Run run(String script) {
    return run(sh(script));
  }

  /** Runs to the end; kills the container and fails after 20 s (an attack that works may hang it). */
  public static Run run(ContainerSpec.Builder builder) {
    return Run.of(builder, Duration.ofSeconds(20));
  }

  /** The probe's "LABEL ok VALUE" / "LABEL errno NAME" lines: label → "ok VALUE" or "errno NAME". */
  public static Map<String, String> results(String stdout) {
    Map<String, String> results = new LinkedHashMap<>();
    stdout.lines().forEach(line -> {
      int ok = line.indexOf(" ok");
      int err = line.indexOf(" errno ");
      int at = ok >= 0 && (err < 0 || ok < err) ? ok : err;
      if (at > 0) {
        results.put(line.substring(0, at), line.substring(at + 1));
      }
    });
    return results;
  }

  private static void compile(String source, Path output) {
    TestRootfs.compile(source, output, "-static", "-O2");
  }
}
