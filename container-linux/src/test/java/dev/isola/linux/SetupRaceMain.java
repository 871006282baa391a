package dev.isola.linux;

import dev.isola.Container;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;

/**
 * Run in a child JVM for ESC-04: starts containers back to back in three threads, never closing
 * them, so that whenever the test kills this JVM (or the launchers) some container is in the
 * middle of its setup. Prints "go" once the first one runs.
 */
public final class SetupRaceMain {
  private SetupRaceMain() {}

  public static void main(String[] args) throws Exception {
    Path rootfs = Path.of(args[0]);
    Container.builder().rootfs(rootfs).command("sleep", "600").start();
    System.out.println("go");
    System.out.flush();
    for (int t = 0; t < 3; t++) {
      new Thread(() -> {
        for (;;) {
          try {
            Container.builder().rootfs(rootfs).command("sleep", "600").start();
          } catch (RuntimeException e) {
            // a launcher killed by the test: the start fails, and the next one begins
          }
        }
      }).start();
    }
    Thread.sleep(600_000);
  }
}
