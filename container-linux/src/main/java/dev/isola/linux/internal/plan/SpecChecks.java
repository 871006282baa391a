package dev.isola.linux.internal.plan;

import static dev.isola.linux.internal.plan.MountLayout.STAGING;
import static dev.isola.linux.internal.plan.MountLayout.boundFromHost;
import static dev.isola.linux.internal.plan.MountLayout.neededTargets;
import static dev.isola.linux.internal.plan.MountLayout.outer;

import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.IdMapping;
import dev.isola.Image;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Network;
import dev.isola.Overlay;
import dev.isola.Stdio;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.net.Pasta;
import dev.isola.linux.internal.net.UserModeHelper;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.rootfs.RootView;
import dev.isola.linux.internal.seccomp.SeccompCompiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * What only the host can tell about a spec, checked before anything is made: do its paths exist,
 * may this user map those ids, does the kernel have what it asks for.
 */
final class SpecChecks {
  private final Host host;
  private final Path hostRoot;
  private final IntSupplier landlockProbe;

  SpecChecks(Host host, Path hostRoot, IntSupplier landlockProbe) {
    this.host = host;
    this.hostRoot = hostRoot;
    this.landlockProbe = landlockProbe;
  }

  /** Throws naming what in {@code spec} this host or user cannot do; creates nothing. */
  void check(ContainerSpec spec) {
    if (!host.isRoot() && !spec.namespaces().contains(Namespace.USER)) {
      throw new UnsupportedFeatureException("sharing the host's user namespace",
          "an ordinary user (uid " + host.euid + ") can create the other namespaces only inside a new user namespace");
    }
    checkHostPaths(spec);
    if (spec.namespaces().contains(Namespace.USER)) {
      IdMaps maps = IdMaps.resolve(spec.idMapping(), host);
      checkUser(spec, maps);
      spec.image().ifPresent(image -> checkImageOwner(image, maps));
    } else if (spec.image().isPresent() && !spec.image().get().idMapping().equals(IdMapping.hostRoot())) {
      throw new UnsupportedFeatureException("an image in the host's user namespace", "the image's files are owned for "
          + spec.image().get().idMapping() + ", which only a container with that id mapping sees as their owners");
    }
    if (spec.namespaces().contains(Namespace.TIME) && !Files.exists(Path.of("/proc/self/ns/time"))) {
      throw new UnsupportedFeatureException("a time namespace (timeOffsets)", "this kernel ("
          + System.getProperty("os.version") + ") has none; it needs Linux 5.6 or later with CONFIG_TIME_NS");
    }
    if (spec.network().mode() == Network.Mode.USER_MODE) {
      UserModeHelper.find();
      Pasta.checkTun(host.euid);
    }
    if (spec.tty().isPresent() && spec.limits().outputBytes().isPresent()) {
      throw new UnsupportedFeatureException("an output limit on a terminal", "the captured output is read from pipes;"
          + " a terminal's output is not captured. Drop tty(...) or outputBytes(...)");
    }
    SeccompCompiler.compile(spec.seccomp(), spec.capabilities());
    spec.filesystemRules().ifPresent(rules -> Landlock.abiFor(rules, landlockProbe.getAsInt()));
  }

  private static void checkUser(ContainerSpec spec, IdMaps maps) {
    if (!mapped(maps.uids(), spec.uid()) || !mapped(maps.gids(), spec.gid())) {
      throw new UnsupportedFeatureException("running as user " + spec.uid() + ":" + spec.gid(),
          "the container's id mapping " + spec.idMapping() + " maps only uids " + maps.uids() + " and gids " + maps.gids()
              + " (container id -> host id x count); map more ids, for example with IdMapping.subordinate()");
    }
  }

  private static boolean mapped(List<IdMapping.Range> ranges, long id) {
    return ranges.stream().anyMatch(r -> id >= r.containerId() && id < r.containerId() + r.count());
  }

  private void checkImageOwner(Image image, IdMaps maps) {
    IdMapping container = IdMapping.of(maps.uids(), maps.gids());
    IdMaps owner = IdMaps.resolve(image.idMapping(), host);
    if (!container.covers(IdMapping.of(owner.uids(), owner.gids()))) {
      throw new UnsupportedFeatureException("running image " + image.id() + " with " + container,
          "its files are owned for the id mapping " + owner.uids() + " (uids) " + owner.gids()
              + " (gids), which this container's mapping does not contain: its files would belong to nobody;"
              + " load the image into a store for this mapping");
    }
  }

  /** What only the host can tell, checked before anything starts. */
  private void checkHostPaths(ContainerSpec spec) {
    checkCpus(spec.limits());
    if (!Files.isDirectory(hostRoot.resolve(STAGING.substring(1)), LinkOption.NOFOLLOW_LINKS)) {
      throw new UnsupportedFeatureException("starting a container", "the host has no directory " + STAGING + " to stage the root in");
    }
    for (int i = 0; i < spec.mounts().size(); i++) {
      Mount outer = outer(spec.mounts(), i);
      String target = spec.mounts().get(i).target();
      if (outer != null && outer.type() == Mount.Type.BIND) {
        // beneath a bind, the mount point must exist in the bind's source
        String inside = target.substring(outer.target().length());
        checkTarget(outer.source().orElseThrow(), inside, "the bind source " + outer.source().orElseThrow() + " of " + outer.target());
      } else if (outer == null && spec.rootfs().isEmpty() && boundFromHost(target)) {
        checkTarget(hostRoot, target, "the host");
      }
    }
    for (Path lower : spec.overlay().map(Overlay::lower).orElse(List.of())) {
      if (!Files.isDirectory(lower)) {
        throw invalid("overlay lower directory " + lower + (Files.exists(lower) ? " is not a directory" : " does not exist"));
      }
    }
    if (spec.overlay().isPresent() && spec.readOnlyRootfs()) {
      // nothing can be made in a read-only root: what Isola mounts on must be in a layer
      RootView view = new RootView(RootLayers.reversed(spec.overlay().get().lower()));
      for (String target : neededTargets(spec)) {
        if (view.find(target).isEmpty()) {
          throw invalid("the read-only overlay root has no " + target + " to mount on; add it to a layer");
        }
      }
    }
    if (spec.rootfs().isPresent()) {
      Path rootfs = spec.rootfs().get();
      try {
        if (!Files.readAttributes(rootfs, BasicFileAttributes.class).isDirectory()) {
          throw invalid("rootfs " + rootfs + " is not a directory");
        }
      } catch (IOException e) {
        throw invalid("rootfs " + rootfs + " does not exist");
      }
      // every missing mount point at once: a user should not learn of them one start at a time
      List<String> missing = new java.util.ArrayList<>();
      for (String target : neededTargets(spec)) {
        boolean symlink;
        try {
          symlink = checkTarget(rootfs, target, "the root " + rootfs);
        } catch (ContainerStartException e) {
          missing.add(target);
          continue;
        }
        // Isola mounts /proc, /dev and /tmp itself: a symlink there is a rootfs trying to redirect it (FS-02)
        if (symlink && List.of("/proc", "/dev", "/tmp").contains(target)) {
          throw invalid("the root " + rootfs + " has a symlink at " + target + "; Isola mounts " + target + " itself and needs a directory there");
        }
      }
      if (!missing.isEmpty()) {
        throw invalid("the root " + rootfs + " has no " + String.join(", ", missing) + " to mount on; create "
            + (missing.size() == 1 ? "it" : "them") + " (mkdir -p" + missing.stream().map(t -> " " + rootfs.resolve(t.substring(1)))
            .collect(java.util.stream.Collectors.joining()) + "), or run on an overlay of it (Overlay.ephemeral), whose"
            + " upper layer takes the mount points");
      }
    }
    for (Mount m : spec.mounts()) {
      m.source().ifPresent(s -> {
        if (!Files.exists(s)) {
          throw invalid("bind source " + s + " does not exist (mount on " + m.target() + ")");
        }
      });
    }
    for (Stdio s : List.of(spec.stdin(), spec.stdout(), spec.stderr())) {
      s.file().ifPresent(f -> {
        Path parent = f.toAbsolutePath().getParent();
        if (s == spec.stdin() ? !Files.isReadable(f) : parent != null && !Files.isDirectory(parent)) {
          throw invalid("stdio file " + f + (s == spec.stdin() ? " is not readable" : " is in a directory that does not exist"));
        }
      });
    }
  }

  private void checkCpus(Limits limits) {
    if (limits.cpus().isEmpty() && limits.cpuset().isEmpty()) {
      return;
    }
    Set<Integer> online = new java.util.TreeSet<>();
    try {
      for (String range : Files.readString(hostRoot.resolve("sys/devices/system/cpu/online")).trim().split(",")) {
        String[] ends = range.split("-");
        for (int c = Integer.parseInt(ends[0]); c <= Integer.parseInt(ends[ends.length - 1]); c++) {
          online.add(c);
        }
      }
    } catch (IOException | NumberFormatException e) {
      throw invalid("cannot read the host's CPUs from /sys/devices/system/cpu/online: " + e);
    }
    if (limits.cpus().isPresent() && limits.cpus().getAsDouble() > online.size()) {
      throw invalid("a CPU limit of " + limits.cpus().getAsDouble() + " CPUs is more than this host's " + online.size());
    }
    for (int c : limits.cpuset()) {
      if (!online.contains(c)) {
        throw invalid("the cpuset names CPU " + c + ", which this host does not have (online: " + online + ")");
      }
    }
  }

  /**
   * A mount point in a caller's rootfs must exist: Isola does not write into it. One look at each
   * part of {@code target}; true when a part is a symlink, which ends the check (the launcher
   * resolves it inside the root).
   */
  private static boolean checkTarget(Path base, String target, String where) {
    Path p = base;
    for (String part : target.substring(1).split("/")) {
      p = p.resolve(part);
      try {
        if (Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isSymbolicLink()) {
          return true;
        }
      } catch (IOException e) {
        throw invalid(where + " has no " + target + " to mount on; create it (" + base.resolve(target.substring(1)) + ")");
      }
    }
    return false;
  }

  private static ContainerStartException invalid(String what) {
    return new ContainerStartException("check the spec against the host", what, -1);
  }
}
