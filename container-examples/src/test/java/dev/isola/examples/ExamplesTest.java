package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each example as a user runs it: its own JVM, its exit code, what it prints. */
class ExamplesTest {
  @Test
  void theDemoPassesEverySection() throws Exception {
    Result r = java(List.of(), Demo.class.getName());
    assertThat(r.out).as(r.out).contains("All sections passed.");
    assertThat(r.code).isZero();
  }

  @Test
  void theDemoPassesEverySectionAsAnOrdinaryUser(@TempDir Path dir) throws Exception {
    assertThat(Files.getAttribute(Path.of("/proc/self"), "unix:uid")).as("this test starts the demo as uid " + NOBODY
        + " with setpriv, which takes root").isEqualTo(0);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Files.setAttribute(tmp, "unix:uid", NOBODY);
    // the build's class path lies beneath root's home, which nobody cannot read: a copy it can
    List<String> classPath = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path copy = dir.resolve("cp" + n++);
      copyTree(Path.of(entry), copy);
      classPath.add(copy.toString());
    }
    List<String> cmd = List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp,
        "-cp", String.join(File.pathSeparator, classPath), Demo.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("HOME", tmp.toString());
    Result r = run(pb);
    assertThat(r.out).as(r.out).contains("uid " + NOBODY + " (an ordinary user)", "All sections passed.");
    assertThat(r.code).isZero();
  }

  @Test
  void theLadderClimbsEveryRung() throws Exception {
    Result r = java(List.of(), Ladder.class.getName());
    assertThat(r.out).as(r.out).contains("Rung 6", "hostname               ladder", "interfaces             lo\n",
        "OOM_KILLED", "All sections passed.");
    assertThat(r.code).isZero();
  }

  @Test
  void runImageRunsACommandInAnImportedImage(@TempDir Path dir) throws Exception {
    Path layout = BusyboxImage.write(dir.resolve("layout"));
    List<String> props = List.of("-Disola.image.store=" + dir.resolve("store"));
    Result own = java(props, RunImage.class.getName(), layout.toString(), "sh", "-c", "echo in $(pwd); exit 3");
    assertThat(own.out).as(own.out).contains("in /root").contains("exited with code 3");
    assertThat(own.code).isEqualTo(3);
    Result usage = java(props, RunImage.class.getName());
    assertThat(usage.code).isEqualTo(2);
    assertThat(usage.out).contains("usage: RunImage IMAGE [COMMAND...]");
  }

  private record Result(int code, String out) {}

  private static Result java(List<String> props, String main, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(props);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(List.of(args));
    return run(new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))));
  }

  private static Result run(ProcessBuilder pb) throws IOException, InterruptedException {
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the example ended within 2 minutes").isTrue();
    return new Result(p.exitValue(), out);
  }

  /** The uid of the ordinary user the rootless run is made as. */
  private static final int NOBODY = 65534;

  /** A copy readable by everyone: directories 755, files 644. */
  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
          Files.copy(p, target);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    }
  }
}
