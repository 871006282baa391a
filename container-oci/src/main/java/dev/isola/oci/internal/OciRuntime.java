package dev.isola.oci.internal;

import dev.isola.Network;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An OCI runtime's command line: its binary, where Debian has it, and the flags it needs. Each is
 * driven the same way ({@code run}, {@code kill}, {@code pause}, {@code resume}, {@code exec},
 * {@code delete}), with its state in a root directory of Isola's own.
 */
public enum OciRuntime {
  RUNC("runc", "runc", "runc"),
  CRUN("crun", "crun", "crun"),
  /** gVisor: the container's system calls go to a kernel in user space (the Sentry), not the host's. */
  GVISOR("gvisor", "runsc", "runsc");

  /** Where runtimes keep their state: Isola's own directory, never the runtime's default one. */
  static final Path STATE = Path.of("/run/isola-oci");

  final String runtimeName;
  final String binary;
  final String debianPackage;
  private volatile @Nullable Path found;

  OciRuntime(String runtimeName, String binary, String debianPackage) {
    this.runtimeName = runtimeName;
    this.binary = binary;
    this.debianPackage = debianPackage;
  }

  /** The binary: {@code -Disola.oci.<name>.path}, else the first on PATH. */
  Optional<Path> find() {
    Path f = found;
    if (f != null) {
      return Optional.of(f);
    }
    String configured = System.getProperty("isola.oci." + runtimeName + ".path");
    List<Path> candidates = new ArrayList<>();
    if (configured != null && !configured.isEmpty()) {
      candidates.add(Path.of(configured));
    } else {
      for (String dir : System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(File.pathSeparator)) {
        candidates.add(Path.of(dir, binary));
      }
      candidates.add(Path.of("/usr/sbin", binary));
    }
    for (Path p : candidates) {
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        found = p;
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Why this runtime cannot run here, or empty. */
  Optional<String> unavailableReason() {
    if (find().isEmpty()) {
      return Optional.of(binary + " is not installed (Debian package " + debianPackage + "), or set -Disola.oci." + runtimeName
          + ".path=/path/to/" + binary);
    }
    if (!isRoot()) {
      return Optional.of("Isola drives " + binary + " as root only; as an ordinary user, use the runtime \"linux\"");
    }
    if (this == CRUN && hybridCgroups()) {
      return Optional.of("crun refuses this host's hybrid cgroup hierarchies (cgroup v1 controllers beside a v2 tree):"
          + " \"cgroups in hybrid mode not supported\"; boot with systemd.unified_cgroup_hierarchy=1, or use runc");
    }
    return Optional.empty();
  }

  private static boolean isRoot() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
          .anyMatch(l -> l.split("\\s+")[2].equals("0"));
    } catch (IOException e) {
      return false;
    }
  }

  /** v1 controllers mounted beside a cgroup2 tree. */
  static boolean hybridCgroups() {
    try {
      List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
      boolean v2 = mounts.stream().anyMatch(l -> l.contains(" - cgroup2 ") && !l.contains(" /sys/fs/cgroup - "));
      boolean v1 = mounts.stream().anyMatch(l -> l.contains(" - cgroup "));
      return v1 && v2;
    } catch (IOException e) {
      return false;
    }
  }

  /** The runtime's global flags, before the command. */
  List<String> global(Network network) {
    List<String> args = new ArrayList<>(List.of(find().orElseThrow().toString(), "--root", STATE.resolve(runtimeName).toString()));
    if (this == GVISOR) {
      // runsc's own network stack is not Isola's to offer yet: none, or the host's
      args.add(network.mode() == Network.Mode.HOST ? "--network=host" : "--network=none");
      args.add("--oci-seccomp"); // else runsc ignores the bundle's seccomp filter
    }
    return args;
  }
}
