package dev.isola.linux;

import dev.isola.Container;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;

/**
 * Run in a child JVM: opens descriptors without close-on-exec before its first container, so
 * that the launch server is spawned with them, prints the server's pid, and waits to be killed.
 */
public final class LeakyJvmMain {
  private LeakyJvmMain() {}

  public static void main(String[] args) throws Exception {
    int first = -1;
    for (int i = 0; i < 100; i++) {
      int fd = LibC.open(args[1], LibC.O_RDONLY, 0);
      first = first < 0 ? fd : first;
    }
    LibC.fcntl(first, 0 /* F_DUPFD, no close-on-exec */, 4000);
    Container c = Container.builder().rootfs(Path.of(args[0])).command("sleep", "600").start();
    System.out.println("server " + ProcessHandle.of(c.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid());
    System.out.flush();
    Thread.sleep(600_000);
  }
}
