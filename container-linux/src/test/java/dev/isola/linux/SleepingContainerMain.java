package dev.isola.linux;

import dev.isola.Container;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;

/** Run in a child JVM: starts a sleeping container, prints its pid, and waits to be killed. */
public final class SleepingContainerMain {
  private SleepingContainerMain() {}

  public static void main(String[] args) throws Exception {
    Container c = Container.builder().rootfs(Path.of(args[0])).command("sleep", "600").start();
    System.out.println("pid " + c.pid());
    System.out.flush();
    Thread.sleep(600_000);
  }
}
