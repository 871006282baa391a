package dev.isola.linux.testing;

import dev.isola.ContainerSpec;
import dev.isola.Mount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The probes of the escape tests ({@code src/test/c/escape-probe.c} and {@code minimal.c}),
 * compiled once per JVM into a temporary directory that containers get read-only at {@code /data},
 * and what the host can see of a container's processes.
 */
public final class SandboxProbe {
  /** The probe inside a container built with {@link #sh(String)}. */
  public static final String PROBE = "/data/xprobe";
  /** The library-free program of CONF-03, inside. */
  public static final String MINIMAL = "/data/minimal";

  private static Path dir;

  private SandboxProbe() {}

  /** The directory holding {@code xprobe} and {@code minimal}, readable by anyone. */
  public static synchronized Path dir() {
    if (dir == null) {
      dir = build();
    }
    return dir;
  }

  /** The probe, to run on the host. */
  public static String onHost() {
    return dir().resolve("xprobe").toString();
  }

  /** {@link Run#sh(String)} with the probes at {@code /data}. */
  public static ContainerSpec.Builder sh(String script) {
    return Run.sh(script).mount(Mount.bind(dir(), "/data"));
  }

  private static Path build() {
    try {
      Path d = Files.createTempDirectory("escape-probe-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> TestRootfs.deleteTree(d)));
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
      compile(d.resolve("xprobe"), "escape-probe.c", "-O2");
      compile(d.resolve("minimal"), "minimal.c", "-O2", "-nostdlib", "-fno-stack-protector");
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void compile(Path output, String source, String... flags) throws IOException {
    List<String> all = new ArrayList<>(List.of("-static"));
    all.addAll(List.of(flags));
    TestRootfs.compile(source, output, all.toArray(new String[0]));
    Files.setPosixFilePermissions(output, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  // ---- the host's view of a container's processes ----

  /** The host pids of every live process in the pid namespace of host pid {@code pid}. */
  public static List<Long> processesInPidNamespaceOf(long pid) {
    String ns = link(Path.of("/proc/" + pid + "/ns/pid"));
    List<Long> result = new ArrayList<>();
    if (ns == null) {
      return result;
    }
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
        long other = Long.parseLong(p.getFileName().toString());
        if (ns.equals(link(p.resolve("ns/pid"))) && Leftovers.processExists(other)) {
          result.add(other);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    result.sort(null);
    return result;
  }

  /** A field of {@code /proc/PID/status} ("Uid", "PPid", "State"…), or null if the process is gone. */
  public static String status(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(field + ":")) {
          return line.substring(field.length() + 1).trim();
        }
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String link(Path p) {
    try {
      return Files.readSymbolicLink(p).toString();
    } catch (IOException e) {
      return null;
    }
  }
}
