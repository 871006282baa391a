package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.isola.Container;
import dev.isola.Image;
import dev.isola.ImagePullException;
import dev.isola.PullListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from a real registry (the CNCF distribution registry, Debian's docker-registry) that
 * skopeo pushed to: the image runs, a second pull downloads nothing, indexes resolve for this
 * platform, basic and token authentication, and every refusal or damage is a clear error that
 * leaves nothing in the store.
 */
class RegistryPullTest {
  private static TestRegistry registry;

  @BeforeAll
  static void startRegistry() throws IOException {
    registry = TestRegistry.start();
    registry.push("oci:" + TestImages.ociImg() + ":img", "isola/busybox:1", false);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static ImageStore store(Path dir) {
    return ImageStore.open(dir.resolve("store")).withDockerConfig(null);
  }

  @Test
  void aPulledImageRunsWithItsDefaultsAndKnowsItsReference(@TempDir Path dir) throws Exception {
    Image image = store(dir).pull(registry.address() + "/isola/busybox:1");
    assertThat(image.reference()).hasValue(registry.address() + "/isola/busybox:1");
    assertThat(image.command()).containsExactly("/bin/sh", "-c", "echo hi");
    assertThat(image.uid()).isEqualTo(1000);
    assertThat(image.id()).isEqualTo(store(dir).load(TestImages.ociImg(), "img").id()); // the same image as the layout's
    try (Container c = Container.builder().image(image).command("sh", "-c", "cat /data/newf; test -e /etc/gone || echo gone")
        .start()) {
      assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("new\ngone\n");
      assertThat(c.waitFor().exitCode()).isZero();
    }
  }

  @Test
  void aSecondPullDownloadsNoBlobAndTheListenerSeesEachBlobToItsEnd(@TempDir Path dir) {
    Map<String, long[]> seen = new ConcurrentHashMap<>();
    PullListener listener = (digest, done, total) -> seen.compute(digest, (d, last) -> {
      assertThat(done).isGreaterThanOrEqualTo(last == null ? 0 : last[0]);
      return new long[] {done, total};
    });
    ImageStore store = store(dir);
    store.pull(registry.address() + "/isola/busybox:1", listener);
    assertThat(seen).hasSize(3); // three layers; the config is metadata
    seen.values().forEach(p -> assertThat(p[0]).isEqualTo(p[1]).isPositive());

    long blobsBefore = registry.blobGets();
    AtomicLong calls = new AtomicLong();
    Image again = store.pull(registry.address() + "/isola/busybox:1", (d, done, total) -> calls.incrementAndGet());
    assertThat(calls).hasValue(0);
    assertThat(registry.blobGets()).isEqualTo(blobsBefore);
    assertThat(again.layers()).allSatisfy(l -> assertThat(l).isDirectory());
  }

  @Test
  void anImageIsPulledByDigestAndAWrongDigestIsUnknown(@TempDir Path dir) {
    String digest = JsonParser.parseString(TestImages.run("skopeo", "inspect", "--tls-verify=false",
        "docker://" + registry.address() + "/isola/busybox:1")).getAsJsonObject().get("Digest").getAsString();
    Image image = store(dir).pull(registry.address() + "/isola/busybox@" + digest);
    assertThat(image.reference()).hasValue(registry.address() + "/isola/busybox@" + digest);
    String wrong = "sha256:" + "0".repeat(64);
    assertThatThrownBy(() -> store(dir).pull(registry.address() + "/isola/busybox@" + wrong))
        .isInstanceOfSatisfying(ImagePullException.class, e -> assertThat(e.httpStatus()).isEqualTo(404))
        .hasMessageContaining(registry.address() + "/isola/busybox@" + wrong).hasMessageContaining("MANIFEST_UNKNOWN");
  }

  @Test
  void aMultiPlatformIndexResolvesToThisHostsImage(@TempDir Path dir) throws IOException {
    Path layout = multiPlatform(dir.resolve("layout"));
    registry.push("oci:" + layout + ":multi", "isola/multi:1", true);
    Image image = store(dir).pull(registry.address() + "/isola/multi:1");
    assertThat(image.layers().get(0).resolve("arch")).hasContent(TestRegistry.hostArchitecture());
  }

  @Test
  void anUnknownRepositoryOrTagNamesTheReferenceAndLeavesNothing(@TempDir Path dir) throws IOException {
    ImageStore store = store(dir);
    assertThatThrownBy(() -> store.pull(registry.address() + "/isola/busybox:nope"))
        .isInstanceOfSatisfying(ImagePullException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(404);
          assertThat(e.reference()).isEqualTo(registry.address() + "/isola/busybox:nope");
        })
        .hasMessageContaining("has no image isola/busybox:nope").hasMessageContaining("MANIFEST_UNKNOWN manifest unknown")
        .hasMessageContaining("check the repository name and the tag");
    assertThatThrownBy(() -> store.pull(registry.address() + "/isola/none:1"))
        .isInstanceOf(ImagePullException.class).hasMessageContaining("has no image isola/none:1");
    assertEmpty(store);
  }

  @Test
  void aDamagedBlobFailsVerificationAndNoPartOfItStays(@TempDir Path dir) throws IOException {
    Path layout = singleLayer(dir.resolve("layout"), "damaged");
    registry.push("oci:" + layout + ":t", "isola/damaged:1", false);
    String layer = onlyLayerDigest(layout);
    Path blob = registry.blobFile(layer);
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length - 600] ^= 1;
    Files.write(blob, bytes);
    ImageStore store = store(dir);
    assertThatThrownBy(() -> store.pull(registry.address() + "/isola/damaged:1"))
        .isInstanceOf(ImagePullException.class).hasMessageContaining("sha256:" + layer).hasMessageContaining("fails verification");
    assertEmpty(store);
  }

  @Test
  void malformedReferencesAreRefusedBeforeAnyRequest(@TempDir Path dir) {
    ImageStore store = store(dir);
    for (String bad : List.of("", "Busybox", "busybox:", "busybox@sha256:abc", "a//b", "host:99999x/a")) {
      assertThatThrownBy(() -> store.pull(bad)).as(bad).isInstanceOf(ImagePullException.class)
          .hasMessageStartingWith("malformed image reference \"" + bad + "\"");
    }
  }

  @Test
  void anUnreachableRegistrySaysSo(@TempDir Path dir) throws IOException {
    String nobody = "127.0.0.1:" + TestRegistry.freePort();
    assertThatThrownBy(() -> store(dir).pull(nobody + "/a/b:1")).isInstanceOf(ImagePullException.class)
        .hasMessageContaining("cannot reach the registry " + nobody).hasMessageContaining("check the address");
  }

  @Test
  void basicAuthenticationWithGivenOrDockerConfigCredentials(@TempDir Path dir) throws IOException {
    try (TestRegistry locked = TestRegistry.start(true)) {
      locked.push("oci:" + TestImages.BASE + ":base", "isola/base:1", false);
      String ref = locked.address() + "/isola/base:1";
      assertThatThrownBy(() -> store(dir).pull(ref))
          .isInstanceOfSatisfying(ImagePullException.class, e -> assertThat(e.httpStatus()).isEqualTo(401))
          .hasMessageContaining("refused access").hasMessageContaining("docker login " + locked.address());
      assertThatThrownBy(() -> store(dir).withCredentials(locked.address(), TestRegistry.USER, "wrong").pull(ref))
          .isInstanceOf(ImagePullException.class).hasMessageContaining("HTTP 401")
          .hasMessageContaining("ImageStore.withCredentials(\"" + locked.address() + "\"");
      assertThat(store(dir).withCredentials(locked.address(), TestRegistry.USER, TestRegistry.PASSWORD).pull(ref).layers())
          .hasSize(1);

      Path config = dir.resolve("docker/config.json");
      Files.createDirectories(config.getParent());
      String auth = Base64.getEncoder().encodeToString((TestRegistry.USER + ":" + TestRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8));
      Files.writeString(config, "{\"auths\":{\"" + locked.address() + "\":{\"auth\":\"" + auth + "\"}}}");
      Path other = dir.resolve("other");
      assertThat(ImageStore.open(other).withDockerConfig(config).pull(ref).layers()).hasSize(1);
    }
  }

  @Test
  void bearerTokensAreFetchedAnonymouslyOrWithCredentials(@TempDir Path dir) throws IOException {
    try (TokenProxy open = new TokenProxy(registry, true); TokenProxy closed = new TokenProxy(registry, false)) {
      assertThat(store(dir).pull(open.address() + "/isola/busybox:1").layers()).hasSize(3);
      assertThat(open.tokensIssued).hasValue(1); // one token serves every request of a pull
      assertThatThrownBy(() -> store(dir.resolve("a")).pull(closed.address() + "/isola/busybox:1"))
          .isInstanceOfSatisfying(ImagePullException.class, e -> assertThat(e.httpStatus()).isEqualTo(401))
          .hasMessageContaining("its token endpoint http://" + closed.address() + "/token answered HTTP 401")
          .hasMessageContaining("bad user name or password");
      assertThat(store(dir.resolve("b")).withCredentials(closed.address(), TestRegistry.USER, TestRegistry.PASSWORD)
          .pull(closed.address() + "/isola/busybox:1").layers()).hasSize(3);
    }
  }

  @Test
  void aPullCutOffMidLayerLeavesNoHalfLayer(@TempDir Path dir) throws IOException {
    Path layout = singleLayer(dir.resolve("layout"), "cut");
    registry.push("oci:" + layout + ":t", "isola/cut:1", false);
    try (TokenProxy proxy = new TokenProxy(registry, true)) {
      proxy.cutOff(onlyLayerDigest(layout));
      ImageStore store = store(dir);
      assertThatThrownBy(() -> store.pull(proxy.address() + "/isola/cut:1")).isInstanceOf(ImagePullException.class)
          .hasMessageContaining(proxy.address() + "/isola/cut:1");
      assertEmpty(store);
      assertThat(store.pull(proxy.address() + "/isola/cut:1").layers()).hasSize(1); // the next try completes
    }
  }

  /** No layer, no image record and no working directory left in the store. */
  private static void assertEmpty(ImageStore store) throws IOException {
    assertThat(TestImages.list(store.directory().resolve("layers"))).isEmpty();
    assertThat(TestImages.list(store.directory().resolve("images"))).isEmpty();
    assertThat(TestImages.list(store.directory().resolve("tmp"))).noneMatch(Files::isDirectory);
  }

  /** An OCI layout of one image "t" whose one gzip layer holds 256 KiB of text, so that it can be cut. */
  private static Path singleLayer(Path dir, String name) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < 256 << 10; i++) {
      text.append(name).append(' ').append(i * 7919L % 104729).append('\n');
    }
    byte[] layer = gzip(OciLayouts.layer(t -> OciLayouts.file(t, "data.txt", text.toString(), e -> {})));
    Layout l = new Layout(dir);
    l.index(List.of(l.image(layer, "amd64", "application/vnd.oci.image.layer.v1.tar+gzip")), "t", false);
    return dir;
  }

  private static String onlyLayerDigest(Path layout) throws IOException {
    Path blobs = layout.resolve("blobs/sha256");
    for (Path b : TestImages.list(blobs)) {
      String text = new String(Files.readAllBytes(b), StandardCharsets.ISO_8859_1);
      if (text.startsWith("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"")) {
        JsonObject m = JsonParser.parseString(text).getAsJsonObject();
        return m.getAsJsonArray("layers").get(0).getAsJsonObject().get("digest").getAsString().substring(7);
      }
    }
    throw new IllegalStateException("no manifest in " + layout);
  }

  /** A layout whose tag "multi" is an index of an amd64 and an arm64 image, each with a file naming its architecture. */
  private static Path multiPlatform(Path dir) throws IOException {
    Layout l = new Layout(dir);
    List<JsonObject> images = new ArrayList<>();
    for (String arch : List.of("arm64", "amd64")) {
      byte[] layer = OciLayouts.layer(t -> OciLayouts.file(t, "arch", arch, e -> {}));
      images.add(l.image(layer, arch, "application/vnd.oci.image.layer.v1.tar"));
    }
    l.index(images, "multi", true);
    return dir;
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  /** Writes OCI layouts with true sizes in every descriptor, as skopeo checks them on push. */
  private static final class Layout {
    private final Path dir;

    Layout(Path dir) throws IOException {
      this.dir = dir;
      Files.createDirectories(dir.resolve("blobs/sha256"));
      Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    }

    JsonObject blob(String mediaType, byte[] content) throws IOException {
      String digest = Sha256.of(content);
      Files.write(dir.resolve("blobs/sha256").resolve(digest), content);
      JsonObject d = new JsonObject();
      d.addProperty("mediaType", mediaType);
      d.addProperty("digest", "sha256:" + digest);
      d.addProperty("size", content.length);
      return d;
    }

    /** An image manifest's descriptor, with its platform. */
    JsonObject image(byte[] layer, String arch, String layerType) throws IOException {
      byte[] tar = layerType.endsWith("gzip") ? gunzip(layer) : layer;
      String config = "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
          + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + Sha256.of(tar) + "\"]}}";
      JsonObject manifest = new JsonObject();
      manifest.addProperty("schemaVersion", 2);
      manifest.addProperty("mediaType", "application/vnd.oci.image.manifest.v1+json");
      manifest.add("config", blob("application/vnd.oci.image.config.v1+json", config.getBytes(StandardCharsets.UTF_8)));
      JsonArray layers = new JsonArray();
      layers.add(blob(layerType, layer));
      manifest.add("layers", layers);
      JsonObject d = blob("application/vnd.oci.image.manifest.v1+json", manifest.toString().getBytes(StandardCharsets.UTF_8));
      JsonObject platform = new JsonObject();
      platform.addProperty("architecture", arch);
      platform.addProperty("os", "linux");
      d.add("platform", platform);
      return d;
    }

    /** index.json naming {@code tag}: the one image, or an index of them all when {@code asIndex}. */
    void index(List<JsonObject> images, String tag, boolean asIndex) throws IOException {
      JsonObject entry;
      if (asIndex) {
        JsonObject nested = new JsonObject();
        nested.addProperty("schemaVersion", 2);
        nested.addProperty("mediaType", "application/vnd.oci.image.index.v1+json");
        JsonArray list = new JsonArray();
        images.forEach(list::add);
        nested.add("manifests", list);
        entry = blob("application/vnd.oci.image.index.v1+json", nested.toString().getBytes(StandardCharsets.UTF_8));
      } else {
        entry = images.get(0).deepCopy();
        entry.remove("platform");
      }
      JsonObject annotations = new JsonObject();
      annotations.addProperty("org.opencontainers.image.ref.name", tag);
      entry.add("annotations", annotations);
      JsonObject index = new JsonObject();
      index.addProperty("schemaVersion", 2);
      JsonArray manifests = new JsonArray();
      manifests.add(entry);
      index.add("manifests", manifests);
      Files.writeString(dir.resolve("index.json"), index.toString());
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
      try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
        return in.readAllBytes();
      }
    }
  }
}
