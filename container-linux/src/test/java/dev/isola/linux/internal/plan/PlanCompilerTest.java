package dev.isola.linux.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.IdMapping.Range;
import dev.isola.IdMapping;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.Stdio;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.plan.LaunchPlan.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plan a spec compiles to, on a fake host: no container is started. Steps are found by op and
 * content, so that the plan may grow without breaking these tests.
 */
class PlanCompilerTest {
  // <sys/mount.h>, <sched.h>: written out here so the compiler's constants are checked too
  private static final long MS_RDONLY = 1;
  private static final long MS_NOSUID = 2;
  private static final long MS_NODEV = 4;
  private static final long MS_NOEXEC = 8;
  private static final long MS_BIND = 4096;
  private static final long MS_REC = 16384;
  private static final long CLONE_NEWNS = 0x00020000L;
  private static final long CLONE_NEWCGROUP = 0x02000000L;
  private static final long CLONE_NEWUTS = 0x04000000L;
  private static final long CLONE_NEWIPC = 0x08000000L;
  private static final long CLONE_NEWUSER = 0x10000000L;
  private static final long CLONE_NEWPID = 0x20000000L;
  private static final long CLONE_NEWNET = 0x40000000L;
  private static final long ALL_NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
      | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

  @TempDir Path dir;
  private Path etc;
  private Path newuidmap;
  private Path newgidmap;
  /** A fake host tree for the default root. */
  private Path hostRoot;
  /** A caller's rootfs with the directories Isola mounts on. */
  private Path rootfs;
  /** A host directory and a host file to bind. */
  private Path data;
  private Path file;

  @BeforeEach
  void fakeHost() throws IOException {
    etc = Files.createDirectories(dir.resolve("etc"));
    newuidmap = executable(dir.resolve("bin/newuidmap"));
    newgidmap = executable(dir.resolve("bin/newgidmap"));

    hostRoot = Files.createDirectories(dir.resolve("host"));
    for (String d : List.of("tmp", "usr/bin", "usr/lib", "usr/share/doc", "lib64", "etc/ld.so.conf.d")) {
      Files.createDirectories(hostRoot.resolve(d));
    }
    Files.createSymbolicLink(hostRoot.resolve("bin"), Path.of("usr/bin"));
    Files.createSymbolicLink(hostRoot.resolve("lib"), Path.of("usr/lib"));
    // absolute, like a real host's (and dangling here, so that cleaning up the temp dir stays quiet)
    Files.createSymbolicLink(hostRoot.resolve("etc/localtime"), Path.of("/usr/share/zoneinfo/Isola/Test"));
    Files.writeString(hostRoot.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    Files.writeString(hostRoot.resolve("etc/group"), "root:x:0:\n");
    Files.writeString(hostRoot.resolve("etc/shadow"), "root:secret:::::::\n");
    Files.writeString(hostRoot.resolve("etc/hostname"), "host\n");
    // no sbin, lib32, libx32, nsswitch.conf...: they are skipped

    rootfs = Files.createDirectories(dir.resolve("rootfs"));
    for (String d : List.of("proc", "dev", "tmp", "data", "etc")) {
      Files.createDirectories(rootfs.resolve(d));
    }
    Files.writeString(rootfs.resolve("etc/resolv.conf"), "");

    data = Files.createDirectories(dir.resolve("data"));
    file = Files.writeString(dir.resolve("resolv.conf"), "nameserver 127.0.0.1\n");
  }

  private static Path executable(Path p) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private void subids(String subuid, String subgid) throws IOException {
    Files.writeString(etc.resolve("subuid"), subuid);
    Files.writeString(etc.resolve("subgid"), subgid);
  }

  private Host user() {
    return new Host(1000, 1001, "alice", etc, newuidmap, newgidmap);
  }

  private Host root() {
    return new Host(0, 0, "root", etc, newuidmap, newgidmap);
  }

  private ContainerSpec.Builder inRootfs() {
    return Container.builder().rootfs(rootfs).command("sh", "-c", "true");
  }

  private static ContainerSpec.Builder defaultRoot() {
    return Container.builder().command("sh", "-c", "true");
  }

  private List<Step> compile(Host host, ContainerSpec.Builder spec) {
    return new PlanCompiler(host, hostRoot).compile(spec.build()).steps();
  }

  private List<Step> compile(ContainerSpec.Builder spec) {
    return compile(user(), spec);
  }

  // ---- finding steps ----

  private static Predicate<Step> op(Op op) {
    return s -> s.op == op;
  }

  /** A step of this op whose strings are exactly these. */
  private static Predicate<Step> step(Op op, String... strings) {
    return s -> s.op == op && s.strings.equals(List.of(strings));
  }

  private static List<Step> all(List<Step> steps, Predicate<Step> p) {
    return steps.stream().filter(p).collect(Collectors.toList());
  }

  private static Step only(List<Step> steps, Predicate<Step> p) {
    List<Step> found = all(steps, p);
    assertThat(found).as("exactly one such step in %s", steps).hasSize(1);
    return found.get(0);
  }

  private static int first(List<Step> steps, Predicate<Step> p) {
    return IntStream.range(0, steps.size()).filter(i -> p.test(steps.get(i))).findFirst().orElse(-1);
  }

  private static int last(List<Step> steps, Predicate<Step> p) {
    return IntStream.range(0, steps.size()).map(i -> steps.size() - 1 - i).filter(i -> p.test(steps.get(i)))
        .findFirst().orElse(-1);
  }

  /** The pivot into the container's root, after which "/" is the container's. */
  private static final Predicate<Step> FINAL_PIVOT = step(Op.PIVOT_ROOT, "/newroot", ".");
  /** The generated /etc files, written to the staging tmpfs before they are bound into the root. */
  private static final Predicate<Step> STAGED = s -> s.strings.stream().anyMatch(x -> x.startsWith(RootPhase.ETC_STAGING));
  /** From here on, targets are resolved inside /newroot. */
  private static final Predicate<Step> INSIDE = s -> s.op == Op.SET_ROOT && s.strings.get(0).equals("/newroot");

  /** The steps between the SET_ROOT into /newroot and the final pivot: mounts inside the container. */
  private static List<Step> inside(List<Step> steps) {
    int from = first(steps, INSIDE);
    int to = last(steps, FINAL_PIVOT);
    assertThat(from).isPositive().isLessThan(to);
    return steps.subList(from + 1, to);
  }

  /** The steps that build /newroot, before targets are resolved inside it. */
  private static List<Step> building(List<Step> steps) {
    int from = first(steps, step(Op.PIVOT_ROOT, "/tmp", "oldroot"));
    int to = first(steps, INSIDE);
    assertThat(from).isPositive().isLessThan(to);
    return steps.subList(from + 1, to);
  }

  private static final long CGROUP_NS = 0x02000000L;

  @Nested
  class Namespaces {
    @Test
    void theFirstStepClonesWithEveryNamespaceButTheCgroupOne() {
      List<Step> steps = compile(inRootfs());
      assertThat(steps.get(0).op).isEqualTo(Op.CLONE);
      assertThat(steps.get(0).ints).containsExactly(ALL_NAMESPACES & ~CGROUP_NS, 1L);
      assertThat(all(steps, op(Op.CLONE))).hasSize(1);
    }

    @Test
    void aSpareNetworkNamespaceWillDoOnlyWithoutCapabilities() {
      assertThat(compile(inRootfs()).get(0).ints.get(1)).isEqualTo(1L);
      assertThat(compile(inRootfs().capabilities(Capability.NET_BIND_SERVICE)).get(0).ints.get(1)).isZero();
    }

    @Test
    void theCgroupNamespaceIsMadeAfterTheMoveIntoTheContainersCgroup() {
      List<Step> steps = compile(inRootfs());
      int unshare = steps.indexOf(only(steps, op(Op.UNSHARE)));
      assertThat(steps.get(unshare).ints).containsExactly(CGROUP_NS);
      assertThat(unshare).isGreaterThan(steps.indexOf(only(steps, op(Op.SYNC))));
      assertThat(all(compile(inRootfs().share(Namespace.CGROUP)), op(Op.UNSHARE))).isEmpty();
    }

    @Test
    void sharingTheNetworkRemovesOnlyItsFlag() {
      Step clone = compile(inRootfs().share(Namespace.NETWORK)).get(0);
      assertThat(clone.op).isEqualTo(Op.CLONE);
      assertThat(clone.ints).containsExactly(ALL_NAMESPACES & ~0x40000000L & ~CGROUP_NS, 1L);
    }

    @Test
    void sharingEverythingSharableLeavesUserAndMount() {
      Step clone = compile(inRootfs().share(Namespace.NETWORK, Namespace.PID, Namespace.UTS, Namespace.IPC,
          Namespace.CGROUP)).get(0);
      assertThat(clone.ints).containsExactly(CLONE_NEWUSER | CLONE_NEWNS, 1L);
    }

    @Test
    void rootMayShareTheUserNamespace() {
      List<Step> steps = compile(root(), inRootfs().share(Namespace.USER, Namespace.CGROUP));
      assertThat(steps.get(0).ints).containsExactly(ALL_NAMESPACES & ~CLONE_NEWUSER & ~CLONE_NEWCGROUP, 1L);
      assertThat(steps.get(1).op).as("nothing to map: the child is let go at once").isEqualTo(Op.SYNC);
      assertThat(all(steps, op(Op.WRITE_PROC).or(op(Op.RUN_HELPER)).or(op(Op.SET_IDS)))).isEmpty();
    }

    @Test
    void sharingTheUserNamespaceAsAnOrdinaryUserIsUnsupported() {
      assertThatThrownBy(() -> compile(user(), inRootfs().share(Namespace.USER)))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("sharing the host's user namespace")
          .hasMessageContaining("uid 1000")
          .hasMessageContaining("new user namespace");
    }

    @Test
    void theLoopbackComesUpOnlyInANewNetworkNamespace() {
      assertThat(all(compile(inRootfs()), op(Op.LOOPBACK_UP))).hasSize(1);
      assertThat(all(compile(inRootfs().share(Namespace.NETWORK)), op(Op.LOOPBACK_UP))).isEmpty();
    }

    @Test
    void theHostnameIsSetOnlyWithANewUtsNamespace() {
      assertThat(only(compile(inRootfs()), op(Op.HOSTNAME)).strings).containsExactly(ContainerSpec.DEFAULT_HOSTNAME, "(none)");
      assertThat(only(compile(inRootfs().hostname("box.example")), op(Op.HOSTNAME)).strings)
          .containsExactly("box.example", "(none)");
      assertThat(all(compile(inRootfs().share(Namespace.UTS)), op(Op.HOSTNAME))).isEmpty();
    }

    @Test
    void procIsMountedFreshInANewPidNamespace() {
      List<Step> steps = inside(compile(inRootfs()));
      Step proc = only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/proc"));
      assertThat(proc.strings).containsExactly("proc", "/proc", "proc", "");
      assertThat(proc.ints).containsExactly(MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }

    @Test
    void procIsTheHostsWhenThePidNamespaceIsShared() {
      List<Step> steps = inside(compile(inRootfs().share(Namespace.PID)));
      Step proc = only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/proc"));
      assertThat(proc.strings).containsExactly("/oldroot/proc", "/proc", "", "");
      assertThat(proc.ints).containsExactly(MS_BIND | MS_REC);
      assertThat(all(steps, s -> s.op == Op.MOUNT && s.strings.get(2).equals("proc"))).isEmpty();
    }
  }

  @Nested
  class Ids {
    @Test
    void aRootlessCallerWritesItsOwnIdsAfterDenyingSetgroups() {
      List<Step> steps = compile(user(), inRootfs());
      int setgroups = first(steps, step(Op.WRITE_PROC, "setgroups", "deny"));
      int uid = first(steps, step(Op.WRITE_PROC, "uid_map", "0 1000 1\n"));
      int gid = first(steps, step(Op.WRITE_PROC, "gid_map", "0 1001 1\n"));
      assertThat(setgroups).isPositive().isLessThan(gid);
      assertThat(uid).isPositive();
      assertThat(gid).isPositive();
      assertThat(all(steps, op(Op.WRITE_PROC))).hasSize(3);
      assertThat(all(steps, op(Op.RUN_HELPER))).isEmpty();
    }

    @Test
    void callerIsTheSameAsAutomaticForAnOrdinaryUser() {
      List<Step> steps = compile(user(), inRootfs().idMapping(IdMapping.caller()));
      assertThat(all(steps, op(Op.WRITE_PROC))).extracting(s -> s.strings).containsExactly(
          List.of("setgroups", "deny"), List.of("uid_map", "0 1000 1\n"), List.of("gid_map", "0 1001 1\n"));
    }

    @Test
    void rootGetsTheDefaultRangeWithoutSubordinateFiles() {
      List<Step> steps = compile(root(), inRootfs());
      assertThat(all(steps, op(Op.WRITE_PROC))).extracting(s -> s.strings).containsExactly(
          List.of("uid_map", "0 1610612736 65536\n"), List.of("gid_map", "0 1610612736 65536\n"));
      assertThat(0x6000_0000L).isEqualTo(1610612736L);
    }

    @Test
    void rootGetsItsSubordinateEntriesCappedAt65536() throws IOException {
      subids("alice:100000:65536\nroot:200000:1000000\n", "0:300000:1000\n");
      List<Step> steps = compile(root(), inRootfs());
      assertThat(only(steps, s -> s.op == Op.WRITE_PROC && s.strings.get(0).equals("uid_map")).strings.get(1))
          .isEqualTo("0 200000 65536\n");
      assertThat(only(steps, s -> s.op == Op.WRITE_PROC && s.strings.get(0).equals("gid_map")).strings.get(1))
          .isEqualTo("0 300000 1000\n");
      assertThat(all(steps, step(Op.WRITE_PROC, "setgroups", "deny"))).isEmpty();
    }

    @Test
    void hostRootAsRootMapsTheHostsIds() {
      List<Step> steps = compile(root(), inRootfs().idMapping(IdMapping.hostRoot()));
      assertThat(all(steps, op(Op.WRITE_PROC))).extracting(s -> s.strings).containsExactly(
          List.of("uid_map", "0 0 65536\n"), List.of("gid_map", "0 0 65536\n"));
    }

    @Test
    void subordinateIdsAreMappedByTheHelpersWithThePidPlaceholder() throws IOException {
      subids("bob:500000:65536\nalice:100000:200000\n", "alice:300000:1000\n");
      List<Step> steps = compile(user(), inRootfs().idMapping(IdMapping.subordinate()));
      List<Step> helpers = all(steps, op(Op.RUN_HELPER));
      assertThat(helpers).hasSize(2);
      assertThat(helpers.get(0).strings).containsExactly(newuidmap.toString(), "%pid",
          "0", "1000", "1", "1", "100000", "65535");
      assertThat(helpers.get(1).strings).containsExactly(newgidmap.toString(), "%pid",
          "0", "1001", "1", "1", "300000", "1000");
      assertThat(helpers.get(0).ints).isEmpty();
      assertThat(all(steps, op(Op.WRITE_PROC))).as("newuidmap writes the maps, setgroups included").isEmpty();
    }

    @Test
    void anExplicitMappingBeyondTheCallerUsesTheHelpers() {
      IdMapping mapping = IdMapping.of(List.of(Range.of(0, 1000, 1), Range.of(1, 100000, 10)),
          List.of(Range.of(0, 1001, 1)));
      List<Step> steps = compile(user(), inRootfs().idMapping(mapping));
      assertThat(all(steps, op(Op.RUN_HELPER))).extracting(s -> s.strings).containsExactly(
          List.of(newuidmap.toString(), "%pid", "0", "1000", "1", "1", "100000", "10"),
          List.of(newgidmap.toString(), "%pid", "0", "1001", "1"));
    }

    @Test
    void syncIsAlwaysThereOnceAndAfterTheMaps() throws IOException {
      subids("alice:100000:65536\n", "alice:100000:65536\n");
      for (List<Step> steps : List.of(
          compile(user(), inRootfs()),
          compile(user(), inRootfs().idMapping(IdMapping.subordinate())),
          compile(root(), inRootfs()),
          compile(root(), inRootfs().share(Namespace.USER)))) {
        only(steps, op(Op.SYNC));
        int sync = first(steps, op(Op.SYNC));
        assertThat(sync).isPositive();
        assertThat(last(steps, op(Op.WRITE_PROC).or(op(Op.RUN_HELPER)))).isLessThan(sync);
        assertThat(first(steps, op(Op.MOUNT))).as("nothing is mounted before the maps are written")
            .isGreaterThan(sync);
      }
    }

    @Test
    void setIdsFollowsSyncAndClearsGroupsOnlyWhenSetgroupsIsAllowed() throws IOException {
      List<Step> rootless = compile(user(), inRootfs());
      assertThat(only(rootless, op(Op.SET_IDS)).ints).containsExactly(0L, 0L, 0L);
      assertThat(first(rootless, op(Op.SET_IDS))).isEqualTo(first(rootless, op(Op.SYNC)) + 1);

      assertThat(only(compile(root(), inRootfs()), op(Op.SET_IDS)).ints).containsExactly(0L, 0L, 1L);

      subids("alice:100000:65536\n", "alice:100000:65536\n");
      assertThat(only(compile(user(), inRootfs().idMapping(IdMapping.subordinate())), op(Op.SET_IDS)).ints)
          .containsExactly(0L, 0L, 1L);
    }

    @Test
    void thereIsNoSetIdsWithoutAUserNamespace() {
      assertThat(all(compile(root(), inRootfs().share(Namespace.USER)), op(Op.SET_IDS))).isEmpty();
    }

    @Test
    void subordinateWithoutAnEntryIsUnsupportedNamingTheFile() throws IOException {
      subids("bob:500000:65536\n", "bob:500000:65536\n");
      assertThatThrownBy(() -> compile(user(), inRootfs().idMapping(IdMapping.subordinate())))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("IdMapping.subordinate()")
          .hasMessageContaining(etc.resolve("subuid").toString())
          .hasMessageContaining("no entry for user alice");
    }

    @Test
    void subordinateWithoutTheHelpersIsUnsupported() throws IOException {
      subids("alice:100000:65536\n", "alice:100000:65536\n");
      Host host = new Host(1000, 1001, "alice", etc, dir.resolve("nowhere/newuidmap"), newgidmap);
      assertThatThrownBy(() -> new PlanCompiler(host, hostRoot).compile(
          inRootfs().idMapping(IdMapping.subordinate()).build()))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("nowhere/newuidmap");
    }

    @Test
    void hostRootAsAnOrdinaryUserIsUnsupported() {
      assertThatThrownBy(() -> compile(user(), inRootfs().idMapping(IdMapping.hostRoot())))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("IdMapping.hostRoot()")
          .hasMessageContaining("only root");
    }

    @Test
    void callerAsRootIsUnsupported() {
      assertThatThrownBy(() -> compile(root(), inRootfs().idMapping(IdMapping.caller())))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("IdMapping.caller() as root")
          .hasMessageContaining("host's root");
    }
  }

  @Nested
  class HostChecks {
    @Test
    void aMissingRootfsIsNamed() {
      Path missing = dir.resolve("no-such-rootfs");
      assertThatThrownBy(() -> compile(inRootfs().rootfs(missing)))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(missing.toString())
          .hasMessageContaining("does not exist");
    }

    @Test
    void aRootfsThatIsAFileIsNamed() {
      assertThatThrownBy(() -> compile(inRootfs().rootfs(file)))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("is not a directory");
    }

    @ParameterizedTest
    @ValueSource(strings = {"proc", "dev", "tmp"})
    void aRootfsNeedsTheDirectoriesIsolaMountsOn(String needed) throws IOException {
      Files.delete(rootfs.resolve(needed));
      assertThatThrownBy(() -> compile(inRootfs()))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(rootfs + "/" + needed);
    }

    @Test
    void aMountTargetMustExistInTheRootfs() {
      assertThatThrownBy(() -> compile(inRootfs().mount(Mount.bind(data, "/srv/data"))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("/srv/data")
          .hasMessageContaining(rootfs.toString());
    }

    @Test
    void aSymlinkOnTheWayToATargetIsLeftToTheLauncher() throws IOException {
      Files.createSymbolicLink(rootfs.resolve("srv"), Path.of("data"));
      List<Step> steps = compile(inRootfs().mount(Mount.bind(data, "/srv/x")));
      assertThat(all(steps, step(Op.MOUNT, "/oldroot" + data, "/srv/x", "", ""))).hasSize(1);
    }

    @Test
    void aBindSourceMustExist() {
      Path missing = dir.resolve("no-such-source");
      assertThatThrownBy(() -> compile(inRootfs().mount(Mount.bind(missing, "/data"))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(missing.toString())
          .hasMessageContaining("/data")
          .hasMessageContaining("does not exist");
    }

    @Test
    void aBindSourceMustExistForTheDefaultRootToo() {
      Path missing = dir.resolve("no-such-source");
      assertThatThrownBy(() -> compile(defaultRoot().mount(Mount.bind(missing, "/data"))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(missing.toString());
    }

    @Test
    void aHostWithoutTmpCannotStage() throws IOException {
      Files.delete(hostRoot.resolve("tmp"));
      assertThatThrownBy(() -> compile(inRootfs()))
          .isInstanceOf(UnsupportedFeatureException.class)
          .hasMessageContaining("/tmp");
    }

    @Test
    void stdinMustBeAReadableFile() {
      Path missing = dir.resolve("no-such-input");
      assertThatThrownBy(() -> compile(inRootfs().stdin(Stdio.file(missing))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(missing.toString());
    }

    @Test
    void stdoutMustBeInAnExistingDirectory() {
      Path out = dir.resolve("no-such-dir/out");
      assertThatThrownBy(() -> compile(inRootfs().stdout(Stdio.file(out))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining(out.toString());
      assertThat(compile(inRootfs().stdout(Stdio.file(dir.resolve("out"))))).isNotEmpty();
    }
  }

  @Nested
  class CallersRootfs {
    @Test
    void theRootfsIsBoundFromTheOldRoot() {
      List<Step> steps = building(compile(inRootfs()));
      Step bind = only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/newroot"));
      assertThat(bind.strings).containsExactly("/oldroot" + rootfs, "/newroot", "", "");
      assertThat(bind.ints).containsExactly(MS_BIND | MS_REC);
      assertThat(all(steps, op(Op.MKDIR).or(op(Op.MKFILE)).or(op(Op.SYMLINK)).and(STAGED.negate())))
          .as("nothing is created in a caller's rootfs").isEmpty();
      assertThat(only(inside(compile(inRootfs())), s -> s.op == Op.BIND_FILE && s.strings.get(1).equals("/etc/hosts")).ints)
          .as("its /etc/hosts is bound over, never created").containsExactly(0L);
    }

    @Test
    void theRootIsReadOnlyByDefault() {
      Step ro = only(inside(compile(inRootfs())), step(Op.REMOUNT, "/"));
      assertThat(ro.ints).containsExactly(MS_RDONLY | MS_NOSUID | MS_NODEV);
      Step rw = only(inside(compile(inRootfs().readOnlyRootfs(false))), step(Op.REMOUNT, "/"));
      assertThat(rw.ints).as("writable, but still nosuid,nodev").containsExactly(MS_NOSUID | MS_NODEV);
    }

    @Test
    void theRootIsMadeReadOnlyAfterTheUsersMounts() {
      List<Step> steps = compile(inRootfs().mount(Mount.bindWritable(data, "/data")));
      assertThat(first(steps, step(Op.REMOUNT, "/")))
          .isGreaterThan(last(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/data")))
          .isGreaterThan(last(steps, step(Op.REMOUNT, "/data")));
    }

    @Test
    void aTmpfsOnTmpIsMountedByDefault() {
      Step tmp = only(inside(compile(inRootfs())), s -> s.op == Op.MOUNT && s.strings.get(1).equals("/tmp"));
      assertThat(tmp.strings).containsExactly("tmpfs", "/tmp", "tmpfs", "mode=1777,size=256m");
      assertThat(tmp.ints).containsExactly(MS_NOSUID | MS_NODEV);
    }

    @Test
    void theUsersTmpfsOnTmpReplacesTheDefault() {
      List<Step> steps = inside(compile(inRootfs().mount(Mount.tmpfs("/tmp", 1 << 20))));
      Step tmp = only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/tmp"));
      assertThat(tmp.strings).containsExactly("tmpfs", "/tmp", "tmpfs", "mode=1777,size=1048576");
    }

    @Test
    void aUsersBindOnTmpReplacesTheDefaultToo() {
      List<Step> steps = inside(compile(inRootfs().mount(Mount.bindWritable(data, "/tmp"))));
      Step tmp = only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/tmp"));
      assertThat(tmp.strings).containsExactly("/oldroot" + data, "/tmp", "", "");
    }

    @Test
    void aBindIsMountedThenRemountedWithItsFlags() {
      List<Step> steps = inside(compile(inRootfs().mount(Mount.bind(data, "/data"))));
      int bind = first(steps, step(Op.MOUNT, "/oldroot" + data, "/data", "", ""));
      int remount = first(steps, step(Op.REMOUNT, "/data"));
      assertThat(bind).isNotNegative();
      assertThat(remount).isEqualTo(bind + 1);
      assertThat(steps.get(bind).ints).containsExactly(MS_BIND | MS_REC);
      assertThat(steps.get(remount).ints).containsExactly(MS_RDONLY | MS_NOSUID | MS_NODEV);
    }

    @Test
    void aWritableNoExecBindHasExactlyThoseFlags() {
      List<Step> steps = inside(compile(inRootfs().mount(Mount.bindWritable(data, "/data").noExec())));
      assertThat(only(steps, step(Op.REMOUNT, "/data")).ints).containsExactly(MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }

    @Test
    void aTmpfsGetsItsSizeAndFlags() {
      List<Step> steps = inside(compile(inRootfs().mount(Mount.tmpfs("/data", 4096).noExec())));
      Step tmpfs = only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/data"));
      assertThat(tmpfs.strings).containsExactly("tmpfs", "/data", "tmpfs", "mode=1777,size=4096");
      assertThat(tmpfs.ints).containsExactly(MS_NOSUID | MS_NODEV | MS_NOEXEC);
      assertThat(all(steps, step(Op.REMOUNT, "/data"))).isEmpty();
    }

    @Test
    void mountsAreAppliedInTheSpecsOrder() {
      List<Step> steps = inside(compile(inRootfs()
          .mount(Mount.bind(data, "/data"))
          .mount(Mount.tmpfs("/etc", 1024))));
      assertThat(first(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/data")))
          .isLessThan(first(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/etc")));
    }

    @Test
    void devGetsTheUsualDevicesBoundReadOnlyPtsAndShm() {
      List<Step> steps = inside(compile(inRootfs()));
      assertThat(only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/dev")).strings)
          .containsExactly("tmpfs", "/dev", "tmpfs", "mode=0755,size=64k");
      for (String d : List.of("null", "zero", "full", "random", "urandom", "tty")) {
        int create = first(steps, step(Op.MKFILE, "/dev/" + d));
        int bind = first(steps, step(Op.MOUNT, "/oldroot/dev/" + d, "/dev/" + d, "", ""));
        assertThat(create).isNotNegative().isLessThan(bind);
        assertThat(steps.get(bind).ints).containsExactly(MS_BIND);
      }
      assertThat(all(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/dev/pts"))).hasSize(1);
      assertThat(all(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/dev/shm"))).hasSize(1);
      assertThat(all(steps, step(Op.SYMLINK, "pts/ptmx", "/dev/ptmx"))).hasSize(1);
      Predicate<Step> underDev = s -> (s.op == Op.MOUNT || s.op == Op.MKFILE || s.op == Op.MKDIR || s.op == Op.SYMLINK)
          && s.strings.stream().anyMatch(x -> x.startsWith("/dev/"));
      assertThat(last(steps, underDev)).as("/dev is made read-only once it is complete")
          .isLessThan(first(steps, step(Op.REMOUNT, "/dev")));
      assertThat(only(steps, step(Op.REMOUNT, "/dev")).ints).containsExactly(MS_RDONLY);
    }
  }

  @Nested
  class DefaultRoot {
    @Test
    void isolasEtcFilesAreStagedThenBoundOverTheRoots() {
      List<Step> steps = compile(defaultRoot().hostname("judge"));
      assertThat(only(steps, step(Op.WRITE, "/etc-files/hostname", "judge\n"))).isNotNull();
      assertThat(only(steps, s -> s.op == Op.WRITE && s.strings.get(0).equals("/etc-files/hosts")).strings.get(1))
          .contains("127.0.0.1\tlocalhost").contains("127.0.1.1\tjudge");
      assertThat(only(steps, s -> s.op == Op.WRITE && s.strings.get(0).equals("/etc-files/passwd")).strings.get(1))
          .startsWith("root:x:0:0:root:/root:").doesNotContain("alice");
      for (String f : List.of("hostname", "hosts", "passwd", "group")) {
        assertThat(only(inside(steps), step(Op.BIND_FILE, "/etc-files/" + f, "/etc/" + f)).ints).as(f).containsExactly(1L);
      }
      assertThat(all(steps, s -> s.op == Op.BIND_FILE && s.strings.get(1).equals("/etc/resolv.conf")))
          .as("no network, no resolver").isEmpty();
      assertThat(first(steps, INSIDE)).isLessThan(first(steps, op(Op.BIND_FILE)));
    }

    @Test
    void theCallersMountOrOptingOutLeavesAnEtcFileOut() {
      List<Step> steps = compile(defaultRoot().mount(Mount.bind(file, "/etc/hosts")).etcFiles(false));
      assertThat(all(steps, s -> s.op == Op.BIND_FILE).stream().map(s -> s.strings.get(1)))
          .containsExactly("/etc/passwd", "/etc/group");
      assertThat(all(compile(inRootfs().etcFiles(false)), op(Op.BIND_FILE))).isEmpty();
      assertThat(all(compile(inRootfs().mount(Mount.tmpfs("/etc", 1 << 20))), op(Op.BIND_FILE))).isEmpty();
    }

    @Test
    void theRootIsATmpfs() {
      List<Step> steps = building(compile(defaultRoot()));
      assertThat(first(steps, step(Op.MOUNT, "tmpfs", "/newroot", "tmpfs", "mode=0755,size=1m")))
          .isNotNegative().isEqualTo(first(steps, op(Op.MOUNT)));
      assertThat(first(steps, op(Op.MKDIR).or(op(Op.MKFILE)).or(op(Op.SYMLINK)).and(STAGED.negate())))
          .as("everything is created in the tmpfs").isGreaterThan(first(steps, op(Op.MOUNT)));
    }

    @Test
    void existingHostDirectoriesAreBoundReadOnly() {
      List<Step> steps = building(compile(defaultRoot()));
      for (String d : List.of("/usr", "/lib64")) {
        int mkdir = first(steps, step(Op.MKDIR, "/newroot" + d));
        int bind = first(steps, step(Op.MOUNT, "/oldroot" + d, "/newroot" + d, "", ""));
        int ro = first(steps, step(Op.REMOUNT, "/newroot" + d));
        assertThat(mkdir).as(d).isNotNegative().isLessThan(bind);
        assertThat(ro).as(d).isEqualTo(bind + 1);
        assertThat(steps.get(bind).ints).containsExactly(MS_BIND | MS_REC);
        assertThat(steps.get(ro).ints).containsExactly(MS_RDONLY | MS_NOSUID | MS_NODEV);
      }
    }

    @Test
    void hostSymlinksAreRecreatedWithTheirText() {
      List<Step> steps = building(compile(defaultRoot()));
      assertThat(only(steps, s -> s.op == Op.SYMLINK && s.strings.get(1).equals("/newroot/bin")).strings)
          .containsExactly("usr/bin", "/newroot/bin");
      assertThat(only(steps, s -> s.op == Op.SYMLINK && s.strings.get(1).equals("/newroot/lib")).strings)
          .containsExactly("usr/lib", "/newroot/lib");
      assertThat(only(steps, s -> s.op == Op.SYMLINK && s.strings.get(1).equals("/newroot/etc/localtime")).strings)
          .containsExactly("/usr/share/zoneinfo/Isola/Test", "/newroot/etc/localtime");
      assertThat(all(steps, s -> s.op != Op.SYMLINK && s.strings.contains("/newroot/bin")))
          .as("a symlink is not bound").isEmpty();
    }

    @Test
    void missingHostDirectoriesAreSkipped() {
      List<Step> steps = compile(defaultRoot());
      for (String d : List.of("/sbin", "/lib32", "/libx32", "/etc/nsswitch.conf", "/etc/alternatives")) {
        assertThat(all(steps, s -> s.strings.stream().anyMatch(x -> x.endsWith(d)))).as(d).isEmpty();
      }
    }

    @Test
    void onlyTheListedEtcFilesAreBound() throws IOException {
      Files.createDirectories(hostRoot.resolve("etc/ssl/private"));
      Files.createDirectories(hostRoot.resolve("etc/ssl/certs"));
      Files.createDirectories(hostRoot.resolve("etc/java-17-openjdk"));
      Files.createDirectories(hostRoot.resolve("etc/java-21-openjdk"));
      List<Step> steps = building(compile(defaultRoot()));
      int bind = first(steps, step(Op.MOUNT, "/oldroot/etc/ld.so.conf.d", "/newroot/etc/ld.so.conf.d", "", ""));
      assertThat(bind).isPositive();
      assertThat(steps.get(bind + 1).op).isEqualTo(Op.REMOUNT);
      assertThat(first(steps, step(Op.MKDIR, "/newroot/etc"))).isLessThan(first(steps, step(Op.MKDIR, "/newroot/etc/ssl")));
      assertThat(first(steps, step(Op.MKDIR, "/newroot/etc/ssl"))).isLessThan(first(steps, step(Op.MKDIR, "/newroot/etc/ssl/certs")));
      assertThat(all(steps, step(Op.MOUNT, "/oldroot/etc/ssl/certs", "/newroot/etc/ssl/certs", "", ""))).hasSize(1);
      assertThat(all(steps, step(Op.MOUNT, "/oldroot/etc/java-17-openjdk", "/newroot/etc/java-17-openjdk", "", ""))).hasSize(1);
      assertThat(all(steps, step(Op.MOUNT, "/oldroot/etc/java-21-openjdk", "/newroot/etc/java-21-openjdk", "", ""))).hasSize(1);
      assertThat(all(steps, step(Op.MKDIR, "/newroot/etc/ld.so.conf.d"))).hasSize(1);
      for (String secret : List.of("shadow", "hostname", "passwd", "group", "ssl/private")) {
        assertThat(all(compile(defaultRoot()), s -> s.strings.stream().anyMatch(x -> x.contains("/oldroot/etc/" + secret))))
            .as(secret).isEmpty();
      }
      assertThat(all(steps, step(Op.MOUNT, "/oldroot/etc", "/newroot/etc", "", "")))
          .as("never the whole of /etc").isEmpty();
    }

    @Test
    void theDirectoriesIsolaMountsOnAreCreated() {
      List<Step> steps = building(compile(defaultRoot()));
      for (String d : List.of("/proc", "/dev", "/tmp")) {
        assertThat(all(steps, step(Op.MKDIR, "/newroot" + d))).as(d).hasSize(1);
      }
    }

    @Test
    void mountPointsForTheUsersMountsAreCreatedParentsFirst() {
      List<Step> steps = building(compile(defaultRoot()
          .mount(Mount.bind(data, "/opt/app/data"))
          .mount(Mount.bind(file, "/srv/resolv.conf"))
          .mount(Mount.tmpfs("/scratch", 1 << 20))));
      int opt = first(steps, step(Op.MKDIR, "/newroot/opt"));
      int app = first(steps, step(Op.MKDIR, "/newroot/opt/app"));
      int point = first(steps, step(Op.MKDIR, "/newroot/opt/app/data"));
      assertThat(opt).isNotNegative().isLessThan(app);
      assertThat(app).isLessThan(point);
      assertThat(first(steps, step(Op.MKDIR, "/newroot/srv")))
          .isNotNegative().isLessThan(first(steps, step(Op.MKFILE, "/newroot/srv/resolv.conf")));
      assertThat(all(steps, step(Op.MKDIR, "/newroot/srv/resolv.conf"))).as("a file source gets a file").isEmpty();
      assertThat(all(steps, step(Op.MKDIR, "/newroot/scratch"))).hasSize(1);
      assertThat(only(steps, step(Op.MKFILE, "/newroot/srv/resolv.conf")).ints).containsExactly(0644L);
      assertThat(only(steps, step(Op.MKDIR, "/newroot/scratch")).ints).containsExactly(0755L);
    }

    @Test
    void nothingIsEverCreatedBeneathAHostBind() {
      List<Step> steps = compile(defaultRoot()
          .mount(Mount.bind(data, "/usr/share/doc"))
          .mount(Mount.bind(file, "/etc/passwd")));
      assertThat(all(steps, s -> (s.op == Op.MKDIR || s.op == Op.MKFILE || s.op == Op.SYMLINK)
          && s.strings.get(s.strings.size() - 1).startsWith("/newroot/usr/"))).isEmpty();
      assertThat(all(steps, step(Op.MKFILE, "/newroot/etc/passwd"))).as("only the host file's own").hasSize(1);
      assertThat(all(inside(steps), step(Op.MOUNT, "/oldroot" + data, "/usr/share/doc", "", ""))).hasSize(1);
      assertThat(all(inside(steps), step(Op.MOUNT, "/oldroot" + file, "/etc/passwd", "", ""))).hasSize(1);
    }

    @Test
    void aTargetBeneathAHostBindMustExistOnTheHost() {
      assertThatThrownBy(() -> compile(defaultRoot().mount(Mount.bind(data, "/usr/local/data"))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("/usr/local/data")
          .hasMessageContaining(hostRoot.toString());
      assertThatThrownBy(() -> compile(defaultRoot().mount(Mount.bind(data, "/lib64/extra"))))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("/lib64/extra");
    }

    @Test
    void resolvConfIsAFileInTheTmpfsEtc() {
      List<Step> steps = compile(defaultRoot().mount(Mount.bind(file, "/etc/resolv.conf")));
      List<Step> building = building(steps);
      int etcDir = first(building, step(Op.MKDIR, "/newroot/etc"));
      int point = first(building, step(Op.MKFILE, "/newroot/etc/resolv.conf"));
      assertThat(etcDir).isNotNegative().isLessThan(point);
      assertThat(all(inside(steps), step(Op.MOUNT, "/oldroot" + file, "/etc/resolv.conf", "", ""))).hasSize(1);
      assertThat(only(inside(steps), step(Op.REMOUNT, "/etc/resolv.conf")).ints)
          .containsExactly(MS_RDONLY | MS_NOSUID | MS_NODEV);
    }

    @Test
    void theDefaultRootIsReadOnlyToo() {
      assertThat(all(inside(compile(defaultRoot())), step(Op.REMOUNT, "/"))).hasSize(1);
      assertThat(only(compile(defaultRoot().readOnlyRootfs(false)), step(Op.REMOUNT, "/")).ints)
          .as("writable, but still nosuid,nodev").containsExactly(MS_NOSUID | MS_NODEV);
    }

    @Test
    void aUsersTmpfsOnTmpReplacesTheDefaultTmp() {
      List<Step> steps = inside(compile(defaultRoot().mount(Mount.tmpfs("/tmp", 1 << 20))));
      assertThat(only(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/tmp")).strings)
          .containsExactly("tmpfs", "/tmp", "tmpfs", "mode=1777,size=1048576");
    }
  }

  @Nested
  class TheEnd {
    @Test
    void theLastStepExecsArgvThenTheEnvironment() {
      List<Step> steps = compile(inRootfs().command("prog", "a b", "", "ü").env("LANG", "C.UTF-8").env("EMPTY", ""));
      Step exec = steps.get(steps.size() - 1);
      assertThat(exec.op).isEqualTo(Op.EXEC);
      assertThat(exec.ints).containsExactly(4L);
      assertThat(exec.strings).containsExactly("prog", "a b", "", "ü",
          "PATH=" + ContainerSpec.DEFAULT_PATH, "LANG=C.UTF-8", "EMPTY=", "HOME=/tmp");
      assertThat(all(steps, op(Op.EXEC))).hasSize(1);
    }

    @Test
    void anEmptyEnvironmentLeavesArgvAlone() {
      Step exec = lastStep(compile(inRootfs().command("true").clearEnv()));
      assertThat(exec.ints).containsExactly(1L);
      assertThat(exec.strings).containsExactly("true");
    }

    @Test
    void aValueWithAnEqualsSignIsKeptWhole() {
      Step exec = lastStep(compile(inRootfs().command("env").env("A", "b=c")));
      assertThat(exec.strings.subList(1, exec.strings.size())).contains("A=b=c");
    }

    @Test
    void theLoginVariablesComeFromTheRootsPasswdAndLocales() throws IOException {
      Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
      Files.createDirectories(rootfs.resolve("home/app"));
      Files.createDirectories(rootfs.resolve("usr/lib/locale/C.utf8"));
      assertThat(lastStep(compile(root(), inRootfs().user(1000, 1000))).strings)
          .contains("HOME=/home/app", "USER=app", "LOGNAME=app", "LANG=C.UTF-8").noneMatch(e -> e.startsWith("TERM="));
      assertThat(lastStep(compile(inRootfs())).strings).as("root's home is not in this rootfs")
          .contains("HOME=/tmp", "USER=root");
      assertThat(lastStep(compile(root(), inRootfs().user(1000, 1000).env("HOME", "/data").removeEnv("USER").tty(80, 24))).strings)
          .contains("HOME=/data", "LOGNAME=app", "TERM=xterm").doesNotContain("HOME=/home/app").noneMatch(e -> e.startsWith("USER="));
    }

    @Test
    void theDefaultRootsUserIsRootWithAHomeOfItsOwn() {
      List<Step> steps = compile(defaultRoot());
      assertThat(lastStep(steps).strings).contains("HOME=/root", "USER=root", "LOGNAME=root");
      assertThat(all(inside(steps), step(Op.MOUNT, "tmpfs", "/root", "tmpfs", "mode=0700,size=64m"))).hasSize(1);
      assertThat(lastStep(compile(root(), defaultRoot().user(1000, 1000))).strings).contains("HOME=/tmp", "USER=isola");
    }

    private Step lastStep(List<Step> steps) {
      return steps.get(steps.size() - 1);
    }

    @Test
    void initIsThereByDefaultAndGoneWithoutIt() {
      List<Step> steps = compile(inRootfs());
      assertThat(all(steps, op(Op.INIT))).hasSize(1);
      assertThat(first(steps, op(Op.INIT))).isGreaterThan(first(steps, op(Op.SETSID)))
          .isGreaterThan(last(steps, FINAL_PIVOT));
      assertThat(all(compile(inRootfs().init(false)), op(Op.INIT))).isEmpty();
    }

    @Test
    void theInitKeepsOnlyWhatTheCommandKeeps() {
      assertThat(only(compile(inRootfs()), op(Op.INIT)).ints).as("nothing by default").containsExactly(0L);
      long bindService = 1L << Capability.NET_BIND_SERVICE.ordinal();
      assertThat(only(compile(inRootfs().capabilities(Capability.NET_BIND_SERVICE)), op(Op.INIT)).ints)
          .containsExactly(bindService);
      long setuid = 1L << Capability.SETUID.ordinal();
      long kill = 1L << Capability.KILL.ordinal();
      assertThat(only(compile(inRootfs().capabilities(Capability.SETUID)), op(Op.INIT)).ints)
          .as("KILL, to pass signals on to a command that changed its uid").containsExactly(setuid | kill);
    }

    @Test
    void theWorkingDirectoryIsEnteredInsideTheRoot() {
      List<Step> steps = compile(inRootfs().workingDirectory("/data"));
      int chdir = first(steps, step(Op.CHDIR, "/data"));
      assertThat(chdir).isGreaterThan(last(steps, FINAL_PIVOT));
      assertThat(chdir).isLessThan(first(steps, op(Op.EXEC)));
    }

    @Test
    void theHostsRootGoesWithTheStagingRootInTheFinalPivot() {
      // one detach of the staging root takes /oldroot beneath it along (one RCU grace period,
      // not two); IsolationTest checks the container's mount table for what is left
      List<Step> steps = compile(inRootfs());
      assertThat(all(steps, FINAL_PIVOT)).hasSize(1);
      assertThat(all(steps, op(Op.PIVOT_ROOT))).hasSize(2);
    }

    @Test
    void everyMountComesBeforeTheFinalPivot() {
      for (List<Step> steps : List.of(
          compile(inRootfs().mount(Mount.bind(data, "/data")).mount(Mount.tmpfs("/tmp", 1024))),
          compile(defaultRoot().mount(Mount.bind(data, "/data")).mount(Mount.bind(file, "/etc/resolv.conf"))),
          compile(root(), inRootfs().share(Namespace.PID, Namespace.USER)))) {
        int pivot = last(steps, FINAL_PIVOT);
        assertThat(pivot).isPositive();
        assertThat(last(steps, op(Op.MOUNT).or(op(Op.REMOUNT)).or(op(Op.MKDIR)).or(op(Op.MKFILE))))
            .isLessThan(pivot);
        assertThat(first(steps, op(Op.MOUNT))).isGreaterThan(first(steps, op(Op.SYNC)));
      }
    }

    @Test
    void privilegesAreDroppedAfterTheFinalPivotAndBeforeExec() {
      for (List<Step> steps : List.of(compile(inRootfs()), compile(defaultRoot().init(false)),
          compile(root(), inRootfs().share(Namespace.USER)))) {
        int pivot = last(steps, FINAL_PIVOT);
        int exec = first(steps, op(Op.EXEC));
        assertThat(exec).isEqualTo(steps.size() - 1);
        for (Op op : List.of(Op.DROP_CAPS, Op.NO_NEW_PRIVS, Op.CLOSE_FDS)) {
          assertThat(all(steps, op(op))).as(op.name()).hasSize(1);
          assertThat(first(steps, op(op))).as(op.name()).isGreaterThan(pivot).isLessThan(exec);
        }
        assertThat(first(steps, op(Op.CLOSE_FDS))).as("after init forked").isGreaterThan(first(steps, op(Op.INIT)));
      }
    }

    @Test
    void theHostnameAndLoopbackAreSetUpInsideBeforeExec() {
      List<Step> steps = compile(inRootfs());
      int exec = steps.size() - 1;
      assertThat(first(steps, op(Op.HOSTNAME))).isGreaterThan(first(steps, op(Op.SYNC))).isLessThan(exec);
      assertThat(first(steps, op(Op.LOOPBACK_UP))).isGreaterThan(first(steps, op(Op.SYNC))).isLessThan(exec);
    }

    @Test
    void theStagingSequenceComesFirst() {
      List<Step> steps = compile(inRootfs());
      int sync = first(steps, op(Op.SYNC));
      int priv = first(steps, s -> s.op == Op.MOUNT && s.strings.get(1).equals("/") && s.strings.get(0).isEmpty());
      int staging = first(steps, step(Op.MOUNT, "tmpfs", "/tmp", "tmpfs", "mode=0755,size=64k"));
      int pivot = first(steps, step(Op.PIVOT_ROOT, "/tmp", "oldroot"));
      assertThat(sync).isLessThan(priv);
      assertThat(priv).isLessThan(staging);
      assertThat(staging).isLessThan(pivot);
      assertThat(first(steps, step(Op.MKDIR, "/tmp/newroot"))).isBetween(staging, pivot);
      assertThat(first(steps, step(Op.MKDIR, "/tmp/oldroot"))).isBetween(staging, pivot);
      assertThat(first(steps, INSIDE)).isGreaterThan(pivot);
    }

    @Test
    void thePlanEncodes() {
      LaunchPlan plan = new PlanCompiler(user(), hostRoot).compile(defaultRoot().build());
      assertThat(plan.size()).isGreaterThan(12);
      assertThat(plan.describe(0)).startsWith("create namespaces");
      assertThat(plan.describe(plan.steps().size() - 1)).isEqualTo("execute sh");
    }
  }
}
