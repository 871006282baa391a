package dev.isola.linux.internal.plan;

import static dev.isola.linux.internal.plan.MountLayout.HOST_DIRS;
import static dev.isola.linux.internal.plan.MountLayout.hostEtc;
import static dev.isola.linux.internal.plan.MountLayout.MS_BIND;
import static dev.isola.linux.internal.plan.MountLayout.MS_NODEV;
import static dev.isola.linux.internal.plan.MountLayout.MS_NOEXEC;
import static dev.isola.linux.internal.plan.MountLayout.MS_NOSUID;
import static dev.isola.linux.internal.plan.MountLayout.MS_PRIVATE;
import static dev.isola.linux.internal.plan.MountLayout.MS_RDONLY;
import static dev.isola.linux.internal.plan.MountLayout.MS_REC;
import static dev.isola.linux.internal.plan.MountLayout.NEW;
import static dev.isola.linux.internal.plan.MountLayout.OLD;
import static dev.isola.linux.internal.plan.MountLayout.STAGING;
import static dev.isola.linux.internal.plan.MountLayout.boundFromHost;
import static dev.isola.linux.internal.plan.MountLayout.outer;

import dev.isola.Capability;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.SeccompPolicy;
import dev.isola.linux.internal.rootfs.EtcFiles;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.rootfs.RootLayers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The second phase: the container's root, built the way bubblewrap builds one. A private mount
 * table; a staging tmpfs on {@code /tmp} that becomes the root, with the host's root under {@code
 * /oldroot}; the container's root built at {@code /newroot} from binds of {@code /oldroot/...}
 * (so any host path can be a source, even one under {@code /tmp}), or an overlay of its layers;
 * then the host's root detached and a second pivot into {@code /newroot}. Targets are resolved
 * by the launcher beneath {@code /newroot}, never following a symlink out.
 */
final class RootPhase {
  static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");
  /** Hidden under an empty file or read-only tmpfs, as Docker does (catalog 2.3, FS-10, FS-14). */
  static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
      "/proc/keys", "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats");
  /** Read-only, as Docker does (catalog 2.4, FS-11). */
  static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /** Where the staging tmpfs holds the {@link EtcFiles} until they are bound into the root. */
  static final String ETC_STAGING = "/etc-files";

  /** The descriptor of the first directory of an overlay root, opened by the clone. */
  static final int FIRST_LAYER_FD = 16;

  private final Path hostRoot;

  RootPhase(Path hostRoot) {
    this.hostRoot = hostRoot;
  }

  /**
   * Opens the root's layers, while the file system uid is still the caller's (see child.c,
   * do_open_path): the clone reaches them through these descriptors.
   */
  static void openLayers(LaunchPlan.Builder plan, RootLayers l) {
    List<Path> dirs = layerDirs(l);
    for (int i = 0; i < dirs.size(); i++) {
      plan.add(Op.OPEN_PATH, FIRST_LAYER_FD + i, "open the root's layer " + dirs.get(i), dirs.get(i).toString());
    }
  }

  /** From the staging root to the container's own: its root, /proc, /dev, masks, mounts, the pivot. */
  void build(LaunchPlan.Builder plan, ContainerSpec spec, Optional<RootLayers> layers) {
    stage(plan);
    Map<String, String> etc = EtcFiles.of(spec, hostRoot);
    stageEtcFiles(plan, etc);
    if (layers.isPresent()) {
      overlayRoot(plan, layers.get(), spec.readOnlyRootfs(), spec.limits().writableRootBytes());
    } else {
      root(plan, spec);
    }
    plan.add(Op.SET_ROOT, "resolve paths inside the new root", NEW, OLD + "/proc");
    // a root of the container's own takes the files it lacks; a rootfs directory is the
    // caller's, and is never written
    boolean defaultRoot = spec.rootfs().isEmpty() && layers.isEmpty();
    long create = defaultRoot || (layers.isPresent() && !spec.readOnlyRootfs()) ? 1 : 0;
    for (String path : etc.keySet()) {
      plan.add(Op.BIND_FILE, create, "bind Isola's " + path + " over the root's", ETC_STAGING + path.substring(4), path);
    }
    if (layers.isPresent() && !spec.readOnlyRootfs()) {
      // an image need not have them; made inside the root, so that no link in it leads out
      for (String dir : List.of("/proc", "/dev", "/tmp")) {
        plan.add(Op.MKDIR, 0755, "create " + dir, dir);
      }
      for (int i = 0; i < spec.mounts().size(); i++) {
        if (outer(spec.mounts(), i) == null) {
          mountPoint(plan, spec.mounts().get(i), "/", "");
        }
      }
    }
    proc(plan, spec.namespaces().contains(Namespace.PID));
    dev(plan);
    for (String path : MASKED) {
      plan.add(Op.MASK, "mask " + path, path, OLD + "/dev/null");
    }
    if (spec.namespaces().contains(Namespace.USER) && spec.seccomp().base() == SeccompPolicy.Base.DEFAULT
        && !spec.capabilities().contains(Capability.SYS_ADMIN)) {
      // nested user namespaces are the way into most kernel exploits (SYS-01); the filter forbids
      // them already, and the limit holds even where a future kernel opens another way
      plan.add(Op.WRITE, "allow no user namespaces inside the container", "/proc/sys/user/max_user_namespaces", "0");
    }
    for (String path : READ_ONLY) {
      plan.add(Op.READ_ONLY, "make " + path + " read-only", path);
    }
    if (spec.mounts().stream().noneMatch(m -> m.target().equals("/tmp"))) {
      plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount a tmpfs on /tmp", "tmpfs", "/tmp", "tmpfs",
          "mode=1777,size=256m");
    }
    if (defaultRoot && spec.mounts().stream().noneMatch(m -> m.target().equals("/root") || m.target().startsWith("/root/"))) {
      // root's home, which a login gives it and programs write their caches and settings to
      plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount a tmpfs on /root", "tmpfs", "/root", "tmpfs", "mode=0700,size=64m");
    }
    for (int i = 0; i < spec.mounts().size(); i++) {
      Mount m = spec.mounts().get(i);
      Mount outer = outer(spec.mounts(), i);
      if (outer != null && outer.type() == Mount.Type.TMPFS) {
        // the outer tmpfs is new and empty: the mount point is made in it, once it is mounted
        mountPoint(plan, m, outer.target(), "");
      }
      mount(plan, m);
    }
    plan.add(Op.REMOUNT, MS_RDONLY, "make /dev read-only", "/dev");
    // writable or not, the root holds no device node the container may open and no setuid
    // program (DEV-02, CAP-02): a rootfs unpacked by root may hold both
    if (spec.readOnlyRootfs()) {
      plan.add(Op.REMOUNT, MS_RDONLY | MS_NOSUID | MS_NODEV, "make the root read-only", "/");
    } else {
      plan.add(Op.REMOUNT, MS_NOSUID | MS_NODEV, "make the root nosuid,nodev", "/");
    }
    // the staging root goes, with the host's root beneath it, in one unmount (each waits for an
    // RCU grace period: detaching /oldroot first cost a second one)
    plan.add(Op.PIVOT_ROOT, "pivot into the container's root, detaching the host's", NEW, ".");
    plan.add(Op.SET_ROOT, "use the container's /proc", "", "/proc");
  }

  /** The directories OPEN_PATH opens: the lower layers, lowest first, then upper and work. */
  private static List<Path> layerDirs(RootLayers l) {
    List<Path> dirs = new ArrayList<>(l.lower);
    l.upperParent.ifPresent(p -> {
      dirs.add(p.resolve("upper"));
      dirs.add(p.resolve("work"));
    });
    return dirs;
  }

  /**
   * Mounts the overlay at {@code /newroot}. The layers are reached through the descriptors
   * OPEN_PATH opened, by their numbers relative to {@code /proc/self/fd}: short enough for a page
   * of mount options with hundreds of layers. {@code userxattr}: whiteouts and opaque directories
   * as overlayfs in a user namespace keeps them (Linux 5.11 and later).
   */
  private static void overlayRoot(LaunchPlan.Builder plan, RootLayers l, boolean readOnly, long upperBytes) {
    int n = l.lower.size();
    List<String> lower = new ArrayList<>();
    for (int i = n - 1; i >= 0; i--) {
      lower.add(Integer.toString(FIRST_LAYER_FD + i));
    }
    String upper = Integer.toString(FIRST_LAYER_FD + n);
    String work = Integer.toString(FIRST_LAYER_FD + n + 1);
    if (l.upperInContainer) {
      plan.add(Op.MKDIR, 0755, "create /layer", "/layer");
      plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount the tmpfs of the upper layer", "tmpfs", "/layer", "tmpfs",
          "mode=0755,size=" + upperBytes);
      plan.add(Op.MKDIR, 0755, "create /layer/upper", "/layer/upper");
      plan.add(Op.MKDIR, 0700, "create /layer/work", "/layer/work");
      upper = "/layer/upper";
      work = "/layer/work";
    }
    plan.add(Op.CHDIR, "change to the descriptors of the root's layers", OLD + "/proc/self/fd");
    String lowerdir = "userxattr,lowerdir=" + String.join(":", lower);
    if (!readOnly) {
      plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount the overlay root (" + n + " lower layers)", "overlay", NEW, "overlay",
          lowerdir + ",upperdir=" + upper + ",workdir=" + work);
    } else if (n > 1) {
      plan.add(Op.MOUNT, MS_RDONLY | MS_NOSUID | MS_NODEV, "mount the read-only overlay root (" + n + " layers)",
          "overlay", NEW, "overlay", lowerdir);
    } else {
      plan.add(Op.MOUNT, MS_BIND | MS_REC, "bind the root's only layer " + l.lower.get(0),
          OLD + "/proc/self/fd/" + FIRST_LAYER_FD, NEW, "", "");
    }
    plan.add(Op.CHDIR, "change back to /", "/");
    List<Long> fds = new ArrayList<>();
    for (int i = 0; i < layerDirs(l).size(); i++) {
      fds.add((long) FIRST_LAYER_FD + i);
    }
    plan.add(Op.CLOSE, fds, List.of(), "close the descriptors of the root's layers");
  }

  /**
   * Writes the {@link EtcFiles} to the staging tmpfs, whence they are bound into the root: they
   * stay, as the bind holds them, once the staging root is gone.
   */
  private static void stageEtcFiles(LaunchPlan.Builder plan, Map<String, String> files) {
    if (files.isEmpty()) {
      return;
    }
    plan.add(Op.MKDIR, 0755, "create " + ETC_STAGING, ETC_STAGING);
    files.forEach((path, content) -> {
      String staged = ETC_STAGING + path.substring(4);
      plan.add(Op.MKFILE, 0644, "create " + staged, staged);
      plan.add(Op.WRITE, "write Isola's " + path, staged, content);
    });
  }

  /** A private mount table and a staging root, with the host's root at {@code /oldroot}. */
  private static void stage(LaunchPlan.Builder plan) {
    plan.add(Op.MOUNT, MS_REC | MS_PRIVATE, "make the mount table private", "", "/", "", "");
    plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount the staging tmpfs on " + STAGING, "tmpfs", STAGING, "tmpfs", "mode=0755,size=64k");
    plan.add(Op.MKDIR, 0755, "create " + STAGING + NEW, STAGING + NEW);
    plan.add(Op.MKDIR, 0755, "create " + STAGING + OLD, STAGING + OLD);
    plan.add(Op.PIVOT_ROOT, "pivot into the staging tmpfs", STAGING, OLD.substring(1));
    plan.add(Op.SET_ROOT, "use the host's /proc under " + OLD, "", OLD + "/proc");
  }

  private void root(LaunchPlan.Builder plan, ContainerSpec spec) {
    if (spec.rootfs().isPresent()) {
      Path rootfs = spec.rootfs().get();
      plan.add(Op.MOUNT, MS_BIND | MS_REC, "bind the rootfs " + rootfs, OLD + rootfs, NEW, "", "");
      return;
    }
    plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount the root tmpfs", "tmpfs", NEW, "tmpfs", "mode=0755,size=1m");
    List<String> entries = new ArrayList<>(HOST_DIRS);
    entries.add("/etc");
    entries.addAll(hostEtc(hostRoot));
    Set<String> made = new HashSet<>();
    for (String path : entries) {
      Path onHost = hostPath(path);
      // /etc/ssl/certs, but not the rest of /etc/ssl: the directories on the way are the root's own
      for (int i = path.indexOf('/', 1); path.startsWith("/etc") && i > 0; i = path.indexOf('/', i + 1)) {
        if (made.add(path.substring(0, i))) {
          plan.add(Op.MKDIR, 0755, "create " + path.substring(0, i), NEW + path.substring(0, i));
        }
      }
      if (path.equals("/etc")) {
        if (made.add(path)) {
          plan.add(Op.MKDIR, 0755, "create /etc", NEW + path);
        }
      } else if (Files.isSymbolicLink(onHost)) {
        String link = readLink(onHost);
        plan.add(Op.SYMLINK, "link " + path + " to " + link, link, NEW + path);
      } else if (Files.isDirectory(onHost, LinkOption.NOFOLLOW_LINKS)) {
        plan.add(Op.MKDIR, 0755, "create " + path, NEW + path);
        bindReadOnly(plan, OLD + path, NEW + path, "bind the host's " + path);
      } else if (Files.isRegularFile(onHost, LinkOption.NOFOLLOW_LINKS)) {
        plan.add(Op.MKFILE, 0644, "create " + path, NEW + path);
        bindReadOnly(plan, OLD + path, NEW + path, "bind the host's " + path);
      }
    }
    for (String dir : List.of("/proc", "/dev", "/tmp")) {
      plan.add(Op.MKDIR, 0755, "create " + dir, NEW + dir);
    }
    plan.add(Op.MKDIR, 0700, "create /root", NEW + "/root");
    for (int i = 0; i < spec.mounts().size(); i++) {
      Mount m = spec.mounts().get(i);
      // beneath a host bind, the target was checked to exist: nothing is ever created through one
      if (!boundFromHost(m.target()) && outer(spec.mounts(), i) == null) {
        mountPoint(plan, m, "/", NEW);
      }
    }
  }

  /** Creates {@code m}'s mount point and the directories on the way, below {@code from}. */
  private static void mountPoint(LaunchPlan.Builder plan, Mount m, String from, String prefix) {
    String target = m.target();
    for (int i = target.indexOf('/', from.length() + 1); i > 0; i = target.indexOf('/', i + 1)) {
      plan.add(Op.MKDIR, 0755, "create " + target.substring(0, i), prefix + target.substring(0, i));
    }
    boolean file = m.source().map(s -> !Files.isDirectory(s)).orElse(false);
    plan.add(file ? Op.MKFILE : Op.MKDIR, file ? 0644 : 0755, "create the mount point " + target, prefix + target);
  }

  private static void bindReadOnly(LaunchPlan.Builder plan, String source, String target, String what) {
    plan.add(Op.MOUNT, MS_BIND | MS_REC, what, source, target, "", "");
    plan.add(Op.REMOUNT, MS_RDONLY | MS_NOSUID | MS_NODEV, "make " + target.substring(NEW.length()) + " read-only", target);
  }

  private static void proc(LaunchPlan.Builder plan, boolean newPid) {
    if (newPid) {
      plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV | MS_NOEXEC, "mount a new proc on /proc", "proc", "/proc", "proc", "");
    } else {
      plan.add(Op.MOUNT, MS_BIND | MS_REC, "bind the host's /proc (the pid namespace is shared)", OLD + "/proc", "/proc", "", "");
    }
  }

  private static void dev(LaunchPlan.Builder plan) {
    plan.add(Op.MOUNT, MS_NOSUID | MS_NOEXEC, "mount a tmpfs on /dev", "tmpfs", "/dev", "tmpfs",
        "mode=0755,size=64k");
    for (String d : DEVICES) {
      plan.add(Op.MKFILE, 0666, "create /dev/" + d, "/dev/" + d);
      plan.add(Op.MOUNT, MS_BIND, "bind the host's /dev/" + d, OLD + "/dev/" + d, "/dev/" + d, "", "");
      plan.add(Op.REMOUNT, MS_NOSUID | MS_NOEXEC, "set nosuid,noexec on /dev/" + d, "/dev/" + d);
    }
    plan.add(Op.MKDIR, 0755, "create /dev/pts", "/dev/pts");
    plan.add(Op.MOUNT, MS_NOSUID | MS_NOEXEC, "mount a new devpts on /dev/pts", "devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620");
    plan.add(Op.SYMLINK, "link /dev/ptmx", "pts/ptmx", "/dev/ptmx");
    plan.add(Op.MKDIR, 01777, "create /dev/shm", "/dev/shm");
    plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV | MS_NOEXEC, "mount a tmpfs on /dev/shm", "tmpfs", "/dev/shm", "tmpfs", "mode=1777,size=64m");
    plan.add(Op.SYMLINK, "link /dev/fd", "/proc/self/fd", "/dev/fd");
    plan.add(Op.SYMLINK, "link /dev/stdin", "/proc/self/fd/0", "/dev/stdin");
    plan.add(Op.SYMLINK, "link /dev/stdout", "/proc/self/fd/1", "/dev/stdout");
    plan.add(Op.SYMLINK, "link /dev/stderr", "/proc/self/fd/2", "/dev/stderr");
  }

  private static void mount(LaunchPlan.Builder plan, Mount m) {
    long flags = 0;
    if (m.flags().contains(Mount.Flag.READ_ONLY)) {
      flags |= MS_RDONLY;
    }
    if (m.flags().contains(Mount.Flag.NO_SUID)) {
      flags |= MS_NOSUID;
    }
    if (m.flags().contains(Mount.Flag.NO_DEV)) {
      flags |= MS_NODEV;
    }
    if (m.flags().contains(Mount.Flag.NO_EXEC)) {
      flags |= MS_NOEXEC;
    }
    if (m.type() == Mount.Type.TMPFS) {
      plan.add(Op.MOUNT, flags, "mount a tmpfs on " + m.target(), "tmpfs", m.target(), "tmpfs",
          "mode=1777,size=" + m.sizeBytes().getAsLong());
    } else {
      Path source = m.source().orElseThrow();
      plan.add(Op.MOUNT, MS_BIND | MS_REC, "bind " + source + " on " + m.target(), OLD + source, m.target(), "", "");
      plan.add(Op.REMOUNT, flags, "set " + m.flags() + " on " + m.target(), m.target());
    }
  }

  private Path hostPath(String path) {
    return hostRoot.resolve(path.substring(1));
  }

  private static String readLink(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      throw new ContainerStartException("read the host's " + link, e.toString(), -1);
    }
  }
}
