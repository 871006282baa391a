package dev.isola.linux;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.Mount;
import dev.isola.Namespace;
import dev.isola.linux.testing.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Run in a child JVM for FS-06, inside a mount namespace of its own where {@code args[0]}, a
 * busybox root, is a shared mount. Starts containers on that root, some that run, some that fail
 * mid-setup or before it, with and without a user namespace, and compares its own mount table
 * with the one before each: prints "mount table CASE: unchanged" or what changed.
 */
public final class MountLeakMain {
  static final int CASES = 10;

  private MountLeakMain() {}

  public static void main(String[] args) throws Exception {
    Path rootfs = Path.of(args[0]);
    Path source = Files.createDirectories(Path.of(args[1], "leak-source"));
    if (mounts().stream().anyMatch(l -> l.split(" ")[4].equals(rootfs.toString()) && l.contains(" shared:"))) {
      System.out.println("the root is a shared mount");
    }
    Map<String, Supplier<ContainerSpec.Builder>> cases = new LinkedHashMap<>();
    cases.put("running", () -> spec(rootfs, source, "sleep 0.5"));
    cases.put("failing at a dangling mount target", () -> spec(rootfs, source, "true").mount(Mount.tmpfs("/dangling", 1 << 20)));
    cases.put("failing at exec", () -> spec(rootfs, source, "true").command("/no/such/program"));
    cases.put("refused before setup", () -> spec(rootfs, source, "true").mount(Mount.tmpfs("/no/such/dir", 1 << 20)));
    cases.put("ended", () -> spec(rootfs, source, "true"));
    for (Map.Entry<String, Supplier<ContainerSpec.Builder>> c : new ArrayList<>(cases.entrySet())) {
      cases.put(c.getKey() + ", no user namespace", () -> c.getValue().get().share(Namespace.USER));
    }
    for (Map.Entry<String, Supplier<ContainerSpec.Builder>> c : cases.entrySet()) {
      List<String> before = mounts();
      String result;
      try (Container container = c.getValue().get().start()) {
        List<String> during = mounts();
        container.waitFor();
        result = compare(before, during, "while it ran");
      } catch (RuntimeException e) {
        result = "unchanged";
      }
      if (result.equals("unchanged")) {
        result = compare(before, mounts(), "after it ended");
      }
      System.out.println("mount table " + c.getKey() + ": " + result);
    }
    System.out.flush();
    System.exit(0);
  }

  private static ContainerSpec.Builder spec(Path rootfs, Path source, String script) {
    return Container.builder().rootfs(rootfs).command("sh", "-c", script)
        .mount(Mount.bind(source, "/data")).mount(Mount.tmpfs("/root", 1 << 20));
  }

  private static String compare(List<String> before, List<String> now, String when) {
    if (now.equals(before)) {
      return "unchanged";
    }
    List<String> added = new ArrayList<>(now);
    added.removeAll(before);
    List<String> removed = new ArrayList<>(before);
    removed.removeAll(now);
    return "changed " + when + ": added " + added + ", removed " + removed;
  }

  private static List<String> mounts() throws java.io.IOException {
    return Files.readAllLines(Path.of("/proc/self/mountinfo"));
  }
}
