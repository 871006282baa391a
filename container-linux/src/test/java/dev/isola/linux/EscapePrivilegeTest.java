package dev.isola.linux;

import static dev.isola.linux.testing.EscapeProbe.EPERM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.IdMapping;
import dev.isola.Mount;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.EscapeProbe;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Catalog group F, "Privileges": capabilities of every process in the container, no_new_privs
 * against setuid and file-capability programs, and the id maps with setgroups, as root and as an
 * ordinary user. SeccompTest and PrivilegeTest check the command's own sets; this checks the
 * init, children, exec'd programs, programs that would raise privilege, and the maps' effects.
 */
class EscapePrivilegeTest {
  private static final String NONE = "CapInh=0000000000000000 CapPrm=0000000000000000 CapEff=0000000000000000"
      + " CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1";
  /** Prints the five sets and NoNewPrivs of a process as "NAME CapInh=… NoNewPrivs=N". */
  private static final String SETS = "sets() { echo \"$1 $(grep -E '^(Cap|NoNewPrivs)' /proc/$2/status | tr -d '\\t' | tr ':' '='"
      + " | tr '\\n' ' ' | sed 's/ $//')\"; }; ";

  @Test
  void cap01EveryProcessHasEmptySetsAndCannotRaiseThem() {
    Map<String, String> r = EscapeProbe.run(Run.sh(SETS + "sets command $$; sets init 1;"
        + " escape ids=child capset-raise ambient-raise exec=/bin/escape"));
    assertThat(r.get("command")).isEqualTo(NONE);
    assertThat(r.get("init")).as("the init, pid 1").isEqualTo(NONE);
    assertThat(r.get("child")).endsWith(NONE);
    // root exec'ing a program gets its permitted set from the bounding set: empty
    assertThat(r.get("exec")).as("root after exec").isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
    assertThat(r.get("capset-raise")).isEqualTo(EPERM);
    assertThat(r.get("ambient-raise")).isEqualTo(EPERM);

    Map<String, String> pid1 = EscapeProbe.run(EscapeProbe.spec("ids=pid1").init(false));
    assertThat(pid1.get("pid1")).as("the command as pid 1").isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
  }

  @Test
  void cap01KeptCapabilitiesAreExactlyTheConfiguredSetForTheInitToo() {
    String kept = "CapInh=0000000000000400 CapPrm=0000000000000400 CapEff=0000000000000400"
        + " CapBnd=0000000000000400 CapAmb=0000000000000400 NoNewPrivs=1";
    Map<String, String> r = EscapeProbe.run(Run.sh(SETS + "sets command $$; sets init 1")
        .capabilities(Capability.NET_BIND_SERVICE));
    assertThat(r.get("command")).isEqualTo(kept);
    assertThat(r.get("init")).isEqualTo(kept);
  }

  @Test
  void cap02SetuidAndFileCapabilityProgramsDoNotElevate() throws Exception {
    EscapeProbe.SetuidFiles files = EscapeProbe.SetuidFiles.create();
    try {
      // control: on the host, the setuid program does run as its owner
      assertThat(files.runOnHostAsNobody("suid-ids")).contains("euid=" + files.hostId(1000) + " ");
      String script = "/data/suid-ids ids=suid; escape exec=/data/fcap-ids; /data/plain-ids ids=plain;"
          + " awk '{ print \"options-\" $5, $6 }' /proc/self/mountinfo";

      // the default: a writable bind is nosuid; no_new_privs and the empty bounding set stand behind it
      Map<String, String> r = EscapeProbe.run(Run.sh(script).mount(Mount.bindWritable(files.dir, "/data")));
      assertThat(r.get("suid")).as("setuid, on a nosuid bind").isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
      assertThat(r.get("exec")).as("file capabilities, on a nosuid bind").isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
      assertThat(r.get("plain")).isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
      for (String writable : List.of("/tmp", "/dev/shm", "/data")) {
        assertThat(r.get("options-" + writable)).as(writable).startsWith("rw,").contains("nosuid", "nodev");
      }
      assertThat(r.get("options-/")).as("the root, also the working directory").contains("ro,", "nosuid", "nodev");

      // a bind that allows setuid: no_new_privs alone keeps the ids, and file capabilities give nothing
      Map<String, String> suidAllowed = EscapeProbe.run(Run.sh(script)
          .mount(Mount.bindWritable(files.dir, "/data").withFlags(Set.of())));
      assertThat(suidAllowed.get("options-/data")).doesNotContain("nosuid");
      assertThat(suidAllowed.get("suid")).as("setuid, under no_new_privs").isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
      // the kernel refuses to run a program whose file capabilities it cannot grant, or runs it without them
      String fcap = suidAllowed.getOrDefault("exec", suidAllowed.get("exec=/data/fcap-ids"));
      assertThat(fcap).as("file capabilities, under no_new_privs").isIn("ruid=0 euid=0 suid=0 " + NONE, "exec-errno 1");

      // a writable root is nosuid,nodev as well
      Map<String, String> rw = EscapeProbe.run(Run.sh("awk '{ print \"options-\" $5, $6 }' /proc/self/mountinfo")
          .readOnlyRootfs(false));
      assertThat(rw.get("options-/")).startsWith("rw,").contains("nosuid", "nodev");
    } finally {
      files.delete();
    }
  }

  @Test
  void cap03AsRootTheMapIsTheConfiguredOneGroupsAreClearedAndUnmappedFilesAreNotOurs() throws IOException {
    Path dir = Files.createTempDirectory("isola-escape-ids-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      Path hostRoots = dir.resolve("host-root-owned");
      Files.writeString(hostRoots, "host\n");
      Files.setPosixFilePermissions(hostRoots, PosixFilePermissions.fromString("rw-r--r--"));
      Path ours = dir.resolve("container-root-owned");
      Files.writeString(ours, "ours\n");
      Files.setPosixFilePermissions(ours, PosixFilePermissions.fromString("rw-r--r--"));
      Files.setAttribute(ours, "unix:uid", (int) IdMapping.DEFAULT_HOST_BASE);
      Files.setAttribute(ours, "unix:gid", (int) IdMapping.DEFAULT_HOST_BASE);
      Map<String, String> r = EscapeProbe.run(Run.sh("echo \"uid_map $(tr -s ' ' < /proc/self/uid_map)\";"
          + " echo \"gid_map $(tr -s ' ' < /proc/self/gid_map)\"; echo \"setgroups $(cat /proc/self/setgroups)\";"
          + " echo \"groups $(grep Groups: /proc/self/status | cut -f2)\"; cd /data;"
          + " echo \"owners $(stat -c %u:%g host-root-owned container-root-owned | tr '\\n' ' ')\";"
          + " echo x >> host-root-owned && echo 'write-unmapped ok' || echo 'write-unmapped refused';"
          + " chmod 666 host-root-owned && echo 'chmod-unmapped ok' || echo 'chmod-unmapped refused';"
          + " echo x >> container-root-owned && echo 'write-mapped ok' || echo 'write-mapped refused';"
          + " escape setgroups-empty setgroups-root setuid")
          .mount(Mount.bindWritable(dir, "/data")));
      assertThat(r.get("uid_map")).isEqualTo(" 0 " + IdMapping.DEFAULT_HOST_BASE + " 65536");
      assertThat(r.get("gid_map")).isEqualTo(" 0 " + IdMapping.DEFAULT_HOST_BASE + " 65536");
      // root wrote the maps, so setgroups stays allowed in the namespace; the launcher cleared the groups
      assertThat(r.get("setgroups")).isEqualTo("allow");
      assertThat(r.get("groups")).as("supplementary groups").isBlank();
      assertThat(r.get("owners")).as("the host's root is not mapped: nobody").isEqualTo("65534:65534 0:0 ");
      assertThat(r).containsEntry("write-unmapped", "refused").containsEntry("chmod-unmapped", "refused")
          .containsEntry("write-mapped", "ok");
      // no CAP_SETGID, CAP_SETUID
      assertThat(r.get("setgroups-empty")).isEqualTo(EPERM);
      assertThat(r.get("setgroups-root")).isEqualTo(EPERM);
      assertThat(r.get("setuid")).isEqualTo(EPERM);
      assertThat(Files.readString(hostRoots)).isEqualTo("host\n");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hostRoots))).isEqualTo("rw-r--r--");
    } finally {
      TestRootfs.deleteTree(dir);
    }
  }

  @Test
  void cap03RootlessSetgroupsIsDeniedSoANegativeGroupPermissionHolds() throws Exception {
    Path dir = Files.createTempDirectory("isola-escape-rootless-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      // readable by others, not by group 4242: a group that is there to take a right away (CVE-2014-8989)
      Path negative = dir.resolve("data/negative");
      Files.createDirectories(negative.getParent());
      Files.writeString(negative, "secret\n");
      Files.setAttribute(negative, "unix:gid", 4242);
      Files.setPosixFilePermissions(negative, PosixFilePermissions.fromString("rw----r--"));
      assertThat(asNobody(List.of("--clear-groups"), "cat", negative.toString())).as("control: nobody reads it").isEqualTo("secret\n");
      assertThat(asNobody(List.of("--groups", "4242"), "cat", negative.toString())).as("control: nobody in group 4242 does not")
          .contains("Permission denied");

      EscapeProbe.escape();
      Path jnaTmp = Files.createDirectories(dir.resolve("jna"));
      Files.setPosixFilePermissions(jnaTmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      String classPath = ChildJvm.worldReadableClassPath(Files.createDirectories(dir.resolve("cp")));
      List<String> jvm = new ArrayList<>(List.of(ChildJvm.java(), "-Djna.tmpdir=" + jnaTmp, "-Djava.io.tmpdir=" + jnaTmp,
          "-cp", classPath, RootlessProbe.class.getName(), TestRootfs.busybox().toString(), negative.getParent().toString()));
      String out = asNobody(List.of("--groups", "4242"), jvm.toArray(String[]::new));
      Map<String, String> r = EscapeProbe.parse(out);
      assertThat(r.get("uid_map")).as(out).isEqualTo(" 0 65534 1");
      assertThat(r.get("gid_map")).isEqualTo(" 0 65534 1");
      assertThat(r.get("setgroups")).as("an unprivileged writer of gid_map must deny setgroups").isEqualTo("deny");
      assertThat(r.get("groups")).as("the caller's group 4242 is kept, unmapped").isEqualTo("65534");
      assertThat(r.get("setgroups-empty")).isEqualTo(EPERM);
      assertThat(r.get("setgroups-root")).isEqualTo(EPERM);
      assertThat(r.get("negative")).as("the group that takes the right away cannot be dropped").isEqualTo("denied");
      assertThat(r.get("rootless")).isEqualTo("ruid=0 euid=0 suid=0 " + NONE);
      assertThat(r.get("init")).isEqualTo(NONE);
      assertThat(Files.readString(negative)).isEqualTo("secret\n");
    } finally {
      TestRootfs.deleteTree(dir);
    }
  }

  /** Runs a command on the host as nobody with the given setpriv group options; its output. */
  private static String asNobody(List<String> groups, String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", "65534", "--regid", "65534"));
    cmd.addAll(groups);
    cmd.add("--");
    cmd.addAll(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return out;
  }

  /** Run by an ordinary user in a child JVM: one container of the default spec, its output. */
  public static final class RootlessProbe {
    private RootlessProbe() {}

    public static void main(String[] args) throws Exception {
      String script = SETS + "echo \"uid_map $(tr -s ' ' < /proc/self/uid_map)\";"
          + " echo \"gid_map $(tr -s ' ' < /proc/self/gid_map)\"; echo \"setgroups $(cat /proc/self/setgroups)\";"
          + " echo \"groups $(grep Groups: /proc/self/status | cut -f2 | tr -d ' ')\";"
          + " cat /data/negative > /dev/null 2>&1 && echo 'negative readable' || echo 'negative denied';"
          + " sets init 1; escape setgroups-empty setgroups-root ids=rootless";
      try (Container c = Container.builder().rootfs(Path.of(args[0])).command("sh", "-c", script)
          .mount(Mount.bind(Path.of(args[1]), "/data")).start()) {
        System.out.print(new String(c.stdout().readAllBytes()));
        System.out.println("status " + c.waitFor());
      }
    }
  }
}
