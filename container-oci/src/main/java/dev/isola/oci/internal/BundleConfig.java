package dev.isola.oci.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.isola.Capability;
import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Network;
import dev.isola.linux.internal.plan.MountLayout;
import dev.isola.linux.internal.rootfs.LoginEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A spec as the runtime-spec's {@code config.json}: the process (argv, env, cwd, user, the kept
 * capabilities, rlimits, no_new_privs), the root, the mounts Isola gives every container (proc,
 * a small /dev, /dev/pts, /dev/shm, /dev/mqueue, read-only /sys, /tmp, the host view for the
 * default root) and the caller's, the namespaces and id mappings, the cgroup to join, seccomp,
 * and the masked and read-only paths Docker masks.
 */
final class BundleConfig {
  /** What the kernel exposes of the host under /proc and /sys, hidden as Docker hides it. */
  static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");
  static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  private BundleConfig() {}

  /**
   * The config for {@code spec}, whose root is at {@code rootPath}, joining the cgroup {@code
   * cgroupsPath} (relative to the runtime's own), with ids mapped by {@code mapping} when the
   * spec has a user namespace, and Isola's {@code etcFiles} (paths inside) in {@code etcDir}.
   */
  static JsonObject of(ContainerSpec spec, Path rootPath, String cgroupsPath, IdMapping mapping, Path etcDir,
      Set<String> etcFiles) {
    JsonObject config = new JsonObject();
    config.addProperty("ociVersion", "1.0.2");
    config.add("process", process(spec));
    JsonObject root = new JsonObject();
    root.addProperty("path", rootPath.toString());
    root.addProperty("readonly", spec.readOnlyRootfs());
    config.add("root", root);
    if (spec.namespaces().contains(Namespace.UTS)) {
      config.addProperty("hostname", spec.hostname().orElse("isola"));
    }
    JsonArray mounts = mounts(spec);
    for (String path : etcFiles) {
      if (takes(spec, rootPath, path)) {
        mounts.add(mount(path, "bind", etcDir.resolve(path.substring("/etc/".length())).toString(), "bind", "ro", "nosuid", "nodev", "noexec"));
      }
    }
    config.add("mounts", mounts);
    JsonObject linux = new JsonObject();
    JsonArray namespaces = new JsonArray();
    for (Namespace ns : spec.namespaces()) {
      if (ns == Namespace.NETWORK && spec.network().mode() == Network.Mode.HOST) {
        continue;
      }
      JsonObject n = new JsonObject();
      n.addProperty("type", type(ns));
      namespaces.add(n);
    }
    linux.add("namespaces", namespaces);
    if (spec.namespaces().contains(Namespace.USER)) {
      linux.add("uidMappings", mappings(mapping.uids()));
      linux.add("gidMappings", mappings(mapping.gids()));
    }
    linux.addProperty("cgroupsPath", cgroupsPath);
    OciSeccomp.of(spec.seccomp(), spec.capabilities()).ifPresent(s -> linux.add("seccomp", s));
    linux.add("maskedPaths", strings(MASKED));
    linux.add("readonlyPaths", strings(READ_ONLY));
    config.add("linux", linux);
    return config;
  }

  /**
   * Whether the root takes Isola's file at {@code path}: the runtime creates what a mount point
   * lacks, which it may in the default root (the bundle's) and a writable overlay, never in a
   * caller's rootfs; a link is left alone.
   */
  private static boolean takes(ContainerSpec spec, Path root, String path) {
    Path p = root.resolve(path.substring(1));
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || (spec.rootfs().isEmpty() && spec.overlay().isEmpty())) {
      return true;
    }
    return spec.overlay().isPresent() && !spec.readOnlyRootfs() && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)
        && Files.isDirectory(p.getParent(), LinkOption.NOFOLLOW_LINKS);
  }

  private static JsonObject process(ContainerSpec spec) {
    JsonObject process = new JsonObject();
    process.addProperty("terminal", false);
    JsonObject user = new JsonObject();
    user.addProperty("uid", spec.uid());
    user.addProperty("gid", spec.gid());
    process.add("user", user);
    process.add("args", strings(spec.command()));
    JsonArray env = new JsonArray();
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    LoginEnv.of(spec, Path.of("/"), false).forEach((k, v) -> env.add(k + "=" + v));
    process.add("env", env);
    process.addProperty("cwd", spec.workingDirectory());
    JsonArray caps = new JsonArray();
    spec.capabilities().stream().map(c -> "CAP_" + c.name()).sorted().forEach(caps::add);
    JsonObject capabilities = new JsonObject();
    for (String set : List.of("bounding", "effective", "permitted")) {
      capabilities.add(set, caps.deepCopy());
    }
    process.add("capabilities", capabilities);
    JsonArray rlimits = new JsonArray();
    for (Map.Entry<Limits.Rlimit, Long> r : spec.limits().rlimits().entrySet()) {
      JsonObject l = new JsonObject();
      l.addProperty("type", "RLIMIT_" + r.getKey().name());
      l.addProperty("hard", r.getValue());
      l.addProperty("soft", r.getValue());
      rlimits.add(l);
    }
    process.add("rlimits", rlimits);
    process.addProperty("noNewPrivileges", true);
    return process;
  }

  private static JsonArray mounts(ContainerSpec spec) {
    JsonArray mounts = new JsonArray();
    mounts.add(mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"));
    mounts.add(mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"));
    mounts.add(mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
    mounts.add(mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
    if (spec.namespaces().contains(Namespace.IPC)) {
      mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"));
    }
    boolean ownNetwork = spec.namespaces().contains(Namespace.NETWORK) && spec.network().mode() != Network.Mode.HOST;
    // sysfs may be mounted only by the owner of the network namespace: else the host's, bound read-only
    mounts.add(ownNetwork ? mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro")
        : mount("/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro"));
    if (spec.mounts().stream().noneMatch(m -> m.target().equals("/tmp"))) {
      mounts.add(mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", "size=262144k"));
    }
    if (spec.rootfs().isEmpty() && spec.overlay().isEmpty()) {
      for (String dir : MountLayout.HOST_DIRS) {
        Path p = Path.of(dir);
        if (Files.exists(p)) {
          // /bin may be a link to usr/bin: bound where the link points, at the link's name
          mounts.add(mount(dir, "bind", p.toString(), "rbind", "ro", "nosuid", "nodev"));
        }
      }
      for (String file : MountLayout.hostEtc(Path.of("/"))) {
        // a link is bound as what it leads to; /etc/mtab leads into the runtime's own /proc
        if (!realPath(Path.of(file)).startsWith("/proc")) {
          mounts.add(mount(file, "bind", file, "rbind", "ro", "nosuid", "nodev"));
        }
      }
      // root's home, as the linux runtime gives it
      if (spec.mounts().stream().noneMatch(m -> m.target().equals("/root") || m.target().startsWith("/root/"))) {
        mounts.add(mount("/root", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=0700", "size=65536k"));
      }
    }
    for (Mount m : spec.mounts()) {
      JsonArray options = new JsonArray();
      Set<Mount.Flag> flags = m.flags();
      if (m.type() == Mount.Type.BIND) {
        options.add("rbind");
      }
      options.add(m.isReadOnly() ? "ro" : "rw");
      for (Mount.Flag f : flags) {
        if (f != Mount.Flag.READ_ONLY) {
          options.add(f.name().toLowerCase().replace("_", ""));
        }
      }
      if (m.type() == Mount.Type.TMPFS && m.sizeBytes().isPresent()) {
        options.add("size=" + m.sizeBytes().getAsLong());
      }
      JsonObject o = new JsonObject();
      o.addProperty("destination", m.target());
      o.addProperty("type", m.type() == Mount.Type.BIND ? "bind" : "tmpfs");
      o.addProperty("source", m.type() == Mount.Type.BIND ? m.source().orElseThrow().toString() : "tmpfs");
      o.add("options", options);
      mounts.add(o);
    }
    return mounts;
  }

  /** Where a path of the host leads; {@code /proc} when nowhere (a dangling link binds nothing either). */
  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return Path.of("/proc");
    }
  }

  private static JsonObject mount(String destination, String type, String source, String... options) {
    JsonObject o = new JsonObject();
    o.addProperty("destination", destination);
    o.addProperty("type", type);
    o.addProperty("source", source);
    o.add("options", strings(List.of(options)));
    return o;
  }

  private static JsonArray mappings(List<IdMapping.Range> ranges) {
    JsonArray a = new JsonArray();
    for (IdMapping.Range r : ranges) {
      JsonObject o = new JsonObject();
      o.addProperty("containerID", r.containerId());
      o.addProperty("hostID", r.hostId());
      o.addProperty("size", r.count());
      a.add(o);
    }
    return a;
  }

  private static String type(Namespace ns) {
    switch (ns) {
      case MOUNT:
        return "mount";
      case NETWORK:
        return "network";
      default:
        return ns.name().toLowerCase();
    }
  }

  private static JsonArray strings(List<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  /** The host uid and gid of the container's root, who must own what it may write. */
  static long[] hostRoot(IdMapping mapping) {
    long uid = 0;
    long gid = 0;
    for (IdMapping.Range r : mapping.uids()) {
      if (r.containerId() == 0) {
        uid = r.hostId();
      }
    }
    for (IdMapping.Range r : mapping.gids()) {
      if (r.containerId() == 0) {
        gid = r.hostId();
      }
    }
    return new long[] {uid, gid};
  }
}
