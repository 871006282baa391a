package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.ContainerException;
import dev.isola.IdMapping;
import dev.isola.Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading real images as root (CI's user), into stores owned for the automatic mapping. */
class ImageStoreTest {
  private static final long BASE = IdMapping.automatic().resolved().uids().get(0).hostId();
  private Path work;
  private ImageStore store;

  @BeforeEach
  void setUp() throws IOException {
    assertThat(LibC.INSTANCE.geteuid()).as("this class tests ownership as root; RootlessImageTest as an ordinary user").isZero();
    assertThat(TestImages.OCI).isDirectory(); // builds the images before any test's clock starts
    work = Files.createTempDirectory("isola-store-test-");
    store = ImageStore.open(work.resolve("store"));
  }

  @AfterEach
  void tearDown() {
    TestImages.deleteTree(work);
  }

  @Test
  void theDefaultStoreIsThePropertyThenTheXdgCacheThenHomeThenTheTemporaryDirectory(@TempDir Path dir) throws IOException {
    Path home = Files.createDirectory(dir.resolve("home"));
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Map<String, String> env = Map.of("XDG_CACHE_HOME", dir.resolve("cache").toString(), "HOME", home.toString());
    assertThat(ImageStore.defaultDirectory("/srv/images", env::get, tmp)).isEqualTo(Path.of("/srv/images"));
    assertThat(ImageStore.defaultDirectory(null, env::get, tmp)).isEqualTo(dir.resolve("cache/isola/images"));
    assertThat(ImageStore.defaultDirectory("", Map.of("XDG_CACHE_HOME", "relative", "HOME", home.toString())::get, tmp))
        .as("a relative XDG_CACHE_HOME is ignored, as the specification says").isEqualTo(home.resolve(".cache/isola/images"));
    assertThat(ImageStore.defaultDirectory(null, Map.of("HOME", dir.resolve("no-such-home").toString())::get, tmp))
        .isEqualTo(tmp.resolve("isola-" + LibC.INSTANCE.geteuid()).resolve("images"));
    assertThat(Files.getPosixFilePermissions(tmp.resolve("isola-" + LibC.INSTANCE.geteuid())))
        .as("the shared temporary directory's part is the caller's alone")
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void aDefaultStoreParentInTheTemporaryDirectoryOwnedBySomeoneElseIsRefused(@TempDir Path dir) throws IOException {
    Path planted = Files.createDirectory(dir.resolve("isola-" + LibC.INSTANCE.geteuid()));
    Files.setAttribute(planted, "unix:uid", LibC.INSTANCE.geteuid() == 0 ? 65534 : 0);
    assertThatThrownBy(() -> ImageStore.defaultDirectory(null, Map.<String, String>of()::get, dir))
        .isInstanceOf(ContainerException.class).hasMessageContaining(planted + " belongs to another user")
        .hasMessageContaining("-Disola.image.store");
  }

  @Test
  void theThreeFormatsLoadAsTheSameImageAndShareTheirLayers() {
    Image fromDir = store.load(TestImages.ociImg());
    Image fromOciTar = store.load(TestImages.OCI_TAR);
    Image fromDocker = store.load(TestImages.DOCKER_TAR);

    assertThat(fromDir.layers()).hasSize(3).allMatch(l -> l.startsWith(store.directory().resolve("layers")));
    assertThat(fromOciTar).isEqualTo(fromDir);
    assertThat(fromDocker).isEqualTo(fromDir);
    assertThat(fromDir.idMapping()).isEqualTo(IdMapping.of(List.of(IdMapping.Range.of(0, BASE, 65536)),
        List.of(IdMapping.Range.of(0, BASE, 65536))));
    assertThat(store.images()).containsExactly(fromDir);
  }

  @Test
  void aSecondLoadReusesTheUnpackedLayers() throws IOException {
    Image first = store.load(TestImages.OCI_TAR);
    List<Object> inodes = inodes(first);
    Path marker = first.layers().get(0).resolve("marker");
    Files.writeString(marker, "a reload that unpacked again would lose this");

    Image second = store.load(TestImages.DOCKER_TAR);

    assertThat(second.layers()).isEqualTo(first.layers());
    assertThat(inodes(second)).isEqualTo(inodes);
    assertThat(marker).exists();
    assertThat(TestImages.list(store.directory().resolve("tmp"))).isEmpty();
  }

  @Test
  void concurrentLoadsOfOneImageUnpackEachLayerOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Image>> loads = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Path source = i % 2 == 0 ? TestImages.OCI_TAR : TestImages.DOCKER_TAR;
        loads.add(pool.submit(() -> ImageStore.open(store.directory()).load(source)));
      }
      Image image = loads.get(0).get();
      for (Future<Image> load : loads) {
        assertThat(load.get()).isEqualTo(image);
      }
      assertThat(TestImages.list(store.directory().resolve("layers"))).hasSize(3);
      assertThat(TestImages.list(store.directory().resolve("tmp"))).isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void whiteoutsAreCharacterDevicesAndOpaqueDirectoriesHaveTheUserXattr() throws IOException {
    Image image = store.load(TestImages.OCI_TAR);
    Path whiteout = image.layers().get(1).resolve("etc/gone");
    Path data = image.layers().get(2).resolve("data");

    assertThat(image.layers().get(0).resolve("etc/gone")).isRegularFile();
    assertThat((Integer) Files.getAttribute(whiteout, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000).isEqualTo(0020000);
    assertThat(Files.getAttribute(whiteout, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0L);
    assertThat(xattr(data, "overlay.opaque")).isEqualTo("y");
    assertThat(data.resolve("newf")).hasContent("new");
    assertThat(image.layers().get(0).resolve("data/old/f")).isRegularFile();
    assertThat(Files.getFileAttributeView(image.layers().get(0).resolve("data"), UserDefinedFileAttributeView.class)
        .list()).doesNotContain("overlay.opaque");
  }

  @Test
  void theConfigGivesTheDefaultsWithTheUserResolvedFromTheImage() {
    Image image = store.load(TestImages.DOCKER_TAR);

    assertThat(image.entrypoint()).containsExactly("/bin/sh");
    assertThat(image.cmd()).containsExactly("-c", "echo hi");
    assertThat(image.env()).containsExactly(Map.entry("A", "1"), Map.entry("B", "two"));
    assertThat(image.workingDirectory()).hasValue("/home/app");
    assertThat(image.uid()).isEqualTo(1000);
    assertThat(image.gid()).isEqualTo(1000);
    assertThat(image.id()).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void asRootFilesBelongToTheHostIdsTheirOwnersMapTo() throws IOException {
    Path layer = store.load(TestImages.OCI_TAR).layers().get(0);

    assertThat(owner(layer.resolve("home/app/f"))).isEqualTo(List.of(BASE + 1000, BASE + 1000));
    assertThat(owner(layer.resolve("home/app"))).isEqualTo(List.of(BASE + 1000, BASE + 1000));
    assertThat(owner(layer.resolve("bin/busybox"))).isEqualTo(List.of(BASE, BASE));
    assertThat(owner(layer.resolve("bin/sh"))).isEqualTo(List.of(BASE, BASE));
    assertThat(Files.readSymbolicLink(layer.resolve("bin/sh"))).isEqualTo(Path.of("busybox"));
    assertThat((Integer) Files.getAttribute(layer.resolve("bin/setuid"), "unix:mode") & 07777).isEqualTo(04755);
  }

  @Test
  void aStoreKeepsTheMappingItWasCreatedFor() {
    IdMapping other = IdMapping.of(List.of(IdMapping.Range.of(0, 200000, 65536)), List.of(IdMapping.Range.of(0, 200000, 65536)));

    assertThatThrownBy(() -> ImageStore.open(store.directory(), other))
        .isInstanceOf(ContainerException.class).hasMessageContaining("200000").hasMessageContaining(Long.toString(BASE));
  }

  @Test
  void theStoreIsPrivateToItsOwner() throws IOException {
    assertThat((Integer) Files.getAttribute(store.directory(), "unix:mode") & 0777).isEqualTo(0700);
  }

  @Test
  void anIdTheMappingDoesNotCoverIsRefusedNamingTheEntry() throws IOException {
    ImageStore small = ImageStore.open(work.resolve("small"),
        IdMapping.of(List.of(IdMapping.Range.of(0, BASE, 1000)), List.of(IdMapping.Range.of(0, BASE, 65536))));

    assertThatThrownBy(() -> small.load(TestImages.OCI_TAR)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("home/app").hasMessageContaining("uid 1000");
    assertThat(TestImages.list(small.directory().resolve("layers"))).isEmpty();
    assertThat(TestImages.list(small.directory().resolve("tmp"))).isEmpty();
  }

  @Test
  void aCorruptLayerIsRefusedNamingBothDigestsAndNothingIsKept() throws IOException {
    Path oci = TestImages.copyOfOci(work.resolve("oci"));
    Path blob = largestBlob(oci);
    try (FileChannel ch = FileChannel.open(blob, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x42}), Files.size(blob) / 2);
    }
    String digest = blob.getFileName().toString();

    assertThatThrownBy(() -> store.load(oci)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("sha256:" + digest).hasMessageMatching("(?s).*expected sha256:[0-9a-f]{64}, but its content has sha256:[0-9a-f]{64}.*");
    assertEmpty(store);
  }

  @Test
  void aCorruptConfigIsRefused() throws IOException {
    Path tar = work.resolve("docker.tar");
    Files.copy(TestImages.DOCKER_TAR, tar);
    String manifest = TestImages.run("tar", "-xOf", tar.toString(), "manifest.json");
    String config = manifest.replaceAll("(?s).*\"Config\":\"([^\"]+)\".*", "$1");
    Path extracted = Files.createDirectories(work.resolve("x"));
    TestImages.run("tar", "-C", extracted.toString(), "-xf", tar.toString());
    Files.writeString(extracted.resolve(config), Files.readString(extracted.resolve(config)).replace("echo hi", "echo HI"));
    TestImages.run("tar", "-C", extracted.toString(), "-cf", tar.toString(), ".");

    assertThatThrownBy(() -> store.load(tar)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("config " + config).hasMessageContaining("expected sha256:");
    assertEmpty(store);
  }

  @Test
  void gcRemovesTheLayersOfRemovedImagesAndKeepsTheOthers() throws IOException {
    Image img = store.load(TestImages.OCI_TAR);
    Image base = store.load(TestImages.BASE);
    assertThat(base.layers()).containsExactly(img.layers().get(0));

    assertThat(store.gc()).isZero();
    store.remove(img);
    assertThat(store.images()).containsExactly(base);
    assertThat(store.gc()).isEqualTo(2);
    assertThat(TestImages.list(store.directory().resolve("layers"))).containsExactly(base.layers().get(0));
    assertThat(base.layers().get(0).resolve("bin/busybox")).isRegularFile();

    store.remove(base);
    assertThat(store.gc()).isEqualTo(1);
    assertEmpty(store);
  }

  @Test
  void gcRemovesWhatADeadLoadLeftAndKeepsWhatALiveOnePins() throws IOException {
    Path tmp = store.directory().resolve("tmp");
    Files.createDirectories(tmp.resolve("dead/layer"));
    Files.writeString(tmp.resolve("dead.lock"), "");
    Image img = store.load(TestImages.OCI_TAR);
    store.remove(img);
    String pinned = img.layers().get(0).getFileName().toString();
    try (Scratch live = Scratch.create(tmp, List.of(pinned))) {
      assertThat(store.gc()).isEqualTo(2);
      assertThat(TestImages.list(tmp)).hasSize(2).allMatch(p -> p.getFileName().toString().startsWith(live.dir().getFileName().toString()));
      assertThat(img.layers().get(0)).isDirectory();
    }
    assertThat(store.gc()).isEqualTo(1);
  }

  @Test
  void aLayoutOfSeveralTagsNamesThemAndLoadsTheOneAskedFor() {
    // umoci writes one index entry per tag, none with a platform
    assertThatThrownBy(() -> store.load(TestImages.OCI)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("holds 2 images, named [base, img]");
    assertThat(store.load(TestImages.OCI, "img").reference()).contains("img");
    assertThat(store.load(TestImages.OCI, "busybox:base").layers()).isNotEmpty();
  }

  private static void assertEmpty(ImageStore store) throws IOException {
    for (String sub : List.of("layers", "images", "tmp")) {
      assertThat(TestImages.list(store.directory().resolve(sub))).as(sub).isEmpty();
    }
  }

  private static Path largestBlob(Path oci) throws IOException {
    Path largest = null;
    for (Path p : TestImages.list(oci.resolve("blobs/sha256"))) {
      if (largest == null || Files.size(p) > Files.size(largest)) {
        largest = p;
      }
    }
    return largest;
  }

  private static List<Object> inodes(Image image) throws IOException {
    List<Object> inodes = new ArrayList<>();
    for (Path layer : image.layers()) {
      inodes.add(Files.getAttribute(layer, "unix:ino"));
    }
    return inodes;
  }

  private static List<Long> owner(Path p) throws IOException {
    return List.of(Integer.toUnsignedLong((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)),
        Integer.toUnsignedLong((Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)));
  }

  static String xattr(Path p, String name) throws IOException {
    UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    ByteBuffer b = ByteBuffer.allocate(view.size(name));
    view.read(name, b);
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }
}
