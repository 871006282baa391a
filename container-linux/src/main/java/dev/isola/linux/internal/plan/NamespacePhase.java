package dev.isola.linux.internal.plan;

import dev.isola.ContainerSpec;
import dev.isola.Limits;
import dev.isola.Namespace;
import dev.isola.Network;
import dev.isola.linux.internal.cgroup.Cgroup;
import dev.isola.linux.internal.net.Pasta;
import dev.isola.linux.internal.net.Slirp4netns;
import dev.isola.linux.internal.net.UserModeHelper;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The first phase of a plan: the clone, its namespaces, ids and cgroup, until the launcher lets it go on. */
final class NamespacePhase {
  static final Map<Namespace, Long> CLONE_FLAGS = new EnumMap<>(Map.of(
      Namespace.MOUNT, 0x00020000L, Namespace.CGROUP, 0x02000000L, Namespace.UTS, 0x04000000L,
      Namespace.IPC, 0x08000000L, Namespace.USER, 0x10000000L, Namespace.PID, 0x20000000L,
      Namespace.NETWORK, 0x40000000L, Namespace.TIME, 0x00000080L));

  /** The NIS domain name of a new UTS namespace: the kernel's "none". */
  static final String NO_DOMAIN = "(none)";

  private final Host host;

  NamespacePhase(Host host) {
    this.host = host;
  }

  /**
   * The clone in its new namespaces, its id maps, its cgroup and the limits the launcher keeps;
   * then the wait until the launcher lets it go on.
   */
  void create(LaunchPlan.Builder plan, ContainerSpec spec, Optional<IdMaps> maps, Optional<Cgroup> cgroup) {
    Set<Namespace> ns = spec.namespaces();
    long flags = 0;
    for (Namespace n : ns) {
      // the cgroup namespace comes after the move into the container's cgroup, so that it is
      // rooted there; the time namespace after the clone, which cannot make one (see enter)
      flags |= n == Namespace.CGROUP || n == Namespace.TIME ? 0 : CLONE_FLAGS.get(n);
    }
    // into the cgroup at once where the host's tree is v2: see clone.c, clone_child
    Optional<Path> into = cgroup.flatMap(Cgroup::unifiedDir);
    // a network namespace the launch server made ahead of time will do, where no capability would
    // act on it (see clone.c, the spare network namespace)
    long spareNetwork = spec.capabilities().isEmpty() ? 1 : 0;
    plan.add(Op.CLONE, List.of(flags, spareNetwork), List.of(into.map(Path::toString).orElse("")),
        "create namespaces " + names(ns) + into.map(d -> " in the cgroup " + d).orElse(""));
    maps.ifPresent(m -> idMaps(plan, m));
    joinCgroup(plan, cgroup);
    if (spec.network().mode() == Network.Mode.USER_MODE) {
      // once the ids are mapped (an ordinary user's pasta acts as the namespace's root), before
      // the command may run: it never sees a half-made network
      List<Network.Port> ports = Pasta.resolve(spec.network().ports());
      UserModeHelper helper = UserModeHelper.find();
      boolean pasta = helper.kind == UserModeHelper.Kind.PASTA;
      Path api = pasta ? null : Slirp4netns.apiSocket();
      List<String> argv = pasta ? Pasta.argv(helper.binary, spec.network(), ports, host.isRoot())
          : Slirp4netns.argv(helper.binary, spec.network(), api, host.isRoot());
      plan.add(Op.NET_HELPER, List.of(), argv, "start the network helper: " + String.join(" ", argv));
      if (!pasta) {
        List<String> forward = new ArrayList<>(List.of(api.toString()));
        forward.addAll(Slirp4netns.forwards(ports));
        // slirp4netns takes its ports over its API socket, which goes once they are open
        plan.add(Op.NET_FORWARD, List.of(), forward, "publish " + ports.stream().map(p -> p.hostAddress() + ":" + p.hostPort()
            + "->" + p.containerPort() + "/" + p.protocol().name().toLowerCase()).collect(Collectors.joining(", "))
            + " through the network helper's API socket " + api);
      }
      plan.published(ports);
    }
    Limits limits = spec.limits();
    limits.wallTime().ifPresent(d -> plan.add(Op.WALL_LIMIT, d.toMillis(), "watch the wall time limit of " + d));
    limits.cpuTime().ifPresent(d -> cgroup.flatMap(Cgroup::cpuUsageFile).ifPresent(usage -> plan.add(Op.CPU_LIMIT,
        List.of(micros(d), micros(limits.cpuTimeGrace()), (long) usage.getValue()), List.of(usage.getKey().toString()),
        "watch the CPU time limit of " + d + " in " + usage.getKey())));
    timeNamespace(plan, spec);
    // always: the child goes on only while the launcher lives, and after it wrote the id maps
    plan.add(Op.SYNC, "wait for the launcher");
  }

  /**
   * For an exec: a clone into the container's cgroup that joins its namespaces (those the
   * launch server holds of the container whose first process is {@code pid}, the host's), then,
   * like the container's own clone, becomes root of its user namespace and makes a cgroup
   * namespace rooted at its cgroup ({@link #enter}).
   */
  void join(LaunchPlan.Builder plan, ContainerSpec spec, Optional<IdMaps> maps, Optional<Cgroup> cgroup, long pid) {
    long flags = 0;
    for (Namespace n : spec.namespaces()) {
      flags |= n == Namespace.CGROUP || n == Namespace.TIME ? 0 : CLONE_FLAGS.get(n);
    }
    Optional<Path> into = cgroup.flatMap(Cgroup::unifiedDir);
    plan.add(Op.ENTER, List.of(flags, pid), List.of(into.map(Path::toString).orElse("")),
        "enter the namespaces " + names(spec.namespaces()) + " of the container (its pid " + pid + ")"
            + into.map(d -> " in the cgroup " + d).orElse(""));
    joinCgroup(plan, cgroup);
    if (spec.timeOffsets().isPresent() && !host.isRoot()) {
      // an exec is never dumpable (the container must not ptrace it), so an ordinary user's may
      // not write its own /proc/self/timens_offsets; nor can it open the container's time namespace
      throw new dev.isola.UnsupportedFeatureException("exec into a container with clock offsets as an ordinary user",
          "the exec could neither join the container's time namespace nor make one with its offsets; run as root");
    }
    timeNamespace(plan, spec);
    plan.add(Op.SYNC, "wait for the launcher");
    enter(plan, spec, maps);
  }

  /**
   * A time namespace with the spec's offsets, made by the clone, which the command then enters
   * (the children of the process that made it do, and it at its exec). Before SYNC: the clone is
   * still dumpable and so may write its own /proc/self/timens_offsets, which must be written
   * before anything is in the namespace. An exec makes its own with the same offsets: the same clocks.
   */
  private static void timeNamespace(LaunchPlan.Builder plan, ContainerSpec spec) {
    spec.timeOffsets().ifPresent(t -> {
      plan.add(Op.UNSHARE, CLONE_FLAGS.get(Namespace.TIME), "create the time namespace");
      plan.add(Op.WRITE, "set the clock offsets: monotonic " + t.monotonic() + ", boottime " + t.boottime(),
          "/proc/self/timens_offsets", "monotonic " + t.monotonic().getSeconds() + " " + t.monotonic().getNano() + "\n"
              + "boottime " + t.boottime().getSeconds() + " " + t.boottime().getNano() + "\n");
    });
  }

  private static void joinCgroup(LaunchPlan.Builder plan, Optional<Cgroup> cgroup) {
    cgroup.ifPresent(c -> {
      for (Path procs : c.procsFiles()) {
        plan.add(Op.JOIN_CGROUP, "move the process into the cgroup " + procs.getParent(), procs.toString());
      }
    });
  }

  /** Inside the namespaces: root of the user namespace, then (rooted in its cgroup) the cgroup namespace. */
  void enter(LaunchPlan.Builder plan, ContainerSpec spec, Optional<IdMaps> maps) {
    maps.ifPresent(m -> {
      // the clone still has the caller's host ids, which the maps may not contain
      plan.add(Op.SET_IDS, List.of(0L, 0L, m.denySetgroups() ? 0L : 1L), List.of(), "become root (uid 0, gid 0) in the user namespace");
    });
    if (spec.namespaces().contains(Namespace.CGROUP)) {
      plan.add(Op.UNSHARE, CLONE_FLAGS.get(Namespace.CGROUP), "create the cgroup namespace");
    }
  }

  /** Once the root is in place: the UTS namespace's names, the network namespace's loopback. */
  void configure(LaunchPlan.Builder plan, ContainerSpec spec) {
    // a new UTS namespace starts with the host's names: the NIS domain name is reset too (REL-08)
    spec.hostname().ifPresent(h -> plan.add(Op.HOSTNAME, "set the hostname to " + h + " and the NIS domain name to "
        + NO_DOMAIN, h, NO_DOMAIN));
    if (spec.namespaces().contains(Namespace.NETWORK)) {
      plan.add(Op.LOOPBACK_UP, "bring up the loopback interface");
    }
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

  private static long micros(java.time.Duration d) {
    return d.toNanos() / 1000;
  }

  private static String names(Set<Namespace> ns) {
    List<String> names = new ArrayList<>();
    ns.forEach(n -> names.add(n.name().toLowerCase()));
    return String.join(", ", names);
  }
}
