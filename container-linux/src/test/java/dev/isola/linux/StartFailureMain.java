package dev.isola.linux;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;

/** Run in a child JVM: tries to start a container and prints what the exception said. */
public final class StartFailureMain {
  private StartFailureMain() {}

  public static void main(String[] args) {
    try (Container c = Container.builder().rootfs(Path.of(args[0])).command("true").start()) {
      System.out.println("started: " + c.waitFor());
    } catch (ContainerException e) {
      System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
