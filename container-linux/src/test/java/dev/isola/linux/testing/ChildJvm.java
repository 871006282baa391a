package dev.isola.linux.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Command lines for a second JVM that runs a main class of the tests against the built classes.
 * Public for container-images' rootless test, which gets it from this module's test jar.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public static String classPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /** {@code java -cp <class path> main args...}. */
  public static List<String> command(String classPath, Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>(List.of(java(), "-cp", classPath, main.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /**
   * A copy of the class path that any user can read, in {@code dir}: the build's own directories
   * may lie under a home that uid 65534 cannot enter.
   */
  public static String worldReadableClassPath(Path dir) {
    List<String> entries = new ArrayList<>();
    int i = 0;
    try {
      for (String entry : classPath().split(File.pathSeparator)) {
        Path source = Path.of(entry);
        if (!Files.exists(source)) {
          continue;
        }
        Path copy = dir.resolve(i++ + "-" + source.getFileName());
        try (Stream<Path> files = Files.walk(source)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Path target = copy.resolve(source.relativize(f).toString());
            if (Files.isDirectory(f)) {
              Files.createDirectories(target);
            } else {
              Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
          }
        }
        entries.add(copy.toString());
      }
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return String.join(File.pathSeparator, entries);
  }

  /** The uid of the ordinary user the rootless tests run as. */
  public static final int NOBODY = 65534;

  /**
   * Runs {@code main} in a second JVM as {@link #NOBODY} (started as root with setpriv), with a
   * world-readable copy of the class path and a temporary directory of its own, both in {@code
   * work}; returns its stdout and stderr together.
   */
  public static String runAsNobody(Path work, Class<?> main, List<String> args) {
    try {
      String classPath = worldReadableClassPath(Files.createDirectories(work.resolve("cp")));
      Path tmp = Files.createDirectories(work.resolve("tmp"));
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", Integer.toString(NOBODY), "--regid",
          Integer.toString(NOBODY), "--clear-groups", "--", java(), "-Djna.tmpdir=" + tmp, "-Djava.io.tmpdir=" + tmp,
          "-cp", classPath, main.getName()));
      cmd.addAll(args);
      return run(cmd);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code name: result} lines a second JVM printed. */
  public static Map<String, String> results(String output) {
    Map<String, String> results = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0) {
        results.put(line.substring(0, colon), line.substring(colon + 2));
      }
    }
    return results;
  }

  /** Runs to the end and returns stdout and stderr together. */
  public static String run(List<String> command) {
    return run(command, false);
  }

  /** {@link #run(List)}, failing with the output unless the command exits with 0. */
  public static String runOrFail(List<String> command) {
    return run(command, true);
  }

  private static String run(List<String> command, boolean mustSucceed) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0 && mustSucceed) {
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
