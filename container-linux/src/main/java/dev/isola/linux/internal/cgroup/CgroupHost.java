package dev.isola.linux.internal.cgroup;

import dev.isola.HostReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cgroup setup of this host as seen by this JVM: which controllers exist, on which hierarchy
 * (v2, or v1 on a hybrid or legacy host), and where this process's own cgroup is in each. Isola's
 * cgroups go beneath those (or beneath a configured parent); it never writes elsewhere.
 */
public final class CgroupHost {
  /** What Isola drives; {@code UNIFIED} is the v2 tree itself (freeze, kill, events, cpu.stat). */
  enum Controller {
    UNIFIED, MEMORY, PIDS, CPU, CPUACCT, CPUSET, FREEZER, IO
  }

  /** How the host mounts cgroups. */
  enum Mode {
    V2, HYBRID, V1, NONE
  }

  /** The system property naming a parent cgroup (a path inside each hierarchy) to use instead of the JVM's own. */
  static final String PARENT_PROPERTY = "isola.cgroup.parent";

  final Mode mode;
  /** Where Isola may create cgroups, per controller; absent controllers are missing. */
  final Map<Controller, Path> parents;
  /** Controllers the v2 tree offers below the parent (its cgroup.subtree_control). */
  final List<String> v2Controllers;

  CgroupHost(Mode mode, Map<Controller, Path> parents, List<String> v2Controllers) {
    this.mode = mode;
    this.parents = parents;
    this.v2Controllers = v2Controllers;
  }

  /** Reads /proc/self/mountinfo and /proc/self/cgroup. */
  public static CgroupHost detect() {
    try {
      return detect(Files.readAllLines(Path.of("/proc/self/mountinfo")), Files.readAllLines(Path.of("/proc/self/cgroup")),
          System.getProperty(PARENT_PROPERTY));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read this process's cgroups", e);
    }
  }

  static CgroupHost detect(List<String> mountinfo, List<String> cgroup, String configuredParent) {
    Path unifiedMount = null;
    Map<String, Path> v1Mounts = new java.util.HashMap<>();
    for (String line : mountinfo) {
      String[] halves = line.split(" - ", 2);
      if (halves.length < 2) {
        continue;
      }
      String[] left = halves[0].split(" ");
      String[] right = halves[1].split(" ");
      Path mountPoint = Path.of(left[4]);
      if (right[0].equals("cgroup2")) {
        unifiedMount = mountPoint;
      } else if (right[0].equals("cgroup") && right.length > 2) {
        for (String opt : right[2].split(",")) {
          v1Mounts.put(opt, mountPoint);
        }
      }
    }
    Map<String, String> ownPaths = new java.util.HashMap<>();
    for (String line : cgroup) {
      String[] f = line.split(":", 3);
      if (f.length == 3) {
        for (String c : f[1].split(",")) {
          ownPaths.put(c, f[2]);
        }
      }
    }
    Map<Controller, Path> parents = new EnumMap<>(Controller.class);
    List<String> v2Controllers = List.of();
    if (unifiedMount != null && ownPaths.containsKey("")) {
      Path parent = within(unifiedMount, configuredParent != null ? configuredParent : ownPaths.get(""));
      parents.put(Controller.UNIFIED, parent);
      v2Controllers = readWords(parent.resolve("cgroup.controllers"));
    }
    Map<Controller, String> v1Names = Map.of(Controller.MEMORY, "memory", Controller.PIDS, "pids", Controller.CPU, "cpu",
        Controller.CPUACCT, "cpuacct", Controller.CPUSET, "cpuset", Controller.FREEZER, "freezer", Controller.IO, "blkio");
    Map<Controller, String> v2Names = Map.of(Controller.MEMORY, "memory", Controller.PIDS, "pids", Controller.CPU, "cpu",
        Controller.CPUSET, "cpuset", Controller.IO, "io");
    for (Map.Entry<Controller, String> e : v1Names.entrySet()) {
      if (v2Names.containsKey(e.getKey()) && v2Controllers.contains(v2Names.get(e.getKey()))) {
        parents.put(e.getKey(), parents.get(Controller.UNIFIED));
      } else if (v1Mounts.containsKey(e.getValue()) && ownPaths.containsKey(e.getValue())) {
        parents.put(e.getKey(), within(v1Mounts.get(e.getValue()), configuredParent != null ? configuredParent : ownPaths.get(e.getValue())));
      }
    }
    Mode mode = unifiedMount == null ? (v1Mounts.isEmpty() ? Mode.NONE : Mode.V1)
        : (v1Mounts.keySet().stream().anyMatch(v1Names::containsValue) ? Mode.HYBRID : Mode.V2);
    return new CgroupHost(mode, parents, v2Controllers);
  }

  /** Whether {@code c} is driven through the v2 tree (as opposed to a v1 hierarchy). */
  boolean onV2(Controller c) {
    return parents.containsKey(c) && parents.get(c).equals(parents.get(Controller.UNIFIED));
  }

  Optional<Path> parent(Controller c) {
    return Optional.ofNullable(parents.get(c));
  }

  /** The v2 tree or the v1 hierarchies hold the same cgroup path more than once; each distinct directory once. */
  public List<Path> distinctParents() {
    return parents.values().stream().distinct().collect(java.util.stream.Collectors.toList());
  }

  private static Path within(Path mount, String path) {
    return mount.resolve(path.startsWith("/") ? path.substring(1) : path);
  }

  private static List<String> readWords(Path file) {
    try {
      String text = Files.readString(file).trim();
      return text.isEmpty() ? List.of() : List.of(text.split("\\s+"));
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * For {@code Container.doctor()}: the cgroup layout, and each controller Isola drives, with the
   * parent it would create cgroups in and whether uid {@code euid} may.
   */
  public List<HostReport.Check> checks(int euid) {
    List<HostReport.Check> checks = new ArrayList<>();
    checks.add(new HostReport.Check("cgroups", mode == Mode.NONE ? HostReport.Status.UNAVAILABLE
        : HostReport.Status.AVAILABLE, mode == Mode.NONE ? "no cgroup file system is mounted: no limit can be enforced;"
        + " mount cgroup2 on /sys/fs/cgroup" : mode.name().toLowerCase() + " (" + distinctParents().size() + " parent directories)"));
    for (Controller c : Controller.values()) {
      Optional<Path> parent = parent(c);
      String name = "cgroup " + (c == Controller.UNIFIED ? "v2 tree" : c.name().toLowerCase());
      if (parent.isEmpty()) {
        checks.add(new HostReport.Check(name, HostReport.Status.UNAVAILABLE, "this host has no "
            + c.name().toLowerCase() + " controller Isola can use: limits that need it are refused unless best-effort"));
      } else if (!Files.isWritable(parent.get())) {
        checks.add(new HostReport.Check(name, HostReport.Status.UNAVAILABLE, parent.get()
            + " is not writable by uid " + euid + ": it is not delegated to this user; run the JVM in a delegated subtree"
            + " (systemd-run --user --scope -p Delegate=yes java …)"));
      } else {
        checks.add(new HostReport.Check(name, HostReport.Status.AVAILABLE, "cgroups beneath " + parent.get()));
      }
    }
    return checks;
  }

  /** Directories named like Isola's cgroups beneath the parents, for the sweep of stale ones. */
  public List<Path> isolaCgroups() {
    List<Path> found = new ArrayList<>();
    for (Path parent : distinctParents()) {
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, "isola-*")) {
        dirs.forEach(found::add);
      } catch (IOException e) {
        // an unreadable parent holds none of ours
      }
    }
    return found;
  }

  @Override
  public String toString() {
    return "CgroupHost{" + mode + ", " + parents + ", v2 controllers " + v2Controllers + "}";
  }
}
