package dev.isola.linux.internal.plan;

import dev.isola.linux.internal.rootfs.RootView;

import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.landlock.Landlock;
import dev.isola.linux.internal.rootfs.RootLayers;
import dev.isola.linux.internal.seccomp.SeccompCompiler;

import dev.isola.Capability;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.IdMapping;
import dev.isola.Image;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Overlay;
import dev.isola.SeccompPolicy;
import dev.isola.Stdio;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * Compiles a {@link ContainerSpec} into the {@link LaunchPlan} the launcher runs, after checking
 * what only the host can tell (does the rootfs exist, may this user do that).
 *
 * <p>The mount sequence is bubblewrap's: a private mount table; a staging tmpfs on {@code /tmp}
 * that becomes the root, with the host's root under {@code /oldroot}; the container's root built
 * at {@code /newroot} from binds of {@code /oldroot/...} (so any host path can be a source, even one
 * under {@code /tmp}); then the host's root detached and a second pivot into {@code /newroot}.
 * Targets are resolved by the launcher beneath {@code /newroot}, never following a symlink out.
 */
public final class PlanCompiler {
  static final long MS_RDONLY = 1;
  static final long MS_NOSUID = 2;
  static final long MS_NODEV = 4;
  static final long MS_NOEXEC = 8;
  static final long MS_BIND = 4096;
  static final long MS_REC = 16384;
  static final long MS_PRIVATE = 1 << 18;

  /** Linux's resource numbers, the same on every architecture Isola runs on. */
  static final Map<Limits.Rlimit, Integer> RLIMITS = new EnumMap<>(Map.of(Limits.Rlimit.CPU, 0, Limits.Rlimit.FSIZE, 1,
      Limits.Rlimit.STACK, 3, Limits.Rlimit.CORE, 4, Limits.Rlimit.NPROC, 6, Limits.Rlimit.NOFILE, 7, Limits.Rlimit.AS, 9));

  static final Map<Namespace, Long> CLONE_FLAGS = new EnumMap<>(Map.of(
      Namespace.MOUNT, 0x00020000L, Namespace.CGROUP, 0x02000000L, Namespace.UTS, 0x04000000L,
      Namespace.IPC, 0x08000000L, Namespace.USER, 0x10000000L, Namespace.PID, 0x20000000L,
      Namespace.NETWORK, 0x40000000L));

  /** Host directories that make up the default root, when they exist. */
  static final List<String> HOST_DIRS = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
  /** The part of the host's {@code /etc} in the default root: no secrets, what programs need to start. */
  static final List<String> HOST_ETC = List.of("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
      "/etc/ld.so.conf.d", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/localtime", "/etc/os-release");
  static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");
  /** Hidden under an empty file or read-only tmpfs, as Docker does (catalog 2.3, FS-10, FS-14). */
  public static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
      "/proc/keys", "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats");
  /** Read-only, as Docker does (catalog 2.4, FS-11). */
  public static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /** The NIS domain name of a new UTS namespace: the kernel's "none". */
  static final String NO_DOMAIN = "(none)";

  /** Stand-ins for the tmpfs that Isola mounts on /dev and /tmp, when mounts nest in them. */
  private static final Mount DEV_TMPFS = Mount.tmpfs("/dev", 64 << 10);
  private static final Mount TMP_TMPFS = Mount.tmpfs("/tmp", 256 << 20);
  private static final String STAGING = "/tmp";
  private static final String OLD = "/oldroot";
  private static final String NEW = "/newroot";

  private final Host host;
  private final Path hostRoot;
  private IntSupplier landlockProbe = Landlock::probe;

  public PlanCompiler(Host host) {
    this(host, Path.of("/"));
  }

  /** {@code hostRoot} lets tests compile against a fake host tree. */
  PlanCompiler(Host host, Path hostRoot) {
    this.host = host;
    this.hostRoot = hostRoot;
  }

  /** The descriptor of the first directory of an overlay root, opened by the clone. */
  static final int FIRST_LAYER_FD = 16;

  /** Checks {@code spec} against the host, then compiles it for a container without a cgroup. */
  public LaunchPlan compile(ContainerSpec spec) {
    check(spec);
    return compile(spec, Optional.empty(), Optional.empty());
  }

  /** Throws naming what in {@code spec} this host or user cannot do; creates nothing. */
  public void check(ContainerSpec spec) {
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

  /**
   * The plan for a {@link #check checked} {@code spec}, whose container joins {@code cgroup}
   * (already made and filled) and whose overlay root is made of {@code layers}.
   */
  public LaunchPlan compile(ContainerSpec spec, Optional<Cgroup> cgroup, Optional<RootLayers> layers) {
    if (layers.isPresent() != RootLayers.needed(spec)) {
      throw new IllegalStateException("the root layers of " + spec + " are " + layers);
    }
    Set<Namespace> ns = spec.namespaces();
    LaunchPlan.Builder plan = new LaunchPlan.Builder();
    long flags = 0;
    for (Namespace n : ns) {
      // the cgroup namespace comes after the move into the container's cgroup, so that it is rooted there
      flags |= n == Namespace.CGROUP ? 0 : CLONE_FLAGS.get(n);
    }
    // into the cgroup at once where the host's tree is v2: see launcher.c, clone_child
    Optional<Path> into = cgroup.flatMap(Cgroup::unifiedDir);
    // a network namespace the launch server made ahead of time will do, where no capability would
    // act on it (see launcher.c, make_spare_net)
    long spareNetwork = spec.capabilities().isEmpty() ? 1 : 0;
    plan.add(Op.CLONE, List.of(flags, spareNetwork), List.of(into.map(Path::toString).orElse("")),
        "create namespaces " + names(ns) + into.map(d -> " in the cgroup " + d).orElse(""));
    IdMaps maps = ns.contains(Namespace.USER) ? IdMaps.resolve(spec.idMapping(), host) : null;
    if (maps != null) {
      idMaps(plan, maps);
    }
    cgroup.ifPresent(c -> {
      for (Path procs : c.procsFiles()) {
        plan.add(Op.JOIN_CGROUP, "move the container into the cgroup " + procs.getParent(), procs.toString());
      }
    });
    Limits limits = spec.limits();
    limits.wallTime().ifPresent(d -> plan.add(Op.WALL_LIMIT, d.toMillis(), "watch the wall time limit of " + d));
    limits.cpuTime().ifPresent(d -> cgroup.flatMap(Cgroup::cpuUsageFile).ifPresent(usage -> plan.add(Op.CPU_LIMIT,
        List.of(micros(d), micros(limits.cpuTimeGrace()), (long) usage.getValue()), List.of(usage.getKey().toString()),
        "watch the CPU time limit of " + d + " in " + usage.getKey())));
    // always: the child goes on only while the launcher lives, and after it wrote the id maps
    plan.add(Op.SYNC, "wait for the launcher");
    // while the file system uid is still the caller's (see launcher.c, do_open_path)
    layers.ifPresent(l -> {
      List<Path> dirs = layerDirs(l);
      for (int i = 0; i < dirs.size(); i++) {
        plan.add(Op.OPEN_PATH, FIRST_LAYER_FD + i, "open the root's layer " + dirs.get(i), dirs.get(i).toString());
      }
    });
    if (maps != null) {
      // the clone still has the caller's host ids, which the maps may not contain
      plan.add(Op.SET_IDS, List.of(0L, 0L, maps.denySetgroups() ? 0L : 1L), List.of(), "become root (uid 0, gid 0) in the user namespace");
    }
    if (ns.contains(Namespace.CGROUP)) {
      plan.add(Op.UNSHARE, CLONE_FLAGS.get(Namespace.CGROUP), "create the cgroup namespace");
    }
    stage(plan);
    if (layers.isPresent()) {
      overlayRoot(plan, layers.get(), spec.readOnlyRootfs());
    } else {
      root(plan, spec);
    }
    plan.add(Op.SET_ROOT, "resolve paths inside the new root", NEW, OLD + "/proc");
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
    proc(plan, ns.contains(Namespace.PID));
    dev(plan);
    for (String path : MASKED) {
      plan.add(Op.MASK, "mask " + path, path, OLD + "/dev/null");
    }
    if (ns.contains(Namespace.USER) && spec.seccomp().base() == SeccompPolicy.Base.DEFAULT
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
    // a new UTS namespace starts with the host's names: the NIS domain name is reset too (REL-08)
    spec.hostname().ifPresent(h -> plan.add(Op.HOSTNAME, "set the hostname to " + h + " and the NIS domain name to "
        + NO_DOMAIN, h, NO_DOMAIN));
    if (ns.contains(Namespace.NETWORK)) {
      plan.add(Op.LOOPBACK_UP, "bring up the loopback interface");
    }
    plan.add(Op.SETSID, "start a new session (no access to the caller's terminal)");
    long keep = 0;
    for (Capability c : spec.capabilities()) {
      keep |= 1L << c.ordinal();
    }
    if (spec.init()) {
      // the init keeps what the command keeps, and KILL where the command may change its uid:
      // it must still be able to pass signals on
      boolean otherUid = spec.capabilities().contains(Capability.SETUID) || spec.uid() != 0;
      long initKeep = keep | (otherUid ? 1L << Capability.KILL.ordinal() : 0);
      plan.add(Op.INIT, initKeep, "start the container's init");
    }
    if (spec.uid() != 0 || spec.gid() != 0) {
      // after the init, which stays root; before the working directory, checked as the user
      plan.add(Op.SET_IDS, List.of(spec.uid(), spec.gid(), maps != null && maps.denySetgroups() ? 0L : 1L, 1L), List.of(),
          "become user " + spec.uid() + ", group " + spec.gid());
    }
    plan.add(Op.CHDIR, "change to the working directory " + spec.workingDirectory(), spec.workingDirectory());
    spec.limits().rlimits().forEach((resource, value) -> plan.add(Op.RLIMIT, List.of((long) RLIMITS.get(resource), value, value),
        List.of(), "set the rlimit " + resource + " to " + value));
    plan.add(Op.DROP_CAPS, keep, spec.capabilities().isEmpty() ? "drop all capabilities" : "keep only the capabilities " + spec.capabilities());
    plan.add(Op.NO_NEW_PRIVS, "set no_new_privs");
    landlock(plan, spec);
    plan.add(Op.CLOSE_FDS, "close every descriptor but 0, 1 and 2");
    List<long[]> filters = SeccompCompiler.compile(spec.seccomp(), spec.capabilities());
    for (int i = 0; i < filters.size(); i++) {
      long[] program = filters.get(i);
      plan.add(Op.SECCOMP, program, List.of(), "load seccomp filter " + (i + 1) + " of " + filters.size()
          + " (" + program.length + " instructions)");
    }
    List<String> exec = new ArrayList<>(spec.command());
    spec.env().forEach((k, v) -> exec.add(k + "=" + v));
    plan.add(Op.EXEC, List.of((long) spec.command().size()), exec, "execute " + spec.command().get(0));
    return plan.build();
  }

  /**
   * Filesystem rules restrict the command alone: after INIT (the init is not under them) and after
   * no_new_privs, which landlock_restrict_self needs without CAP_SYS_ADMIN. The seccomp filters
   * (an allow-list may leave the landlock calls out) are loaded later, by EXEC.
   */
  private void landlock(LaunchPlan.Builder plan, ContainerSpec spec) {
    spec.filesystemRules().ifPresent(rules -> {
      int abi = Landlock.abiFor(rules, landlockProbe.getAsInt());
      if (abi > 0) {
        Landlock.addStep(plan, rules, abi);
      }
    });
  }

  /** Lets tests stand in for the kernel's answer to the Landlock probe ({@link Landlock#probe()}). */
  public PlanCompiler withLandlockProbe(IntSupplier probe) {
    this.landlockProbe = probe;
    return this;
  }

  private void idMaps(LaunchPlan.Builder plan, IdMaps maps) {
    if (maps.viaHelpers()) {
      List<String> uid = new ArrayList<>(List.of(host.newuidmap.toString(), "%pid"));
      uid.addAll(IdMaps.helperArgs(maps.uids()));
      List<String> gid = new ArrayList<>(List.of(host.newgidmap.toString(), "%pid"));
      gid.addAll(IdMaps.helperArgs(maps.gids()));
      plan.add(Op.RUN_HELPER, List.of(), uid, "map uids with " + String.join(" ", uid));
      plan.add(Op.RUN_HELPER, List.of(), gid, "map gids with " + String.join(" ", gid));
    } else {
      if (maps.denySetgroups()) {
        plan.add(Op.WRITE_PROC, "deny setgroups in the user namespace", "setgroups", "deny");
      }
      String uid = IdMaps.mapFile(maps.uids());
      String gid = IdMaps.mapFile(maps.gids());
      plan.add(Op.WRITE_PROC, "write the uid map \"" + uid.strip().replace('\n', ',') + "\"", "uid_map", uid);
      plan.add(Op.WRITE_PROC, "write the gid map \"" + gid.strip().replace('\n', ',') + "\"", "gid_map", gid);
    }
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
  private static void overlayRoot(LaunchPlan.Builder plan, RootLayers l, boolean readOnly) {
    int n = l.lower.size();
    List<String> lower = new ArrayList<>();
    for (int i = n - 1; i >= 0; i--) {
      lower.add(Integer.toString(FIRST_LAYER_FD + i));
    }
    String upper = Integer.toString(FIRST_LAYER_FD + n);
    String work = Integer.toString(FIRST_LAYER_FD + n + 1);
    if (l.upperInContainer) {
      plan.add(Op.MKDIR, 0755, "create /layer", "/layer");
      plan.add(Op.MOUNT, MS_NOSUID | MS_NODEV, "mount the tmpfs of the upper layer", "tmpfs", "/layer", "tmpfs", "mode=0755");
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
    entries.addAll(HOST_ETC);
    for (String path : entries) {
      Path onHost = hostPath(path);
      if (path.equals("/etc")) {
        plan.add(Op.MKDIR, 0755, "create /etc", NEW + path);
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

  /**
   * The innermost of the mounts before {@code index} whose target holds that mount's target,
   * counting the tmpfs that Isola itself puts on {@code /dev} and (unless the caller mounts one)
   * on {@code /tmp}.
   */
  private static Mount outer(List<Mount> mounts, int index) {
    String target = mounts.get(index).target();
    Mount outer = null;
    for (int j = 0; j < index; j++) {
      String t = mounts.get(j).target();
      if (target.startsWith(t + "/") && (outer == null || t.length() > outer.target().length())) {
        outer = mounts.get(j);
      }
    }
    if (outer == null && target.startsWith("/dev/")) {
      return DEV_TMPFS;
    }
    if (outer == null && target.startsWith("/tmp/") && mounts.stream().noneMatch(m -> m.target().equals("/tmp"))) {
      return TMP_TMPFS;
    }
    return outer;
  }

  /** Whether a path of the default root lies in (or is) a bind of the host's. */
  private static boolean boundFromHost(String path) {
    for (String bound : HOST_DIRS) {
      if (path.equals(bound) || path.startsWith(bound + "/")) {
        return true;
      }
    }
    for (String bound : HOST_ETC) {
      if (path.equals(bound) || path.startsWith(bound + "/")) {
        return true;
      }
    }
    return false;
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
      for (String target : neededTargets(spec)) {
        // Isola mounts /proc, /dev and /tmp itself: a symlink there is a rootfs trying to redirect it (FS-02)
        if (checkTarget(rootfs, target, "the root " + rootfs) && List.of("/proc", "/dev", "/tmp").contains(target)) {
          throw invalid("the root " + rootfs + " has a symlink at " + target + "; Isola mounts " + target + " itself and needs a directory there");
        }
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

  /** Where Isola mounts in the root: /proc, /dev, /tmp unless the caller mounts one, the outermost mounts. */
  private static Set<String> neededTargets(ContainerSpec spec) {
    Set<String> needed = new LinkedHashSet<>(List.of("/proc", "/dev"));
    if (spec.mounts().stream().noneMatch(m -> m.target().equals("/tmp"))) {
      needed.add("/tmp");
    }
    for (int i = 0; i < spec.mounts().size(); i++) {
      if (outer(spec.mounts(), i) == null) {
        needed.add(spec.mounts().get(i).target());
      }
    }
    return needed;
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

  private static long micros(java.time.Duration d) {
    return d.toNanos() / 1000;
  }

  private static String names(Set<Namespace> ns) {
    List<String> names = new ArrayList<>();
    ns.forEach(n -> names.add(n.name().toLowerCase()));
    return String.join(", ", names);
  }
}
