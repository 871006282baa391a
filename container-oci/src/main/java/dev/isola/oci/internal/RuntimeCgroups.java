package dev.isola.oci.internal;

import dev.isola.linux.internal.cgroup.Cgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The directories a runtime makes for {@code <ours>/ctr} in the hierarchies where Isola's cgroup
 * has none (blkio, devices, cpuset…): it removes {@code ctr} when the container ends, not the
 * parent it had to make. Removed here, so that no cgroup is left.
 */
final class RuntimeCgroups {
  private RuntimeCgroups() {}

  static void removeLeftovers(Cgroup ours) {
    String name = ours.procsFiles().get(0).getParent().getFileName().toString();
    for (Path dir : candidates(name)) {
      try {
        Files.deleteIfExists(dir.resolve("ctr"));
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        // busy: processes still dying in it; the cgroup sweep of a later start takes it
      }
    }
  }

  /** {@code <mount>/<this process's cgroup>/<name>} for every cgroup mount and every path this process has. */
  private static List<Path> candidates(String name) {
    List<Path> dirs = new ArrayList<>();
    try {
      Set<String> own = new LinkedHashSet<>();
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        own.add(line.substring(line.indexOf(':', line.indexOf(':') + 1) + 1));
      }
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        if (line.contains(" - cgroup ") || line.contains(" - cgroup2 ")) {
          Path mount = Path.of(line.split(" ")[4]);
          for (String path : own) {
            Path dir = mount.resolve(path.substring(1)).resolve(name);
            if (Files.isDirectory(dir)) {
              dirs.add(dir);
            }
          }
        }
      }
    } catch (IOException e) {
      // no /proc: nothing to find
    }
    return dirs;
  }
}
