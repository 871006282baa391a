package dev.isola.linux.testing;

import dev.isola.linux.internal.plan.Host;
import dev.isola.linux.internal.plan.IdMaps;
import dev.isola.linux.internal.rootfs.RootLayers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A busybox root file system for tests, built once per JVM from Debian's busybox-static, in a
 * world-readable temporary directory (the rootless tests run as uid 65534) that is deleted when
 * the JVM ends.
 */
public final class TestRootfs {
  private static final Path BUSYBOX = Path.of("/bin/busybox");
  private static Path busybox;

  private TestRootfs() {}

  public static synchronized Path busybox() {
    if (busybox == null) {
      busybox = build();
    }
    return busybox;
  }

  private static Path build() {
    if (!Files.isExecutable(BUSYBOX) || !isStatic(BUSYBOX)) {
      throw new IllegalStateException("the tests need a static busybox at " + BUSYBOX
          + ": install Debian's busybox-static (scripts/install-test-deps does)");
    }
    try {
      Path root = Files.createTempDirectory("isola-test-rootfs-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
      for (String dir : new String[] {"bin", "proc", "dev", "tmp", "etc", "data", "root"}) {
        Files.createDirectories(root.resolve(dir));
      }
      Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.copy(BUSYBOX, root.resolve("bin/busybox"));
      Process list = new ProcessBuilder(BUSYBOX.toString(), "--list").start();
      for (String applet : new String(list.getInputStream().readAllBytes()).split("\n")) {
        if (!applet.isBlank() && !applet.equals("busybox")) {
          Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
        }
      }
      list.waitFor();
      compile("probe.c", root.resolve("bin/probe"), "-static", "-O2"); // static: it runs in any root
      Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
      Files.writeString(root.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
      Files.writeString(root.resolve("etc/marker"), "inside the test rootfs\n");
      Files.writeString(root.resolve("bin/not-executable"), "#!/bin/sh\necho should not run\n");
      Files.setPosixFilePermissions(root.resolve("bin/not-executable"), PosixFilePermissions.fromString("rw-r--r--"));
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Compiles the test program {@code src/test/c/<source>} with the system's cc. */
  public static void compile(String source, Path output, String... flags) {
    Path src = Path.of(System.getProperty("basedir", "."), "src/test/c", source);
    List<String> cmd = new ArrayList<>(List.of("cc"));
    cmd.addAll(List.of(flags));
    cmd.addAll(List.of("-o", output.toString(), src.toString()));
    try {
      Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String log = new String(cc.getInputStream().readAllBytes());
      if (cc.waitFor() != 0) {
        throw new IllegalStateException("cannot compile the test program " + src + " (needs cc and libc6-dev): " + log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean isStatic(Path file) {
    try {
      // a dynamic ELF has a PT_INTERP naming the loader
      return !new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux")
          && !new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1).contains("/lib/ld-linux");
    } catch (IOException e) {
      return false;
    }
  }

  /** The host uid and gid of a default container's root, who owns an image's files. */
  public static long[] containerRootIds() {
    return IdMaps.rootIds(dev.isola.Container.builder().command("true").build(), Host.current());
  }

  /**
   * A copy of the busybox root at {@code dir/lower}, owned by a default container's root as an
   * image's layers are, that a test may damage without damaging the others'.
   */
  public static Path ownedCopy(Path dir) throws IOException {
    Path lower = dir.resolve("lower");
    RootLayers.copyTree(busybox(), lower, containerRootIds());
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    return lower;
  }

  public static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort at exit
        }
      });
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
