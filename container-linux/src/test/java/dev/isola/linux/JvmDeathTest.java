package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A container must not outlive the JVM that started it (REL-01). */
class JvmDeathTest {
  @Test
  void theContainerDiesWhenTheJvmIsKilled() throws Exception {
    Process jvm = new ProcessBuilder(ChildJvm.command(ChildJvm.classPath(), SleepingContainerMain.class,
        TestRootfs.busybox().toString())).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream()));
      String line = out.readLine();
      assertThat(line).as("child JVM said").startsWith("pid ");
      long pid = Long.parseLong(line.substring(4).trim());
      assertThat(Leftovers.processExists(pid)).isTrue();

      jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      jvm.waitFor();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (Leftovers.processExists(pid) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(Leftovers.processExists(pid)).as("container process " + pid + " after the JVM died").isFalse();
    } finally {
      jvm.destroyForcibly();
    }
  }
}
