package dev.isola.linux;

import dev.isola.Container;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run in a child JVM: runs {@code args[1..]} in a container with the busybox rootfs {@code
 * args[0]} and this JVM's stdout, and prints how it ended.
 */
public final class InheritedStdoutMain {
  private InheritedStdoutMain() {}

  public static void main(String[] args) throws Exception {
    try (Container c = Container.builder().rootfs(Path.of(args[0])).command(Arrays.asList(args).subList(1, args.length))
        .stdout(dev.isola.Stdio.inherit()).start()) {
      System.out.println("status " + c.waitFor());
    }
  }
}
