package dev.isola.examples;

import static dev.isola.examples.Report.expect;
import static dev.isola.examples.Report.row;
import static dev.isola.examples.Report.run;
import static dev.isola.examples.Report.runOk;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitReason;
import dev.isola.Image;
import dev.isola.Limits;
import dev.isola.Namespace;
import dev.isola.UnsupportedFeatureException;
import dev.isola.examples.Report.Run;
import dev.isola.images.ImageStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The rubber-docker ladder, one rung at a time: the same busybox image, run with one more kind of
 * isolation per rung, each rung printing what changed. Isola has no "chroot only" rung: every
 * container gets its own mount namespace and pivots into its root, so the ladder starts there.
 *
 * <pre>java -cp container-examples/target/isola-examples.jar dev.isola.examples.Ladder</pre>
 *
 * Needs a static busybox ({@code busybox-static}); writes its image and store into a temporary
 * directory and removes them at the end.
 */
public final class Ladder {
  private static final String PROBE = "echo \"hostname $(hostname)\"; echo \"pid $$\";"
      + " echo \"processes $(ls -d /proc/[0-9]* | wc -l)\";"
      + " echo \"interfaces $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')\"";

  private Ladder() {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createTempDirectory("isola-ladder-");
    Report report = new Report();
    try {
      ImageStore store = ImageStore.open(work.resolve("store"));
      Image image = store.load(BusyboxImage.write(work.resolve("busybox-oci")));
      row("image", image.id().substring(0, 19) + "…, " + image.layers().size() + " layer, command " + image.command());
      report.section("Rung 1: a root of its own (mount namespace, pivot_root)", () -> {
        // everything shared but the mount and user namespaces: the root is all that changes
        Run r = runOk(Container.builder().image(image).readOnlyRootfs(true)
            .share(Namespace.UTS, Namespace.PID, Namespace.NETWORK, Namespace.IPC, Namespace.CGROUP)
            .command("sh", "-c", "echo \"root $(ls / | tr '\\n' ' ')\"; " + PROBE));
        print(r);
        expect(r.out().contains("root bin dev etc proc root tmp"), "ls / printed " + r.out());
        expect(!r.out().contains("interfaces lo \n"), "the host's network is shared, yet only lo shows");
      });
      report.section("Rung 2: a copy-on-write root (overlay over the image's layers)", () -> {
        Run first = runOk(Container.builder().image(image)
            .command("sh", "-c", "rm /bin/ls && echo hello > /etc/motd && echo \"wrote /etc/motd, removed /bin/ls\""));
        Run second = runOk(Container.builder().image(image)
            .command("sh", "-c", "cat /etc/motd 2>&1; ls /bin/ls"));
        row("first container", first.out().strip());
        row("second container", second.out().strip().replace('\n', ';'));
        row("image layer on host", Files.exists(image.layers().get(0).resolve("bin/ls")) ? "bin/ls still there" : "bin/ls gone!");
        expect(second.out().contains("No such file") && second.out().contains("/bin/ls"), second.out());
      });
      report.section("Rung 3: + UTS namespace (a hostname of its own)", () -> {
        Run r = runOk(Container.builder().image(image).hostname("ladder")
            .share(Namespace.PID, Namespace.NETWORK, Namespace.IPC, Namespace.CGROUP).command("sh", "-c", PROBE));
        print(r);
        expect(r.out().contains("hostname ladder"), r.out());
      });
      report.section("Rung 4: + PID namespace (its own process tree)", () -> {
        Run r = runOk(Container.builder().image(image).hostname("ladder")
            .share(Namespace.NETWORK, Namespace.IPC, Namespace.CGROUP).command("sh", "-c", PROBE));
        print(r);
        row("", "(pid 1 is Isola's init, 2 the shell)");
        expect(r.out().contains("pid 2\n"), r.out());
      });
      report.section("Rung 5: + network namespace (only loopback)", () -> {
        Run r = runOk(Container.builder().image(image).hostname("ladder")
            .share(Namespace.IPC, Namespace.CGROUP).command("sh", "-c", PROBE));
        print(r);
        expect(r.out().contains("interfaces lo \n"), r.out());
      });
      report.section("Rung 6: + IPC and cgroup namespaces, and cgroup limits", () -> {
        ContainerSpec.Builder hog = Container.builder().image(image)
            .limits(Limits.builder().memory(32 << 20).pids(32).build())
            .command("sh", "-c", "x=aaaaaaaa; while true; do x=$x$x; done");
        try {
          Run r = run(hog);
          row("memory hog, 32 MiB", r.status().reason() + ", peak " + (r.status().peakMemoryBytes() >> 20) + " MiB");
          expect(r.status().reason() == ExitReason.OOM_KILLED, r.status().toString());
          Run forks = run(Container.builder().image(image).limits(Limits.builder().pids(8).build())
              .command("sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done 2>&1; wait"));
          row("12 children, pids 8", forks.err().lines().anyMatch(l -> l.contains("fork")) || forks.out().contains("fork")
              ? "fork refused at the limit" : forks.out() + forks.err());
          expect((forks.out() + forks.err()).contains("fork"), "12 children started under pids(8)");
        } catch (UnsupportedFeatureException e) {
          row("limits", "not here: " + e.getMessage());
        }
      });
    } finally {
      try (Stream<Path> paths = Files.walk(work)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    report.exit();
  }

  private static void print(Run r) {
    for (String line : r.out().strip().split("\n")) {
      int space = line.indexOf(' ');
      row(space < 0 ? line : line.substring(0, space), space < 0 ? "" : line.substring(space + 1));
    }
  }
}
