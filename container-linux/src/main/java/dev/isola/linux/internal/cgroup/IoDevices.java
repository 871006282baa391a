package dev.isola.linux.internal.cgroup;

import dev.isola.ContainerSpec;
import dev.isola.Mount;
import dev.isola.Overlay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The block devices a container's io limits apply to: those that hold its root (the host's
 * {@code /usr} for the default root, a rootfs, an overlay's layers) and its bind mounts, each as
 * the whole disk ({@code major:minor}) that the throttle takes. tmpfs, overlayfs and other file
 * systems without a device of their own have none.
 */
public final class IoDevices {
  private IoDevices() {}

  /** {@code major:minor} of each disk, once. */
  public static List<String> of(ContainerSpec spec) {
    List<Path> paths = new ArrayList<>();
    spec.rootfs().ifPresent(paths::add);
    spec.overlay().ifPresent(o -> {
      paths.addAll(o.lower());
      o.upper().ifPresent(paths::add);
    });
    if (spec.rootfs().isEmpty() && spec.overlay().isEmpty()) {
      paths.add(Path.of("/usr"));
    }
    spec.mounts().stream().map(Mount::source).flatMap(Optional::stream).forEach(paths::add);
    Set<String> disks = new LinkedHashSet<>();
    for (Path p : paths) {
      disk(p).ifPresent(disks::add);
    }
    return List.copyOf(disks);
  }

  /** The disk that holds {@code path}; empty for a file system on no block device. */
  static Optional<String> disk(Path path) {
    try {
      long dev = ((Number) Files.getAttribute(path, "unix:dev")).longValue();
      // glibc's major() and minor()
      long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
      long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
      Path block = Path.of("/sys/dev/block/" + major + ":" + minor);
      if (!Files.exists(block)) {
        return Optional.empty();
      }
      if (Files.exists(block.resolve("partition"))) {
        // the throttle takes whole disks: a partition's is its parent directory in sysfs
        return Optional.of(Files.readString(block.toRealPath().getParent().resolve("dev")).trim());
      }
      return Optional.of(major + ":" + minor);
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // gone, or unreadable: not a device the limit can name
    }
  }
}
