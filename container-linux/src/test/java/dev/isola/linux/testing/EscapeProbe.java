package dev.isola.linux.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.linux.XAttrUtil;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.linux.internal.seccomp.Libseccomp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The escape suite's probes (src/test/c): {@code escape}, static, in the busybox rootfs as
 * {@code /bin/escape}; and host helpers, built into a temporary directory that is deleted when
 * the JVM ends. {@code escape CASE[=ARG]...} prints one line per case, "CASE[=ARG] RESULT", where
 * RESULT is "ok N", "errno N" or the case's own text.
 */
public final class EscapeProbe {
  public static final String EPERM = "errno 1";
  public static final String ENOSYS = "errno 38";

  private static Path escape;
  private static Path hostDir;

  private EscapeProbe() {}

  /** The probe, compiled into the busybox rootfs on first use; its path on the host. */
  public static synchronized Path escape() {
    if (escape == null) {
      Path out = TestRootfs.busybox().resolve("bin/escape");
      compile("escape.c", out, true);
      escape = out;
    }
    return escape;
  }

  /** A host helper of src/test/c, compiled once, in a directory any user may read. */
  public static synchronized Path hostHelper(String name) {
    try {
      if (hostDir == null) {
        hostDir = Files.createTempDirectory("isola-escape-helpers-");
        Files.setPosixFilePermissions(hostDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = hostDir;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> TestRootfs.deleteTree(dir)));
      }
      Path out = hostDir.resolve(name);
      if (!Files.exists(out)) {
        compile(name + ".c", out, false);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void compile(String source, Path out, boolean isStatic) {
    if (isStatic) {
      TestRootfs.compile(source, out, "-static", "-O2", "-Wall", "-pthread");
    } else {
      TestRootfs.compile(source, out, "-O2", "-Wall", "-pthread");
    }
  }

  /** A container of the busybox rootfs, with the default spec, running {@code escape cases...}. */
  public static ContainerSpec.Builder spec(String... cases) {
    escape();
    List<String> cmd = new ArrayList<>(List.of("escape"));
    cmd.addAll(List.of(cases));
    return Container.builder().rootfs(TestRootfs.busybox()).command(cmd);
  }

  /** Runs the cases in one container of the default spec; case → result. */
  public static Map<String, String> run(String... cases) {
    return run(spec(cases));
  }

  /** Runs a container whose output is lines of "CASE RESULT"; case → result. */
  public static Map<String, String> run(ContainerSpec.Builder spec) {
    escape();
    Run r = Run.of(spec);
    assertThat(r.status.isSuccess()).as(r.toString()).isTrue();
    return parse(r.stdout);
  }

  public static Map<String, String> parse(String out) {
    Map<String, String> results = new LinkedHashMap<>();
    out.lines().filter(l -> l.indexOf(' ') > 0).forEach(l -> results.put(l.substring(0, l.indexOf(' ')), l.substring(l.indexOf(' ') + 1)));
    return results;
  }

  /**
   * What the default filter answers for a call it denies, by number: EPERM for a call that
   * libseccomp knows, ENOSYS for one newer than it (SYS-14).
   */
  public static String deniedAnswer(int nr) {
    Pointer name = Libseccomp.seccomp_syscall_resolve_num_arch(Libseccomp.seccomp_arch_native(), nr);
    if (name == null) {
      return ENOSYS;
    }
    Native.free(Pointer.nativeValue(name));
    return EPERM;
  }

  /**
   * Programs that would raise their privilege, in a host directory to bind into a container: the
   * probe as {@code suid-ids} (setuid, owned by container uid 1000), {@code fcap-ids} (file
   * capabilities SETUID and SYS_ADMIN, effective, for the container's user namespace: a v3
   * {@code security.capability} with the container root's host id as its root id) and {@code
   * plain-ids} (owned by the host's root, which the container does not map). Each prints its
   * ids and capabilities when run as {@code PROGRAM ids=NAME}.
   */
  public static final class SetuidFiles {
    public final Path dir;
    final long hostBase;

    private SetuidFiles(Path dir, long hostBase) {
      this.dir = dir;
      this.hostBase = hostBase;
    }

    public static SetuidFiles create() throws IOException, InterruptedException {
      // the host id of the container's root, under the default mapping
      Run ids = Run.of("cat /proc/self/uid_map");
      String[] map = ids.stdout.trim().split("\\s+");
      assertThat(map[0]).as(ids.toString()).isEqualTo("0");
      long base = Long.parseLong(map[1]);
      Path dir = Files.createTempDirectory("isola-escape-setuid-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      SetuidFiles files = new SetuidFiles(dir, base);
      try {
        Path suid = files.copy("suid-ids");
        chown(suid, base + 1000);
        Files.setPosixFilePermissions(suid, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setAttribute(suid, "unix:mode", 04755);
        Path fcap = files.copy("fcap-ids");
        chown(fcap, base);
        XAttrUtil.setXAttr(fcap.toString(), "security.capability", fileCaps((1L << 7) | (1L << 21), base));
        files.copy("plain-ids");
        return files;
      } catch (IOException | RuntimeException e) {
        files.delete();
        throw e;
      }
    }

    private Path copy(String name) throws IOException {
      Path p = dir.resolve(name);
      Files.copy(escape(), p, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      return p;
    }

    private static void chown(Path p, long id) throws IOException {
      Files.setAttribute(p, "unix:uid", (int) id);
      Files.setAttribute(p, "unix:gid", (int) id);
    }

    /** struct vfs_ns_cap_data: revision 3, effective, the permitted set, the root id. */
    private static byte[] fileCaps(long permitted, long rootId) {
      ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(0x03000000 | 0x1).putInt((int) permitted).putInt(0).putInt((int) (permitted >>> 32)).putInt(0).putInt((int) rootId);
      return b.array();
    }

    public long hostId(long containerId) {
      return hostBase + containerId;
    }

    /** Runs one of the programs on the host as nobody, as a control: what it does outside. */
    public String runOnHostAsNobody(String name) throws IOException, InterruptedException {
      Process p = new ProcessBuilder("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--",
          dir.resolve(name).toString(), "ids=host").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      return out;
    }

    public void delete() {
      TestRootfs.deleteTree(dir);
    }
  }
}
