package dev.isola.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Everything the benchmark creates on the host, in one temporary directory: a busybox rootfs, an
 * OCI bundle for crun that uses it, crun's state directory, and (on a hybrid cgroup host) a helper
 * process that holds a private mount namespace in which crun accepts the host. {@link #close()}
 * removes all of it; a shutdown hook calls it too, so an interrupted run leaves nothing behind.
 */
final class Workspace implements AutoCloseable {
  /** Where crun 1.8 looks to tell a hybrid host; hidden (in a private mount namespace only) by an empty file. */
  static final String UNIFIED_CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers";

  final Path dir;
  final Path rootfs;
  final Path bundle;
  final Path crunState;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread hook = new Thread(this::close, "isola-benchmarks-cleanup");
  private @Nullable Process namespaceHolder;

  private Workspace(Path dir) {
    this.dir = dir;
    this.rootfs = dir.resolve("rootfs");
    this.bundle = dir.resolve("crun-bundle");
    this.crunState = dir.resolve("crun-state");
  }

  static Workspace create() throws IOException {
    Path dir = Files.createTempDirectory("isola-benchmarks-");
    Workspace w = new Workspace(dir);
    Runtime.getRuntime().addShutdownHook(w.hook);
    // the containers' root users are unprivileged host ids: they must be able to walk in
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return w;
  }

  /** A root with /bin/busybox, a link per applet, and the directories containers mount on. */
  void buildRootfs(Path busybox) throws IOException {
    for (String d : List.of("bin", "proc", "dev", "tmp", "etc", "sys", "root")) {
      Files.createDirectories(rootfs.resolve(d));
    }
    Files.setPosixFilePermissions(rootfs.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.copy(busybox, rootfs.resolve("bin/busybox"));
    Files.setPosixFilePermissions(rootfs.resolve("bin/busybox"), PosixFilePermissions.fromString("r-xr-xr-x"));
    List<String> applets = new ArrayList<>();
    Process p = new ProcessBuilder(busybox.toString(), "--list").redirectErrorStream(true).start();
    p.getOutputStream().close();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      r.lines().map(String::strip).filter(s -> s.matches("[A-Za-z0-9_.\\[\\]-]+")).forEach(applets::add);
    }
    waitQuietly(p);
    applets.addAll(List.of("true", "sh", "sleep")); // the ones the benchmark needs, whatever --list said
    for (String a : applets) {
      Path link = rootfs.resolve("bin").resolve(a);
      if (!a.equals("busybox") && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, Path.of("busybox"));
      }
    }
    Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\n");
  }

  /**
   * A minimal OCI bundle: /bin/true in the rootfs, read-only root, the namespaces Isola makes
   * (user with Isola's id range, mount, pid, uts, ipc, network, cgroup), no capabilities,
   * no_new_privs, fresh /proc with Isola's masked and read-only paths, tmpfs /dev with devpts and
   * shm, tmpfs /tmp. No cgroup resources and no seccomp filter (crun would need the profile as
   * JSON); the output says so.
   */
  void writeCrunBundle(long uidBase, long gidBase) throws IOException {
    Files.createDirectories(bundle);
    Files.createDirectories(crunState);
    String config = """
        {
          "ociVersion": "1.0.0",
          "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": ["/bin/true"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {"bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": []},
            "noNewPrivileges": true
          },
          "root": {"path": "%s", "readonly": true},
          "hostname": "crun",
          "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777", "size=256m"]}
          ],
          "linux": {
            "uidMappings": [{"containerID": 0, "hostID": %d, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": %d, "size": 65536}],
            "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                           {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
          }
        }
        """.formatted(json(rootfs.toString()), uidBase, gidBase);
    Files.writeString(bundle.resolve("config.json"), config);
  }

  /**
   * Starts a process that holds a private mount namespace in which an empty file hides
   * {@value #UNIFIED_CONTROLLERS} (crun 1.8 refuses hybrid hosts otherwise); crun then runs in it
   * through {@code nsenter}. The host's mounts and cgroups are not touched. Returns its pid.
   */
  long holdCrunNamespace(Path unshare) throws IOException {
    Path empty = dir.resolve("empty-cgroup.controllers");
    Files.writeString(empty, "");
    Process p = new ProcessBuilder(unshare.toString(), "-m", "--propagation", "private", "/bin/sh", "-c",
        "mount --bind \"$0\" " + UNIFIED_CONTROLLERS + " && echo ready && exec cat", empty.toString())
        .redirectErrorStream(true).start();
    namespaceHolder = p;
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = r.readLine();
    if (!"ready".equals(line)) {
      StringBuilder err = new StringBuilder(line == null ? "" : line);
      r.lines().forEach(l -> err.append(' ').append(l));
      waitQuietly(p);
      throw new IOException("could not prepare a private mount namespace for crun: " + err.toString().strip());
    }
    return p.pid(); // unshare and sh exec, so the pid is the namespace's holder, cat
  }

  /** Stops the namespace holder and deletes everything under the temporary directory. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs or ran: fine
      }
    }
    Process p = namespaceHolder;
    if (p != null) {
      try {
        p.getOutputStream().close(); // cat reads end of file and exits
      } catch (IOException e) {
        // already gone
      }
      try {
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      deleteTree(dir);
    } catch (IOException e) {
      System.err.println("warning: could not delete " + dir + ": " + e);
    }
  }

  boolean deleted() {
    return !Files.exists(dir);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    // does not follow symlinks: the applet links are deleted, never their targets
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, @Nullable IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void waitQuietly(Process p) {
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String json(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
