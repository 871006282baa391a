package dev.isola.linux.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isola.Container;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.linux.testing.HostState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar carries a launcher for amd64 and one for aarch64: each reads a real plan the same way
 * ({@code --check-plan}), the one of the other architecture under qemu's user-mode emulation, so a
 * broken cross build fails the build.
 */
class LauncherArchitecturesTest {
  private static final String HOST = System.getProperty("os.arch");
  private static final String OTHER = HOST.equals("amd64") ? "aarch64" : "amd64";
  private static final String CROSS = HOST.equals("amd64") ? "aarch64-linux-gnu-gcc" : "x86_64-linux-gnu-gcc";
  private static final String QEMU = HOST.equals("amd64") ? "qemu-aarch64-static" : "qemu-x86_64-static";

  @Test
  void bothLaunchersReadARealPlanAlike(@TempDir Path dir) throws Exception {
    Path other = HostState.launcherResource().resolveSibling("launcher-" + OTHER);
    assumeTrue(Files.exists(other) || !onPath(CROSS), "the build had no cross compiler " + CROSS + " on this machine,"
        + " so the jar holds the " + HOST + " launcher only");
    assertThat(other).as("built, since " + CROSS + " is installed").exists();
    assumeTrue(onPath(QEMU), "no " + QEMU + " on this machine to run the " + OTHER + " launcher (Debian: qemu-user-static)");

    LaunchPlan plan = new PlanCompiler(Host.current()).compile(Container.builder()
        .command("sh", "-c", "echo hi").env("A", "b").hostname("arch")
        .mount(Mount.tmpfs("/scratch", 1 << 20)).limits(Limits.builder().pids(8).build()).build());
    Path file = Files.write(dir.resolve("plan"), plan.bytes());

    Result host = run(List.of(HostState.launcherResource().toString(), "--check-plan", file.toString()));
    Result emulated = run(List.of(QEMU, other.toString(), "--check-plan", file.toString()));
    assertThat(host.code).as(host.out).isZero();
    assertThat(host.out).startsWith("plan of " + plan.steps().size() + " steps:");
    assertThat(emulated.out).isEqualTo(host.out);
    assertThat(emulated.code).isZero();

    byte[] broken = plan.bytes();
    broken[0] ^= 0x55; // the magic
    Path bad = Files.write(dir.resolve("bad"), broken);
    assertThat(run(List.of(QEMU, other.toString(), "--check-plan", bad.toString())).code).isEqualTo(1);
    assertThat(run(List.of(HostState.launcherResource().toString(), "--check-plan", bad.toString())).out)
        .contains("not a valid plan");
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  private static final class Result {
    final int code;
    final String out;

    Result(int code, String out) {
      this.code = code;
      this.out = out;
    }
  }

  private static Result run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }
}
