package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.testing.Background;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.SandboxProbe;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Catalog group J: container A (the writer) tries to pass a random 64-bit token to container B
 * (the reader) through every channel the kernel offers between sandboxes, while both run and one
 * after the other; B must never receive it. A checks each channel on its own side too, so that a
 * channel that silently failed to open cannot pass for a closed one.
 *
 * <p>XS-02 (AF_VSOCK) is in the harness as well (both sides are refused the socket). XS-05
 * (abstract unix sockets) is here as the token in a socket name, read from {@code
 * /proc/net/unix}; connecting between containers is in {@link EscapeNetworkTest}. XS-07 (CPU and
 * timing channels) has no test: Isola has no CPU pinning or core scheduling to test.
 */
class EscapeCrossSandboxTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String P = SandboxProbe.PROBE;

  /** What B runs, concurrently with A or after it: each line is what B found through one channel. */
  private static String reader(String token, int ipcKey, int port) {
    return "echo key $(" + P + " key-get isola-xs-" + token + ");"
        + " echo vsock $(" + P + " socket 40 1 0);"
        + " echo ipc $(" + P + " ipc-get " + ipcKey + ");"
        + " echo mq $(" + P + " mq-get /isola-xs);"
        + " echo files $(ls -A /tmp /dev/shm | grep -c " + token + ");"
        + " echo abstract-listed $(grep -c " + token + " /proc/net/unix);"
        + " echo abstract-connect $(" + P + " abstract-connect isola-xs-" + token + ");"
        + " echo tcp $(" + P + " tcp-connect 127.0.0.1 " + port + ")";
  }

  /** B's lines when nothing got through. */
  private static final List<String> NOTHING = List.of(
      "key request_key errno 1 keyctl-search errno 1", // keyrings: denied by seccomp (XS-01)
      "vsock errno 1",                                   // AF_VSOCK: denied by seccomp (XS-02)
      "ipc shm errno 2 msg errno 2 sem errno 2",         // SysV IPC: another IPC namespace (XS-04)
      "mq errno 2",                                      // POSIX mqueue: the same (XS-04)
      "files 0",                                         // /tmp and /dev/shm: its own tmpfs (XS-06)
      "abstract-listed 0",                               // abstract names: another network namespace (XS-05)
      "abstract-connect errno 111",
      "tcp errno 111");                                  // loopback: its own

  /** XS-01, XS-02, XS-04, XS-05, XS-06: A and B run at the same time. */
  @Test
  void concurrentContainersShareNoChannel() throws IOException {
    String token = token();
    int ipcKey = 1 + RANDOM.nextInt(1 << 30);
    int port = freePort();
    String writer = "echo key $(" + P + " key-put isola-xs-" + token + " " + token + ");"
        + " echo vsock $(" + P + " socket 40 1 0);"
        + " echo ipc $(" + P + " ipc-put " + ipcKey + " " + token + " | cut -d' ' -f1);"
        + " echo mq $(" + P + " mq-put /isola-xs " + token + ");"
        + " echo " + token + " > /tmp/isola-xs-" + token + "; echo " + token + " > /dev/shm/isola-xs-" + token + ";"
        + " " + EscapeNetworkTest.serveInBackground("abstract-serve isola-xs-" + token)
        + " " + EscapeNetworkTest.serveInBackground("tcp-serve 127.0.0.1 " + port)
        + " sleep 0.1; echo abstract-listed $(grep -c " + token + " /proc/net/unix); echo set-up;"
        + " wait;"
        // A's own side of each channel, after B has looked: the token was there all along
        + " echo own-ipc $(" + P + " ipc-get " + ipcKey + ");"
        + " echo own-mq $(" + P + " mq-get /isola-xs);"
        + " echo own-files $(cat /tmp/isola-xs-" + token + " /dev/shm/isola-xs-" + token + ")";
    List<String> a;
    Run b;
    try (Background writerContainer = Background.start(SandboxProbe.sh(writer))) {
      writerContainer.await("ready").await("ready").await("set-up");
      assertThat(hostIpcKeys()).as("the host's SysV IPC keys while A runs").doesNotContain(ipcKey);
      b = Run.of(SandboxProbe.sh(reader(token, ipcKey, port)));
      a = writerContainer.finish();
      assertThat(writerContainer.status().isSuccess()).as(a.toString()).isTrue();
    }
    assertThat(a).as("A").contains("key errno 1", "vsock errno 1", "ipc ok", "mq ok 0", "abstract-listed 1",
        "own-ipc shm " + token + " msg " + token + " sem 42", "own-mq ok " + token, "own-files " + token + " " + token);
    assertThat(b.stdout.split("\n")).as("B, " + b).containsExactlyElementsOf(NOTHING);
    assertThat(b.stdout + b.stderr).doesNotContain(token);
  }

  /** XS-04, XS-06: B runs after A ended in the same rootfs: nothing of A's is left anywhere. */
  @Test
  void aLaterContainerFindsNothingOfAnEarlierOne() throws IOException {
    String token = token();
    int ipcKey = 1 + RANDOM.nextInt(1 << 30);
    TreeSet<String> rootfsBefore = tree(TestRootfs.busybox());
    Run a = Run.of(SandboxProbe.sh("echo ipc $(" + P + " ipc-put " + ipcKey + " " + token + " | cut -d' ' -f1);"
        + " echo mq $(" + P + " mq-put /isola-xs " + token + ");"
        + " echo " + token + " > /tmp/isola-xs-" + token + " && echo " + token + " > /dev/shm/isola-xs-" + token + " && echo files;"
        + " touch /isola-xs-" + token + " /data/isola-xs-" + token + " 2>/dev/null || echo read-only"));
    assertThat(a.stdout.split("\n")).as(a.toString()).containsExactly("ipc ok", "mq ok 0", "files", "read-only");
    Run b = Run.of(SandboxProbe.sh(reader(token, ipcKey, freePort())));
    assertThat(b.stdout.split("\n")).as("B, " + b).containsExactlyElementsOf(NOTHING);
    assertThat(b.stdout + b.stderr).doesNotContain(token);
    // the host: other programs may come and go in /tmp and /dev/shm, so only A's names are looked for
    assertThat(hostIpcKeys()).as("the host's SysV IPC keys").doesNotContain(ipcKey);
    assertThat(tree(TestRootfs.busybox())).as("the rootfs").isEqualTo(rootfsBefore);
    assertThat(tree(SandboxProbe.dir())).as("the bound directory").noneMatch(f -> f.contains(token));
    assertThat(tree(Path.of(System.getProperty("java.io.tmpdir")), 1)).as("the host's temporary directory")
        .noneMatch(f -> f.contains(token));
    assertThat(tree(Path.of("/dev/shm"), 1)).as("the host's /dev/shm").noneMatch(f -> f.contains(token));
  }

  /**
   * XS-03, documented channel: a file lock is a property of the inode, and the inodes of a
   * read-only bind are the same in every container that binds it (here the shared busybox rootfs;
   * with the default root, the host's {@code /usr}). flock() needs only read access, so A holding
   * a lock on {@code /bin/busybox} is visible to B as EWOULDBLOCK: one bit per probe, at will.
   * inotify on such a file is the same kind of channel: B opening {@code /etc/marker} is an event
   * in A. Leases, the third inode operation, are refused (the file belongs to a user the container
   * does not map). Files of a container's own tmpfs ({@code /tmp}, {@code /dev/shm}) are not
   * shared. Isola does not close this channel: bind only what containers may share, or give each
   * its own copy, or deny {@code flock} and {@code inotify_add_watch} with a seccomp policy.
   */
  @Test
  void fileLocksAndInotifyOnSharedReadOnlyFilesCrossContainers() {
    String token = token();
    String writer = EscapeNetworkTest.serveInBackground("inotify-watch /etc/marker")
        + " exec 4<&3; " + P + " flock-hold /bin/busybox <&4 4<&- & "
        + " echo " + token + " > /tmp/lock; " + P + " flock-hold /tmp/lock <&3 3<&- & wait";
    try (Background a = Background.start(SandboxProbe.sh(writer))) {
      a.await("ready").await("ready").await("ready");
      Run b = Run.of(SandboxProbe.sh("echo busybox $(" + P + " flock-try /bin/busybox);"
          + " echo lease $(" + P + " lease /bin/busybox);"
          + " echo " + token + " > /tmp/lock; echo own-tmp $(" + P + " flock-try /tmp/lock);"
          + " cat /etc/marker >/dev/null"));
      assertThat(b.stdout.split("\n")).as(b.toString()).containsExactly(
          "busybox errno 11",  // EWOULDBLOCK: A's lock, seen from B
          "lease errno 13",    // EACCES
          "own-tmp ok 0");
      a.await("event 0x20");   // IN_OPEN of /etc/marker, by B
      a.await("event 0x1");    // IN_ACCESS, B read it
      a.finish();
    }
    // once A is gone, so is its lock
    Run after = Run.of(SandboxProbe.sh(P + " flock-try /bin/busybox"));
    assertThat(after.stdout).isEqualTo("ok 0\n");
  }

  // ---- helpers ----

  private static String token() {
    return String.format("%016x", RANDOM.nextLong());
  }

  /** The keys of the host's SysV IPC objects (shared memory, message queues, semaphores). */
  private static List<Integer> hostIpcKeys() throws IOException {
    List<Integer> keys = new java.util.ArrayList<>();
    for (String kind : List.of("shm", "msg", "sem")) {
      Files.readAllLines(Path.of("/proc/sysvipc/" + kind)).stream().skip(1)
          .forEach(l -> keys.add((int) Long.parseLong(l.trim().split("\\s+")[0])));
    }
    return keys;
  }

  private static TreeSet<String> tree(Path root) throws IOException {
    return tree(root, Integer.MAX_VALUE);
  }

  private static TreeSet<String> tree(Path root, int depth) throws IOException {
    try (Stream<Path> files = Files.walk(root, depth)) {
      return files.map(p -> root.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
