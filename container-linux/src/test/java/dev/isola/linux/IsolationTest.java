package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.IdMapping;
import dev.isola.Namespace;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a container with the default spec sees, looked at from inside. */
class IsolationTest {
  private static final Map<Namespace, String> PROC_NAMES = Map.of(
      Namespace.USER, "user", Namespace.MOUNT, "mnt", Namespace.PID, "pid", Namespace.UTS, "uts",
      Namespace.IPC, "ipc", Namespace.NETWORK, "net", Namespace.CGROUP, "cgroup");

  @Test
  void everyNamespaceIsNew() throws IOException {
    Run r = Run.of("for n in user mnt pid uts ipc net cgroup; do echo $n $(readlink /proc/self/ns/$n); done");
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    Map<String, String> inside = parse(r.stdout);
    for (String name : PROC_NAMES.values()) {
      assertThat(inside.get(name)).as(name).isNotNull().isNotEqualTo(hostNamespace(name));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Namespace.class, names = {"NETWORK", "UTS", "IPC", "CGROUP", "PID"})
  void aSharedNamespaceIsTheHosts(Namespace shared) throws IOException {
    String name = PROC_NAMES.get(shared);
    Run r = Run.of(Run.sh("readlink /proc/self/ns/" + name + "; readlink /proc/self/ns/user").share(shared));
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    String[] lines = r.stdout.split("\n");
    assertThat(lines[0]).isEqualTo(hostNamespace(name));
    assertThat(lines[1]).isNotEqualTo(hostNamespace("user"));
  }

  @Test
  void withoutUserNamespaceAsRootTheContainerIsHostRoot() throws IOException {
    Run r = Run.of(Run.sh("readlink /proc/self/ns/user; cat /proc/self/uid_map").share(Namespace.USER));
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    assertThat(r.stdout).startsWith(hostNamespace("user"));
    assertThat(r.stdout.split("\n")[1].trim().split("\\s+")).containsExactly("0", "0", "4294967295");
  }

  @Test
  void theInitIsPid1AndTheCommandItsChild() {
    Run r = Run.of("echo $$; cat /proc/1/status | grep PPid; ls /proc | grep -E '^[0-9]+$' | wc -l");
    String[] lines = r.stdout.split("\n");
    assertThat(lines[0]).isEqualTo("2");
    assertThat(lines[1]).matches("PPid:\\s+0");
    // init, the shell, and the pipeline's processes: nothing of the host
    assertThat(Integer.parseInt(lines[2].trim())).isLessThanOrEqualTo(6);
  }

  @Test
  void withoutInitTheCommandIsPid1() {
    Run r = Run.of(Run.sh("echo $$").init(false));
    assertThat(r.stdout.trim()).isEqualTo("1");
  }

  @Test
  void hostname() {
    assertThat(Run.of("hostname").stdout.trim()).isEqualTo("isola");
    assertThat(Run.of(Run.sh("hostname").hostname("judge-7")).stdout.trim()).isEqualTo("judge-7");
  }

  @Test
  void asRootTheContainersRootIsAnUnprivilegedHostId() {
    Run r = Run.of("id -u; cat /proc/self/uid_map; cat /proc/self/gid_map");
    String[] lines = r.stdout.split("\n");
    assertThat(lines[0]).isEqualTo("0");
    assertThat(lines[1].trim().split("\\s+")).containsExactly("0", Long.toString(IdMapping.DEFAULT_HOST_BASE), "65536");
    assertThat(lines[2].trim().split("\\s+")).containsExactly("0", Long.toString(IdMapping.DEFAULT_HOST_BASE), "65536");
  }

  @Test
  void hostRootIsMappedOnlyWhenAskedByName() {
    Run r = Run.of(Run.sh("cat /proc/self/uid_map").idMapping(IdMapping.hostRoot()));
    assertThat(r.stdout.trim().split("\\s+")).containsExactly("0", "0", "65536");
  }

  @Test
  void explicitRanges() {
    IdMapping m = IdMapping.of(
        List.of(IdMapping.Range.of(0, 200000, 1000), IdMapping.Range.of(1000, 300000, 10)),
        List.of(IdMapping.Range.of(0, 200000, 1000)));
    Run r = Run.of(Run.sh("cat /proc/self/uid_map /proc/self/gid_map").idMapping(m));
    assertThat(r.stdout.trim().split("\\s+")).containsExactly(
        "0", "200000", "1000", "1000", "300000", "10", "0", "200000", "1000");
  }

  @Test
  void theHostsFilesAreInvisible() throws IOException {
    Path marker = Files.createTempFile("isola-marker-", ".txt");
    try {
      Run r = Run.of("ls /; test -e " + marker + " && echo VISIBLE; test -e /etc/shadow && echo SHADOW; cat /etc/marker");
      assertThat(r.stdout.split("\n")).contains("bin", "dev", "etc", "proc", "tmp").doesNotContain("VISIBLE", "SHADOW", "usr", "home");
      assertThat(r.stdout).contains("inside the test rootfs");
    } finally {
      Files.delete(marker);
    }
  }

  @Test
  void networkHasOnlyLoopbackAndItIsUp() {
    Run r = Run.of("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip link show lo");
    String[] lines = r.stdout.split("\n");
    assertThat(lines[0]).isEqualTo("lo");
    assertThat(lines[1]).startsWith("1: lo:").contains("UP");
    assertThat(r.stdout).doesNotContain("eth", "ens", "veth");
  }

  @Test
  void aSharedNetworkShowsTheHostsInterfaces() throws IOException {
    Run r = Run.of(Run.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort").share(Namespace.NETWORK));
    List<String> host = Files.readAllLines(Path.of("/proc/net/dev")).stream().skip(2)
        .map(l -> l.split(":")[0].trim()).sorted().collect(java.util.stream.Collectors.toList());
    assertThat(Arrays.asList(r.stdout.trim().split("\n"))).isEqualTo(host);
  }

  @Test
  void onlyStdioDescriptorsAreOpen() throws IOException {
    // descriptors the JVM opens without close-on-exec, one of them far above 1024 (ESC-02)
    int[] leaked = new int[200];
    for (int i = 0; i < leaked.length; i++) {
      leaked[i] = LibC.open("/etc/hostname", LibC.O_RDONLY, 0);
    }
    int high = LibC.fcntl(leaked[0], 0 /* F_DUPFD, no close-on-exec */, 4000);
    try {
      // ls lists its own descriptors: 0-2, and 3, its handle on the directory it lists
      Run r = Run.of(Run.sh("ls -l /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2 | grep -c pipe:; exec ls /proc/self/fd").init(false));
      assertThat(r.stdout).isEqualTo("3\n0\n1\n2\n3\n");
    } finally {
      for (int fd : leaked) {
        LibC.close(fd);
      }
      LibC.close(high);
    }
  }

  @Test
  void theMountTableHoldsOnlyTheContainersMountsNoneOfTheHosts() {
    Run r = Run.of("cut -d' ' -f5 /proc/self/mountinfo");
    // what Isola mounts, and nothing of the host's tree or of the staging root it built it in
    assertThat(r.stdout.lines()).as(r.stdout).allMatch(m -> m.equals("/") || m.equals("/tmp")
        || m.startsWith("/proc") || m.startsWith("/dev"))
        .contains("/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/tmp").doesNotContain("/oldroot", "/newroot", "/sys");
  }

  @Test
  void theRootIsReadOnlyAndTmpIsWritable() {
    Run r = Run.of("touch /etc/x 2>&1; echo rc=$?; echo hi > /tmp/x && cat /tmp/x; grep ' / ' /proc/self/mounts");
    assertThat(r.stdout).contains("Read-only file system").contains("rc=1").contains("hi\n");
    assertThat(r.stdout.lines().filter(l -> l.contains(" / ")).findFirst().orElseThrow()).contains("ro,");
  }

  @Test
  void aWritableRootfs() throws IOException {
    // the busybox root is root-owned; the container's root is the host's root only when asked
    Run r = Run.of(Run.sh("touch /data/written && echo ok").readOnlyRootfs(false).idMapping(IdMapping.hostRoot()));
    try {
      assertThat(r.stdout).as(r.toString()).contains("ok");
      assertThat(TestRootfs.busybox().resolve("data/written")).exists();
    } finally {
      Files.deleteIfExists(TestRootfs.busybox().resolve("data/written"));
    }
  }

  @Test
  void devHoldsTheMinimalSet() {
    Run r = Run.of("ls -A /dev | tr '\\n' ' '; echo; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c;"
        + " echo x > /dev/shm/f && echo shm-ok; touch /dev/new 2>&1; grep -E ' /dev/(pts|shm) ' /proc/self/mounts | cut -d' ' -f3");
    assertThat(r.stdout.split("\n")[0].trim().split(" ")).containsExactlyInAnyOrder(
        "full", "null", "random", "tty", "urandom", "zero", "pts", "ptmx", "shm", "fd", "stdin", "stdout", "stderr");
    assertThat(r.stdout).contains("null-ok", "shm-ok", "Read-only file system").contains("devpts", "tmpfs");
  }

  @Test
  void theDefaultRootIsTheHostsUsrReadOnly() {
    Run r = Run.of(Container.builder().command("sh", "-c",
        "ls /; test -e /etc/shadow && echo SHADOW; ls -A /root | wc -l; touch /usr/x 2>&1; echo; /usr/bin/env"));
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    assertThat(r.stdout.split("\n")).contains("usr", "etc", "proc", "dev", "tmp").doesNotContain("home", "SHADOW");
    assertThat(r.stdout.split("\n")).as("root's home is a tmpfs of its own, not the host's").contains("root", "0");
    assertThat(r.stdout).contains("Read-only file system");
    assertThat(r.stdout).contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }

  @Test
  void environmentAndWorkingDirectory() {
    Run r = Run.of(Run.sh("pwd; env | sort").workingDirectory("/etc").env("GREETING", "hello world"));
    // the login variables from the rootfs's /etc/passwd; it has no C.UTF-8 locale, so no LANG
    assertThat(r.stdout.split("\n")).containsExactly("/etc", "GREETING=hello world", "HOME=/root", "LOGNAME=root",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PWD=/etc", "SHLVL=1", "USER=root");
    // what the shell was given, before it sets its own PWD, SHLVL and PATH
    Run bare = Run.of(Run.sh("wc -c < /proc/$$/environ").clearEnv());
    assertThat(bare.stdout).isEqualTo("0\n");
  }

  private static String hostNamespace(String name) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/ns/" + name)).toString();
  }

  private static Map<String, String> parse(String out) {
    Map<String, String> m = new TreeMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.split(" ", 2);
      if (f.length == 2) {
        m.put(f[0], f[1]);
      }
    }
    return m;
  }
}
