package dev.isola.linux.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.internal.launch.Launcher;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What an escape would change on the host, for the escape tests: the SHA-256 of the binaries an
 * attacker would overwrite (the launcher in the build, the JVM's {@code java} and {@code libjvm},
 * the busybox of the test root), the JVM's mount table, the kernel knobs a container must not
 * reach, and the entries and times of directories the test names. Take a snapshot before the
 * attack, then {@link #assertUnchanged()}.
 */
public final class HostState {
  /** Kernel knobs an escape would write (FS-03, FS-11); absent ones are recorded as absent. */
  public static final List<String> KNOBS = List.of("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
      "/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname", "/proc/sys/net/ipv4/ip_forward",
      "/proc/sys/vm/overcommit_memory", "/proc/sys/kernel/sysrq", "/sys/kernel/uevent_helper");

  private final Map<String, String> hashes = new LinkedHashMap<>();
  private final Map<String, String> knobs = new LinkedHashMap<>();
  private final Map<String, String> dirs = new LinkedHashMap<>();
  private final List<String> mounts;

  private HostState(List<Path> watched) {
    for (Path binary : binaries()) {
      hashes.put(binary.toString(), sha256(binary));
    }
    for (String knob : KNOBS) {
      knobs.put(knob, read(Path.of(knob)));
    }
    for (Path dir : watched) {
      dirs.put(dir.toString(), describe(dir));
    }
    mounts = readLines(Path.of("/proc/self/mountinfo"));
  }

  /** A snapshot that also records every entry (name, type, size, mtime) under {@code watched}. */
  public static HostState snapshot(Path... watched) {
    return new HostState(List.of(watched));
  }

  public void assertUnchanged() {
    for (Path binary : binaries()) {
      assertThat(sha256(binary)).as("SHA-256 of " + binary).isEqualTo(hashes.get(binary.toString()));
    }
    for (String knob : KNOBS) {
      assertThat(read(Path.of(knob))).as(knob).isEqualTo(knobs.get(knob));
    }
    dirs.forEach((dir, before) -> assertThat(describe(Path.of(dir))).as("the entries of " + dir).isEqualTo(before));
    assertThat(readLines(Path.of("/proc/self/mountinfo"))).as("the JVM's mount table").isEqualTo(mounts);
  }

  /** The launcher as built into the class path, the JVM's own binaries, and busybox. */
  public static List<Path> binaries() {
    List<Path> files = new ArrayList<>();
    files.add(launcherResource());
    Path javaHome = Path.of(System.getProperty("java.home"));
    files.add(javaHome.resolve("bin/java"));
    files.add(javaHome.resolve("lib/server/libjvm.so"));
    files.add(TestRootfs.busybox().resolve("bin/busybox"));
    files.add(Path.of("/bin/busybox"));
    return files;
  }

  public static Path launcherResource() {
    try {
      return Path.of(Launcher.class.getResource("/dev/isola/linux/launcher-" + System.getProperty("os.arch")).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The seals of the memfd (or other file) that {@code exe} opens, from the host; -1 for a file that takes none. */
  public static int seals(Path exe) {
    int fd = LibC.open(exe.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
    assertThat(fd).as("open " + exe + " on the host").isGreaterThanOrEqualTo(0);
    try {
      return LibC.fcntl(fd, 1034 /* F_GET_SEALS */, 0);
    } finally {
      LibC.close(fd);
    }
  }

  /** Every base seal: the file can neither change size nor be written, nor its seals change. */
  public static final int BASE_SEALS = LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_WRITE;

  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Every entry below {@code dir} (not following symlinks): path, type, size, mtime, link target. */
  public static String describe(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return "absent";
    }
    StringBuilder out = new StringBuilder();
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted().forEach(p -> {
        try {
          out.append(dir.relativize(p)).append(' ');
          if (Files.isSymbolicLink(p)) {
            out.append("-> ").append(Files.readSymbolicLink(p));
          } else {
            out.append(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir " : "file ")
                .append(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "" : Files.size(p) + " ")
                .append(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis());
          }
          out.append('\n');
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "absent";
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
