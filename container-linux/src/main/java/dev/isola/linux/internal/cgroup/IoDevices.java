package dev.isola.linux.internal.cgroup;

import dev.isola.ContainerSpec;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Overlay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The block devices a container's io limits apply to, and the lines that limit them: those that hold its root (the host's
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

  /**
   * What the cgroup's files take, file to lines, each line written alone: on v2 one {@code
   * io.max} line per disk (an unset limit is "max"); on v1 a {@code blkio.throttle} file per kind
   * of limit set, with a line per disk.
   */
  static Map<String, List<String>> throttleLines(List<String> disks, Limits limits, boolean v2) {
    List<OptionalLong> values = List.of(limits.ioReadBandwidth(), limits.ioWriteBandwidth(), limits.ioReadOps(),
        limits.ioWriteOps());
    List<String> v2Keys = List.of("rbps", "wbps", "riops", "wiops");
    List<String> v1Files = List.of("read_bps_device", "write_bps_device", "read_iops_device", "write_iops_device");
    Map<String, List<String>> files = new LinkedHashMap<>();
    for (String disk : disks) {
      if (v2) {
        StringBuilder line = new StringBuilder(disk);
        for (int i = 0; i < 4; i++) {
          line.append(' ').append(v2Keys.get(i)).append('=').append(values.get(i).isPresent() ? values.get(i).getAsLong() : "max");
        }
        files.computeIfAbsent("io.max", k -> new ArrayList<>()).add(line.toString());
      } else {
        for (int i = 0; i < 4; i++) {
          if (values.get(i).isPresent()) {
            files.computeIfAbsent("blkio.throttle." + v1Files.get(i), k -> new ArrayList<>()).add(disk + " " + values.get(i).getAsLong());
          }
        }
      }
    }
    return files;
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
