package dev.isola.images;

import static dev.isola.images.OciLayouts.entry;
import static dev.isola.images.OciLayouts.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.ContainerException;
import dev.isola.IdMapping;
import dev.isola.Image;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Layers made to escape (the catalog's HOST-01 and image attacks) are refused whole, with the
 * entry and the reason, and leave nothing outside the store, nor anything in it.
 */
class UnsafeLayerTest {
  private Path work;
  private Path sentinel;
  private ImageStore store;

  @BeforeEach
  void setUp() throws IOException {
    work = Files.createTempDirectory("isola-unsafe-");
    sentinel = Files.createDirectories(work.resolve("sentinel"));
    Files.writeString(sentinel.resolve("passwd"), "the host's\n");
    // Deep enough that "../../x" from a layer directory lands in work/.
    store = ImageStore.open(work.resolve("a/store"));
  }

  @AfterEach
  void tearDown() {
    TestImages.deleteTree(work);
  }

  private void assertRefused(byte[] layer, String... messageParts) throws IOException {
    Path oci = OciLayouts.write(work.resolve("oci-" + System.nanoTime()), List.of(layer), "");
    assertThatThrownBy(() -> store.load(oci)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("is refused: entry").hasMessageContainingAll(messageParts);
    assertThat(TestImages.list(sentinel)).containsExactly(sentinel.resolve("passwd"));
    assertThat(sentinel.resolve("passwd")).hasContent("the host's");
    assertThat(TestImages.list(work)).allMatch(p -> p.getFileName().toString().startsWith("oci-")
        || p.equals(sentinel) || p.equals(work.resolve("a")));
    assertThat(TestImages.list(work.resolve("a"))).containsExactly(store.directory());
    for (String sub : List.of("layers", "images", "tmp")) {
      assertThat(TestImages.list(store.directory().resolve(sub))).as(sub).isEmpty();
    }
  }

  @Test
  void pathTraversal() throws IOException {
    assertRefused(OciLayouts.layer(t -> file(t, "../../x", "escaped", e -> {})), "\"../../x\"", "\"..\"");
    assertRefused(OciLayouts.layer(t -> file(t, "a/../../../x", "escaped", e -> {})), "\"..\"");
  }

  @Test
  void aPathThroughASymlinkOfTheLayer() throws IOException {
    assertRefused(OciLayouts.layer(t -> {
      entry(t, "evil", TarConstants.LF_SYMLINK, sentinel.toString());
      file(t, "evil/passwd", "overwritten", e -> {});
    }), "\"evil/passwd\"", "symbolic link \"evil\"");
  }

  @Test
  void hardLinksOutOfTheLayer() throws IOException {
    assertRefused(OciLayouts.layer(t -> entry(t, "shadow", TarConstants.LF_LINK, "/etc/shadow")),
        "\"shadow\"", "\"/etc/shadow\"", "does not exist earlier in this layer");
    assertRefused(OciLayouts.layer(t -> entry(t, "out", TarConstants.LF_LINK, "../outside")), "\"..\"");
    assertRefused(OciLayouts.layer(t -> {
      entry(t, "evil", TarConstants.LF_SYMLINK, sentinel.resolve("passwd").toString());
      entry(t, "h", TarConstants.LF_LINK, "evil");
    }), "\"h\"", "not a regular file unpacked earlier");
    assertRefused(OciLayouts.layer(t -> {
      entry(t, "evil", TarConstants.LF_SYMLINK, sentinel.toString());
      entry(t, "h", TarConstants.LF_LINK, "evil/passwd");
    }), "\"h\"", "symbolic link \"evil\"");
  }

  @Test
  void aWhiteoutThatNamesNoEntry() throws IOException {
    assertRefused(OciLayouts.layer(t -> entry(t, "etc/.wh...", TarConstants.LF_NORMAL, "")), "whiteout of \"..\"");
  }

  @Test
  void deviceNodesAreRefusedForAnOrdinaryUser() throws IOException {
    byte[] layer = OciLayouts.layer(t -> {
      TarArchiveEntry e = new TarArchiveEntry("dev/sda", TarConstants.LF_BLK);
      e.setDevMajor(8);
      t.putArchiveEntry(e);
      t.closeArchiveEntry();
    });
    List<IdMapping.Range> me = List.of(IdMapping.Range.of(0, 65534, 1));
    Ownership rootless = new Ownership(IdMapping.of(me, me), false);
    Path dir = Files.createDirectory(work.resolve("layer"));

    assertThatThrownBy(() -> LayerUnpacker.unpack(new ByteArrayInputStream(layer), null, Sha256.of(layer), dir,
        rootless, UnpackLimits.DEFAULTS, "layer L")).isInstanceOf(ContainerException.class)
        .hasMessageContaining("layer L is refused: entry \"dev/sda\" is a device node");
  }

  /** As root too: a node in the store is a live device file on the host (HOST-02); trusted images may opt in. */
  @Test
  void deviceNodesAreRefusedUnlessTheStoreAllowsThem() throws IOException {
    byte[] layer = OciLayouts.layer(t -> {
      TarArchiveEntry e = new TarArchiveEntry("dev/disk", TarConstants.LF_BLK);
      e.setDevMajor(254);
      t.putArchiveEntry(e);
      t.closeArchiveEntry();
    });
    assertRefused(layer, "\"dev/disk\" is a device node (block 254:0)", "allowingDeviceNodes()");
    org.junit.jupiter.api.Assumptions.assumeTrue(LibC.INSTANCE.geteuid() == 0, "only root creates device nodes; this is uid "
        + LibC.INSTANCE.geteuid());
    Path oci = OciLayouts.write(work.resolve("oci-trusted"), List.of(layer), "");
    store.allowingDeviceNodes().load(oci);
    try (java.util.stream.Stream<Path> layers = Files.list(store.directory().resolve("layers"))) {
      Path node = layers.findFirst().orElseThrow().resolve("dev/disk");
      assertThat(Files.getAttribute(node, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)).isNotNull();
      assertThat(Files.isRegularFile(node, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
  }

  /** A small compressed layer must not fill the disk, nor a deep one give an 8 KB message. */
  @Test
  void unpackingIsBounded() throws IOException {
    byte[] big = OciLayouts.layer(t -> file(t, "zeros", "0".repeat(4096), e -> {}));
    store = store.withUnpackLimits(1024, 1_000, 64);
    assertRefused(big, "past the store's limit of 1024 bytes");
    byte[] many = OciLayouts.layer(t -> {
      for (int i = 0; i < 1_001; i++) {
        file(t, "f" + i, "", e -> {});
      }
    });
    assertRefused(many, "past the store's limit of 1000 entries");
    byte[] deep = OciLayouts.layer(t -> file(t, "d/".repeat(2000) + "f", "x", e -> {}));
    Path oci = OciLayouts.write(work.resolve("oci-deep"), List.of(deep), "");
    assertThatThrownBy(() -> store.load(oci)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("2001 directories deep, past the store's limit of 64")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(600));
  }

  @Test
  void aStoreOthersCanReachIsRefused() throws IOException {
    Path shared = Files.createDirectory(work.resolve("shared"));
    Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThatThrownBy(() -> ImageStore.open(shared)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("reachable by others (mode 755)").hasMessageContaining("chmod 700 " + shared);
  }

  @Test
  void leadingSlashesAreRelativeAndAnOpaqueMarkerMayComeBeforeItsDirectory() throws IOException {
    Path oci = OciLayouts.write(work.resolve("oci"), List.of(OciLayouts.layer(t -> {
      file(t, "/abs/file", "inside", e -> {});
      entry(t, "./data/.wh..wh..opq", TarConstants.LF_NORMAL, "");
      TarArchiveEntry dir = new TarArchiveEntry("data/", TarConstants.LF_DIR);
      dir.setMode(0750);
      t.putArchiveEntry(dir);
      t.closeArchiveEntry();
      file(t, "data/f", "x", e -> e.setMode(0640));
      entry(t, "data/h", TarConstants.LF_LINK, "/data/f");
      entry(t, "fifo", TarConstants.LF_FIFO, "");
    })), "");
    Path layer = store.load(oci).layers().get(0);

    assertThat(layer.resolve("abs/file")).hasContent("inside");
    assertThat(ImageStoreTest.xattr(layer.resolve("data"), "overlay.opaque")).isEqualTo("y");
    assertThat((Integer) Files.getAttribute(layer.resolve("data"), "unix:mode") & 07777).isEqualTo(0750);
    assertThat(Files.getAttribute(layer.resolve("data/h"), "unix:ino")).isEqualTo(Files.getAttribute(layer.resolve("data/f"), "unix:ino"));
    assertThat(Files.getAttribute(layer.resolve("fifo"), "unix:mode")).matches(m -> ((Integer) m & 0170000) == 0010000);
  }

  @Test
  void anUnknownUserNameIsRefusedAtLoad() throws IOException {
    Path oci = OciLayouts.write(work.resolve("oci"), List.of(OciLayouts.layer(t -> file(t, "etc/passwd", "root:x:0:0::/:/bin/sh\n", e -> {}))),
        "\"config\":{\"User\":\"nobody-here\"},");
    assertThatThrownBy(() -> store.load(oci)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("User \"nobody-here\"").hasMessageContaining("/etc/passwd does not list");
  }

  @Test
  void numericIdsNeedNoPasswd() throws IOException {
    Path oci = OciLayouts.write(work.resolve("oci"), List.of(OciLayouts.layer(t -> file(t, "f", "", e -> {}))),
        "\"config\":{\"User\":\"123:456\"},");
    Image image = store.load(oci);
    assertThat(List.of(image.uid(), image.gid())).containsExactly(123L, 456L);
  }
}
