package dev.isola.linux;

import static dev.isola.linux.testing.EscapeProbe.ENOSYS;
import static dev.isola.linux.testing.EscapeProbe.EPERM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Mount;
import dev.isola.linux.testing.EscapeProbe;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Catalog group D, "Syscall surface and kernel attack surface", from inside a container of the
 * default spec: the escape probe (src/test/c/escape.c) makes each call raw, with arguments the
 * kernel would accept, so that the filter's answer (EPERM for a call it knows, ENOSYS for one newer
 * than it) differs from what the kernel would say. SeccompTest covers the basics; this goes
 * through every call of each case, and checks the host afterwards where a call would change it.
 */
class EscapeSyscallTest {
  /** Asserts that each case answered exactly {@code expected}. */
  private static void assertAll(Map<String, String> results, String expected, String... cases) {
    for (String c : cases) {
      assertThat(results).as("output of the probe: " + results).containsKey(c);
      assertThat(results.get(c)).as(c).isEqualTo(expected);
    }
  }

  @Test
  void sys01NoNewNamespacesOfAnyKindButForkAndThreadsWork() {
    String[] unshare = {"unshare-user", "unshare-mnt", "unshare-uts", "unshare-ipc", "unshare-pid", "unshare-net",
        "unshare-cgroup", "unshare-time", "unshare-files"};
    // clone's flags are a register: the filter sees them; CLONE_NEWUSER with a high bit set too
    String[] clone = {"clone-user", "clone-mnt", "clone-uts", "clone-ipc", "clone-pid", "clone-net", "clone-cgroup",
        "clone-user-high"};
    // clone3's flags are in memory, where the filter cannot look: the whole call answers ENOSYS
    String[] clone3 = {"clone3-user", "clone3-plain"};
    String[] setns = {"setns-user", "setns-mnt", "setns-net"};
    Map<String, String> r = EscapeProbe.run(concat(unshare, clone, clone3, setns, new String[] {"clone-plain", "fork", "thread"}));
    assertAll(r, EPERM, unshare);
    assertAll(r, EPERM, clone);
    assertAll(r, ENOSYS, clone3);
    assertAll(r, EPERM, setns);
    assertThat(r.get("clone-plain")).as("a clone without namespace flags is a fork").startsWith("ok ");
    assertThat(r).containsEntry("fork", "works").containsEntry("thread", "works");
  }

  @Test
  void sys02TheMountApiIsClosedAndTheMountTablesStayAsTheyWere() throws IOException {
    List<String> hostMounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
    String[] denied = {"mount-tmpfs", "mount-bind", "mount-remount-rw", "umount-proc", "pivot-root", "chroot",
        "fsopen-tmpfs", "fsopen-ext4", "fspick", "fsconfig", "fsmount", "open-tree", "open-tree-clone", "move-mount",
        "mount-setattr", "quotactl", "quotactl-fd"};
    Map<String, String> r = EscapeProbe.run(Run.sh("echo \"mounts-before $(md5sum < /proc/self/mountinfo)\"; escape "
        + String.join(" ", denied) + " open-tree-attr; echo \"mounts-after $(md5sum < /proc/self/mountinfo)\""));
    assertAll(r, EPERM, denied);
    // open_tree_attr (Linux 6.15) is newer than the profile
    assertThat(r.get("open-tree-attr")).isEqualTo(EscapeProbe.deniedAnswer(467));
    assertThat(r.get("mounts-after")).as("the container's own mount table").isEqualTo(r.get("mounts-before"));
    assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).as("the host's mount table").isEqualTo(hostMounts);
  }

  @Test
  void sys03KeyringsAreClosedAndTheHostsKeyUsersUnchanged() throws IOException {
    List<String> keyUsers = keyUserIds();
    String[] keys = {"add-key", "add-key-session", "request-key", "keyctl-user-keyring", "keyctl-join-session"};
    assertAll(EscapeProbe.run(keys), EPERM, keys);
    assertThat(keyUserIds()).as("users holding keys on the host (/proc/key-users)").isEqualTo(keyUsers);
  }

  @Test
  void sys04UserfaultfdIsClosed() {
    Map<String, String> r = EscapeProbe.run("userfaultfd", "userfaultfd-user-mode-only", "open=/dev/userfaultfd");
    assertAll(r, EPERM, "userfaultfd", "userfaultfd-user-mode-only");
    assertThat(r.get("open=/dev/userfaultfd")).as("no /dev/userfaultfd").isEqualTo("errno 2");
  }

  @Test
  void sys05TracingBpfAndTheKernelLogAreClosed() {
    // perf with exclude_kernel is what the kernel itself allows an ordinary user (perf_event_paranoid 2)
    String[] denied = {"perf-user-only", "perf-with-kernel", "bpf-prog-load", "bpf-map-create", "syslog-read-all",
        "syslog-size", "lookup-dcookie"};
    Map<String, String> r = EscapeProbe.run(concat(denied, new String[] {"open=/dev/kmsg"}));
    assertAll(r, EPERM, denied);
    assertThat(r.get("open=/dev/kmsg")).isEqualTo("errno 2");
  }

  @Test
  void sys06IoUringIsClosed() {
    String[] calls = {"io-uring-setup", "io-uring-enter", "io-uring-register"};
    assertAll(EscapeProbe.run(calls), EPERM, calls);
  }

  @Test
  void sys07AfAlgAndAfVsockAreClosedInEveryEncodingAndTheSharedFilesUnchanged() throws IOException {
    Path busybox = TestRootfs.busybox().resolve("bin/busybox");
    Path escape = EscapeProbe.escape();
    String before = sha256(busybox) + sha256(escape);
    // the kernel reads the family as an int: its upper half must not get a family past the filter
    String[] denied = {"socket-alg", "socket-alg-cloexec", "socket-alg-high", "socket-alg-high-all", "socket-vsock",
        "socket-vsock-dgram", "socket-vsock-high"};
    String[] allowed = {"socket-unix", "socket-inet", "socket-inet6", "socket-netlink"};
    Map<String, String> r = EscapeProbe.run(concat(denied, allowed, new String[] {"socketpair-alg", "socketpair-vsock"}));
    assertAll(r, EPERM, denied);
    for (String c : allowed) {
      assertThat(r.get(c)).as(c).startsWith("ok ");
    }
    // socketpair takes no family the filter checks; neither family has pairs, so no descriptor comes back
    assertThat(r.get("socketpair-alg")).startsWith("errno ");
    assertThat(r.get("socketpair-vsock")).startsWith("errno ");
    assertThat(sha256(busybox) + sha256(escape)).as("the rootfs's programs, in the host's page cache").isEqualTo(before);
  }

  @Test
  void sys08KernelAndHostWideKnobsAreClosedAndTheHostsClockAndNamesUnchanged() throws IOException {
    String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname"));
    String domainname = Files.readString(Path.of("/proc/sys/kernel/domainname"));
    Instant before = Instant.now();
    String[] denied = {"init-module", "finit-module", "delete-module", "create-module", "query-module",
        "get-kernel-syms", "kexec-load", "kexec-file-load", "reboot-cad-off", "swapon", "swapoff", "settimeofday",
        "clock-settime", "clock-adjtime-set", "adjtimex-set", "acct", "acct-off", "iopl", "ioperm", "vhangup",
        "sethostname", "setdomainname", "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl", "quotactl"};
    Map<String, String> r = EscapeProbe.run(Run.sh("escape " + String.join(" ", denied) + " adjtimex-read;"
        + " echo \"hostname-inside $(hostname)\""));
    assertAll(r, EPERM, denied);
    assertThat(r.get("adjtimex-read")).as("reading the clock's state stays allowed").isEqualTo("reads");
    assertThat(r.get("hostname-inside")).isEqualTo("isola");
    // the probe tried to set the clock an hour ahead
    assertThat(Duration.between(before, Instant.now())).as("the host's clock").isBetween(Duration.ZERO, Duration.ofMinutes(5));
    assertThat(Files.readString(Path.of("/proc/sys/kernel/hostname"))).isEqualTo(hostname);
    assertThat(Files.readString(Path.of("/proc/sys/kernel/domainname"))).isEqualTo(domainname);
  }

  @Test
  void sys09OpenByHandleAtIsClosedOnEveryMount() throws IOException {
    Path dir = Files.createTempDirectory("isola-escape-handle-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      Files.writeString(dir.resolve("file"), "bound\n");
      Map<String, String> r = EscapeProbe.run(EscapeProbe.spec("handle=/data", "handle=/", "handle=/tmp", "handle=/proc")
          .mount(Mount.bind(dir, "/data")));
      for (String m : List.of("/data", "/", "/tmp")) {
        // the kernel makes a handle for any file (Docker allows that part), but none can be opened
        assertThat(r.get("handle=" + m + "-name-to-handle")).as(m).isEqualTo("ok 0");
      }
      for (String m : List.of("/data", "/", "/tmp", "/proc")) {
        assertThat(r.get("handle=" + m + "-shocker")).as("inode 2 of the file system of " + m).isEqualTo(EPERM);
      }
      assertAll(r, EPERM, "handle=/data-own-handle", "handle=/-own-handle", "handle=/tmp-own-handle");
    } finally {
      TestRootfs.deleteTree(dir);
    }
  }

  @Test
  void sys10TracemeDoesNotElevateTheInitCannotBeTracedAndCrossProcessCallsAreClosed() throws Exception {
    EscapeProbe.SetuidFiles files = EscapeProbe.SetuidFiles.create();
    try {
      // on the host, the file is a working setuid program: run by nobody, it runs as its owner
      assertThat(files.runOnHostAsNobody("suid-ids")).contains("euid=" + files.hostId(1000) + " ");
      // the bind allows setuid, so that what stops the traced exec is the kernel's ptrace rule and no_new_privs
      Map<String, String> r = EscapeProbe.run(EscapeProbe.spec("traceme-exec=/data/suid-ids", "ptrace-attach=1",
          "ptrace-seize=1", "vm-readv=1", "vm-writev=1", "kcmp", "pidfd-getfd", "process-madvise", "open=/proc/1/mem")
          .mount(Mount.bindWritable(files.dir, "/data").withFlags(Set.of())));
      assertThat(r.get("traceme-exec")).as("a traced setuid exec").contains("euid=0 ").contains("CapEff=0000000000000000");
      // the init, not the command's child: not dumpable, and its program is the launcher, exec'd outside
      assertAll(r, EPERM, "ptrace-attach=1", "ptrace-seize=1", "vm-readv=1", "vm-writev=1");
      assertThat(r.get("open=/proc/1/mem")).isEqualTo("errno 13");
      // the calls Docker gates on CAP_SYS_PTRACE, with arguments the kernel would take (the process itself)
      assertAll(r, EPERM, "kcmp", "pidfd-getfd", "process-madvise");
    } finally {
      files.delete();
    }
  }

  @Test
  void sys11OnlyTheHarmlessPersonalitiesAreAllowed() {
    String[] allowed = {"personality=0", "personality=8", "personality=0x20000", "personality=0x20008",
        "personality=0xffffffff"};
    // PER_BSD, READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, PER_LINUX32 with it, ADDR_COMPAT_LAYOUT, PER_SVR4, and
    // high bits: the kernel reads an unsigned int, so 0x100000000 would be 0 and is refused rather than guessed at
    String[] denied = {"personality=6", "personality=0x0400000", "personality=0x0040000", "personality=0x0060000",
        "personality=0x0200000", "personality=0x4100001", "personality=0x100000000", "personality=0x100000006"};
    Map<String, String> r = EscapeProbe.run(concat(allowed, denied));
    assertAll(r, "ok 0", allowed);
    assertAll(r, EPERM, denied);
  }

  @Test
  void sys12OtherAbisAndHighBitsOfTheCallNumberGetNowhere() throws Exception {
    // the i386 ABI: where the host's kernel has none (ia32_emulation=0), int 0x80 is a SIGSEGV there too
    Process onHost = new ProcessBuilder(EscapeProbe.escape().toString(), "socketcall-int80").start();
    String hostOut = new String(onHost.getInputStream().readAllBytes());
    int hostStatus = onHost.waitFor();
    boolean hostHasI386 = hostStatus == 0 && hostOut.startsWith("socketcall-int80 ");
    int i386Death = 128 + (hostHasI386 ? 31 : 11);
    String[] killed = {"probe x32 272 0x10000000", "probe x32 250 0 0", "probe x32 41 38 5 0", "probe x32 39",
        "probe int80 310 0x10000000", "probe int80 288 0 0", "escape socketcall-int80"};
    StringBuilder script = new StringBuilder();
    for (String k : killed) {
      script.append(k).append("; echo \"rc-").append(k.replace(' ', '_')).append(" $?\"; ");
    }
    script.append("escape nr=0x100000110 nr=0x100000027");
    Run run = Run.of(Run.sh(script.toString()));
    Map<String, String> r = EscapeProbe.parse(run.stdout);
    for (String k : killed) {
      int expected = k.contains("x32") ? 128 + 31 : i386Death;
      assertThat(r.get("rc-" + k.replace(' ', '_'))).as(k + " dies of signal " + (expected - 128) + "\n" + run).isEqualTo(Integer.toString(expected));
    }
    assertThat(run.stdout.lines().filter(l -> !l.startsWith("rc-") && !l.startsWith("nr="))).as("no call of another ABI returned")
        .isEmpty();
    // the kernel uses the low 32 bits of the number, and so does the filter: unshare stays unshare
    assertThat(r.get("nr=0x100000110")).as("unshare with the upper half set").isEqualTo(EPERM);
    assertThat(r.get("nr=0x100000027")).as("getpid with the upper half set: the kernel's reading").startsWith("ok ");
  }

  @Test
  void sys13TiocstiAndTioclinuxAreDeniedWithAnyUpperHalfOnATerminalTheContainerOwns() {
    // the container's own pty, made its controlling terminal: the kernel would allow TIOCSTI here
    Map<String, String> r = EscapeProbe.run("own-pty");
    assertThat(r.get("own-pty-tiocgwinsz-1")).as("the kernel ignores the upper half of a request").isEqualTo("ok 0");
    for (String high : List.of("0", "1", "ffffffff")) {
      assertAll(r, EPERM, "own-pty-tiocsti-" + high, "own-pty-tioclinux-setsel-" + high, "own-pty-tioclinux-pastesel-" + high);
    }
    assertThat(r.get("own-pty-queued")).as("bytes that reached the terminal's input").isEqualTo("0");
  }

  @Test
  void sys14NewCallsAnswerEnosysSoThatAStaticGlibcProgramWorks() {
    // glibc 2.34+ tries clone3 for posix_spawn and threads, and faccessat2 for faccessat(AT_EACCESS)
    Map<String, String> r = EscapeProbe.run("spawn", "thread", "faccessat2", "faccessat-libc", "close-range",
        "clone3-plain", "nr=1000", "nr=1023", "mount-tmpfs");
    assertThat(r).containsEntry("spawn", "works").containsEntry("thread", "works");
    assertAll(r, "ok 0", "faccessat2", "faccessat-libc", "close-range");
    assertAll(r, ENOSYS, "clone3-plain", "nr=1000", "nr=1023");
    assertThat(r.get("mount-tmpfs")).as("a known, denied call").isEqualTo(EPERM);
  }

  @Test
  void sys15TheFilterHoldsForEveryProcessAndThread() {
    // one filter: the profile, its refinements (socket, ioctl) and ENOSYS for unknown calls, merged
    String filtered = "NoNewPrivs=1 Seccomp=2 Seccomp_filters=1 mount=EPERM";
    Map<String, String> r = EscapeProbe.run(Run.sh("escape filter=child; sh -c 'escape filter=grandchild';"
        + " (escape filter=background &) ; sleep 0.2; echo \"init $(cat /proc/1/comm)"
        + " $(grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/1/status | tr -d '\\t' | tr '\\n' ' ')\""));
    for (String who : List.of("child", "grandchild", "background")) {
      for (String part : List.of("-self", "-thread", "-child")) {
        assertThat(r.get(who + part)).as(who + part).isEqualTo(filtered);
      }
    }
    // the init was forked before the filter was loaded and runs no code of the container's: it holds nothing
    assertThat(r.get("init")).isEqualTo("isola-init CapEff:0000000000000000 CapBnd:0000000000000000 NoNewPrivs:1 ");
    // without the init, the command itself is pid 1
    Map<String, String> pid1 = EscapeProbe.run(EscapeProbe.spec("filter=pid1").init(false));
    assertThat(pid1.get("pid1-self")).isEqualTo(filtered);
    assertThat(pid1.get("pid1-thread")).isEqualTo(filtered);
  }

  // ---- helpers ----

  private static String[] concat(String[]... parts) {
    return Arrays.stream(parts).flatMap(Arrays::stream).toArray(String[]::new);
  }

  private static List<String> keyUserIds() throws IOException {
    return Files.readAllLines(Path.of("/proc/key-users")).stream().map(l -> l.trim().split(":")[0]).sorted().toList();
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
