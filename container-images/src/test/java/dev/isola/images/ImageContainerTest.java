package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import dev.isola.IdMapping;
import dev.isola.Image;
import dev.isola.Namespace;
import dev.isola.UnsupportedFeatureException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Containers from imported images, seen from inside: the merged view of the layers, the image's
 * defaults, private writes, and layers that never change.
 */
class ImageContainerTest {
  private static Path work;
  private static ImageStore store;
  private static Image image;

  @BeforeAll
  static void load() throws IOException {
    work = Files.createTempDirectory("isola-image-run-test-");
    store = ImageStore.open(work.resolve("store"));
    image = store.load(TestImages.DOCKER_TAR);
  }

  @AfterAll
  static void tearDown() {
    TestImages.deleteTree(work);
  }

  @Test
  void theImageRunsWithItsCommandEnvironmentDirectoryAndUser() throws Exception {
    Result r = run(Container.builder().image(image));
    assertThat(r.out).isEqualTo("hi\n");
    Result inside = run(Container.builder().image(image)
        .command("sh", "-c", "id -u; id -g; pwd; echo $A $B; echo $PATH; cat f"));
    assertThat(inside.out).as(inside.err).isEqualTo("1000\n1000\n/home/app\n1 two\n"
        + ContainerSpec.DEFAULT_PATH + "\nthe app's\n");
  }

  @Test
  void theImagesUserGetsALoginEnvironmentAndTheContainerItsOwnHostsFiles() throws Exception {
    Result r = run(Container.builder().image(image).hostname("app1")
        .command("sh", "-c", "echo $HOME $USER $LOGNAME; cat /etc/hostname; grep app1 /etc/hosts; echo x >> /etc/hosts || echo read-only"));
    assertThat(r.out).as(r.err).isEqualTo("/home/app app app\napp1\n127.0.1.1\tapp1\nread-only\n");
    Result root = run(Container.builder().image(image).user(0, 0).etcFiles(false)
        .command("sh", "-c", "echo $HOME $USER; ls /etc/hosts /etc/hostname 2>&1 | wc -l"));
    assertThat(root.out).as("the image has no /root, nor hosts files: none are made").isEqualTo("/tmp root\n2\n");
  }

  /**
   * A default image container's writes to its root stop at the writable root's size, in a tmpfs
   * that is in no mount table and not on the host's /dev/shm (security catalog: a hostile image
   * filling the host's memory).
   */
  @Test
  void theWritableRootIsBoundedAndNotOnTheHostsShm() throws Exception {
    Path shm = Path.of("/dev/shm/isola-" + dev.isola.linux.internal.sys.LibC.geteuid());
    List<Path> before = Files.isDirectory(shm) ? list(shm) : List.of();
    String fill = "dd if=/dev/zero of=/big bs=1M count=320 2>/tmp/dd; grep -o 'No space left on device' /tmp/dd;"
        + " du -m /big | cut -f1; echo done";
    try (Container c = Container.builder().image(image).user(0, 0).command("sh", "-c", fill + "; sleep 30").start()) {
      java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
      List<String> out = new java.util.ArrayList<>();
      for (String l = lines.readLine(); l != null && !l.equals("done"); l = lines.readLine()) {
        out.add(l);
      }
      assertThat(out).hasSize(2).startsWith("No space left on device");
      assertThat(Long.parseLong(out.get(1).trim())).isBetween(200L, 256L);
      assertThat(Files.isDirectory(shm) ? list(shm) : List.of()).as("nothing on the host's /dev/shm").isEqualTo(before);
      assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("nor in the JVM's mount table")
          .doesNotContain("isola-").doesNotContain("/big");
      c.kill(dev.isola.Signal.KILL);
    }
    Result more = run(Container.builder().image(image).user(0, 0).command("sh", "-c", fill)
        .limits(dev.isola.Limits.builder().writableRootBytes(400L << 20).build()));
    assertThat(more.out).isEqualTo("320\ndone\n");
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().collect(java.util.stream.Collectors.toList());
    }
  }

  @Test
  void whatTheCallerSetsWinsOverTheImage() throws Exception {
    Result r = run(Container.builder().image(image).user(0, 0).workingDirectory("/").env("B", "mine")
        .command("sh", "-c", "id -u; pwd; echo $A $B"));
    assertThat(r.out).isEqualTo("0\n/\n1 mine\n");
  }

  @Test
  void theContainerSeesTheLayersMergedWithTheirWhiteoutsAndOpaqueDirectories() throws Exception {
    Result r = run(Container.builder().image(image).user(0, 0)
        .command("sh", "-c", "ls /etc/gone 2>&1; ls /data; ls -d /proc/1 /dev/null /tmp"));
    assertThat(r.out).contains("/etc/gone: No such file or directory", "newf\n", "/proc/1", "/dev/null", "/tmp")
        .doesNotContain("old");
  }

  @Test
  void twoContainersDoNotSeeEachOthersWritesAndTheLayersNeverChange() throws Exception {
    String before = checksums(image.layers());
    try (Container first = Container.builder().image(image).user(0, 0)
        .command("sh", "-c", "rm -rf /bin/ls /data && echo mine > /etc/passwd && echo ready && sleep 60").start()) {
      InputStream out = first.stdout();
      assertThat(new String(out.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
      Result second = run(Container.builder().image(image).user(0, 0)
          .command("sh", "-c", "ls /bin/ls /data; head -1 /etc/passwd"));
      assertThat(second.out).isEqualTo("/bin/ls\n\n/data:\nnewf\nroot:x:0:0:root:/root:/bin/sh\n");
    }
    assertThat(checksums(image.layers())).isEqualTo(before);
  }

  @Test
  void setuidProgramsOfTheImageGiveNothing() throws Exception {
    // the layer keeps 04755 (root's file), but the root is nosuid and the command has no_new_privs
    Result r = run(Container.builder().image(image).command("sh", "-c", "grep ' / ' /proc/self/mounts"));
    assertThat(r.out).contains("nosuid", "nodev");
  }

  @Test
  void aPersistentUpperLayerOutlivesTheContainer() throws Exception {
    Path state = work.resolve("state");
    run(Container.builder().image(image, state).user(0, 0).command("sh", "-c", "echo 1 > /count"));
    Result r = run(Container.builder().image(image, state).user(0, 0).command("cat", "/count"));
    assertThat(r.out).isEqualTo("1\n");
  }

  @Test
  void filesGoInAndOutOfAnImage() throws Exception {
    Path out = work.resolve("out-" + System.nanoTime());
    try (Container c = Container.builder().image(image)
        .copy(FileCopy.of("print('x')\n".getBytes(StandardCharsets.UTF_8), "/home/app/main.py", 0644))
        .command("sh", "-c", "cat main.py > result && stat -c '%u %a' main.py").start()) {
      assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("0 644\n");
      assertThat(c.waitFor().exitCode()).isZero();
      c.copyOut("/home/app/result", out);
    }
    assertThat(out).hasContent("print('x')");
  }

  @Test
  void aContainerMustMapIdsAsTheImageIsOwned() {
    assertThatThrownBy(() -> Container.builder().image(image).share(Namespace.USER).command("true").start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("owned for");
    IdMapping other = IdMapping.of(List.of(IdMapping.Range.of(0, 0x7000_0000L, 65536)),
        List.of(IdMapping.Range.of(0, 0x7000_0000L, 65536)));
    assertThatThrownBy(() -> Container.builder().image(image).idMapping(other).command("true").start())
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("would belong to nobody");
  }

  private record Result(String out, String err, ExitStatus status) {}

  private static Result run(ContainerSpec.Builder b) throws Exception {
    try (Container c = b.start()) {
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(c.stderr()));
      String out = text(c.stdout());
      return new Result(out, err.join(), c.waitFor());
    }
  }

  private static String text(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Every path of the layers with its mode, owner and content hash. */
  private static String checksums(List<Path> layers) throws Exception {
    TreeMap<String, String> sums = new TreeMap<>();
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (Path layer : layers) {
      try (Stream<Path> paths = Files.walk(layer)) {
        for (Path p : (Iterable<Path>) paths::iterator) {
          String what = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) + " "
              + Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
          if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            what += " " + HexFormat.of().formatHex(md.digest(Files.readAllBytes(p)));
          }
          sums.put(p.toString(), what);
        }
      }
    }
    return sums.toString();
  }
}
