package dev.isola.oci.internal;

import dev.isola.ContainerStartException;
import dev.isola.Overlay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * An image's or overlay's layers as the bundle's root: an overlayfs mounted on the host (a bundle's
 * root is one directory), with an ephemeral upper layer in the bundle owned by the container's
 * root, or the caller's persistent one. Mounted and unmounted with mount(8), once per container.
 */
final class Overlays {
  private Overlays() {}

  static Path mount(Overlay overlay, Path bundle, long[] hostRoot) throws IOException {
    Path root = Files.createDirectory(bundle.resolve("rootfs"));
    Path upper = overlay.upper().orElse(null);
    if (upper == null) {
      upper = Files.createDirectory(bundle.resolve("upper"));
      Files.setAttribute(upper, "unix:uid", (int) hostRoot[0]);
      Files.setAttribute(upper, "unix:gid", (int) hostRoot[1]);
    }
    Path work = Files.createDirectory(bundle.resolve("work"));
    // overlayfs lists the upper-most lower layer first
    List<String> lowers = overlay.lower().stream().map(Path::toString).collect(Collectors.toList());
    Collections.reverse(lowers);
    String options = "lowerdir=" + String.join(":", lowers) + ",upperdir=" + upper + ",workdir=" + work;
    run(List.of("mount", "-t", "overlay", "overlay", "-o", options, root.toString()), "mount the overlay root at " + root);
    return root;
  }

  static void unmount(Path root) {
    try {
      run(List.of("umount", "-l", root.toString()), "unmount " + root);
    } catch (ContainerStartException e) {
      System.getLogger("dev.isola.oci").log(System.Logger.Level.WARNING, e.getMessage());
    }
  }

  private static void run(List<String> command, String step) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new ContainerStartException(step, String.join(" ", command) + ": " + out.strip(), -1);
      }
    } catch (IOException e) {
      throw new ContainerStartException(step, e.toString(), -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerStartException(step, "interrupted", -1);
    }
  }
}
