package dev.isola.linux.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a container could leave behind in this JVM and on the host: child processes, pipes and
 * memfds, mounts, temporary directories. Take a snapshot before, then {@link #assertNoneSince()}.
 */
public final class Leftovers {
  private final List<Long> children = children();
  private final List<String> descriptors = descriptors();
  private final List<String> mounts = mounts();
  private final TreeSet<String> tmp = tmpEntries();

  public static Leftovers snapshot() {
    return new Leftovers();
  }

  public void assertNoneSince() {
    // a container's processes end just before its status pipe does; allow them a moment
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!children().equals(children) && System.nanoTime() < deadline) {
      sleep(10);
    }
    assertThat(children()).as("child processes of the JVM").isEqualTo(children);
    assertThat(descriptors()).as("pipes and memfds open in the JVM").isEqualTo(descriptors);
    assertThat(mounts()).as("mounts of the JVM's mount namespace").isEqualTo(mounts);
    TreeSet<String> added = tmpEntries();
    added.removeAll(tmp);
    // the tests' own fixtures come and go (and other test JVMs may share the directory)
    added.removeIf(name -> name.contains("/isola-test-") || name.contains("/isola-escape-"));
    assertThat(added).as("new entries of the temporary directory").isEmpty();
  }

  public static boolean processExists(long pid) {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      // a zombie is gone for every purpose but its parent's
      return Files.exists(stat) && !Files.readString(stat).replaceFirst("^.*\\) ", "").startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The JVM's child processes and the launch server's (the containers' first processes, and the
   * monitors it forked): Isola's own processes, apart from the one server the JVM keeps for its
   * whole life.
   */
  public static List<Long> children() {
    List<Long> result = new ArrayList<>();
    for (long child : childrenOf(ProcessHandle.current().pid())) {
      if (comm(child).equals("isola-server")) {
        result.addAll(childrenOf(child));
      } else {
        result.add(child);
      }
    }
    result.sort(null);
    return result;
  }

  private static String comm(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static List<Long> childrenOf(long parent) {
    List<Long> result = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (Long.parseLong(f[1]) == parent && !f[0].equals("Z")) {
            result.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException | RuntimeException e) {
          // the process ended while we looked
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return result;
  }

  public static List<String> descriptors() {
    List<String> result = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      fds.forEach(fd -> {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("pipe:") || target.contains("isola-plan")) {
            result.add(fd.getFileName() + " -> " + target);
          }
        } catch (IOException e) {
          // the listing's own descriptor
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    result.sort(null);
    return result;
  }

  private static List<String> mounts() {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Isola's entries in the temporary directory and on /dev/shm, and the root layers in its private directories. */
  private static TreeSet<String> tmpEntries() {
    TreeSet<String> names = new TreeSet<>();
    for (Path base : List.of(Path.of(System.getProperty("java.io.tmpdir")), Path.of("/dev/shm"))) {
      try (Stream<Path> entries = Files.list(base)) {
        entries.filter(p -> p.getFileName().toString().startsWith("isola")).forEach(p -> names.add(p.toString()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Path own = base.resolve("isola-" + LibC.geteuid());
      if (Files.isDirectory(own)) {
        try (Stream<Path> entries = Files.list(own)) {
          entries.filter(p -> p.getFileName().toString().startsWith("root-")).forEach(p -> names.add(p.toString()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return names;
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
