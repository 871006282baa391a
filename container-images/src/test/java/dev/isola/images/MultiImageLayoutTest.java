package dev.isola.images;

import static dev.isola.images.OciLayouts.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.isola.ContainerException;
import dev.isola.Image;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OCI layout of several images, as umoci and skopeo write one per tag, with no platform on the
 * index's entries: one is picked by its name, and without a name none is guessed.
 */
class MultiImageLayoutTest {
  /** A layout whose index names an image "v1" (a file saying v1) and one "v2". */
  private static Path twoTags(Path dir) throws IOException {
    Path layout = Files.createDirectories(dir.resolve("layout"));
    JsonArray entries = new JsonArray();
    for (String tag : List.of("v1", "v2")) {
      Path one = OciLayouts.write(dir.resolve(tag), List.of(OciLayouts.layer(t -> file(t, "version", tag, e -> {}))), "");
      try (Stream<Path> blobs = Files.list(one.resolve("blobs/sha256"))) {
        Files.createDirectories(layout.resolve("blobs/sha256"));
        for (Path b : blobs.toList()) {
          Files.copy(b, layout.resolve("blobs/sha256").resolve(b.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
      JsonObject entry = JsonParser.parseString(Files.readString(one.resolve("index.json"))).getAsJsonObject()
          .getAsJsonArray("manifests").get(0).getAsJsonObject();
      JsonObject annotations = new JsonObject();
      annotations.addProperty("org.opencontainers.image.ref.name", tag);
      entry.add("annotations", annotations);
      entries.add(entry);
    }
    Files.copy(dir.resolve("v1/oci-layout"), layout.resolve("oci-layout"));
    JsonObject index = new JsonObject();
    index.addProperty("schemaVersion", 2);
    index.add("manifests", entries);
    Files.writeString(layout.resolve("index.json"), index.toString(), StandardCharsets.UTF_8);
    return layout;
  }

  private static String version(Image image) throws IOException {
    return Files.readString(image.layers().get(image.layers().size() - 1).resolve("version"));
  }

  @Test
  void anImageIsPickedByItsNameOrTag(@TempDir Path dir) throws IOException {
    Path layout = twoTags(dir);
    ImageStore store = ImageStore.open(dir.resolve("store"));
    Image v2 = store.load(layout, "v2");
    assertThat(version(v2)).isEqualTo("v2");
    assertThat(v2.reference()).contains("v2");
    Image v1 = store.load(layout, "registry.example:5000/app:v1");
    assertThat(version(v1)).isEqualTo("v1");
    assertThat(v1.reference()).contains("registry.example:5000/app:v1");
  }

  @Test
  void withoutANameNoneIsGuessedAndTheNamesAreListed(@TempDir Path dir) throws IOException {
    Path layout = twoTags(dir);
    ImageStore store = ImageStore.open(dir.resolve("store"));
    assertThatThrownBy(() -> store.load(layout)).isInstanceOf(ContainerException.class)
        .hasMessageContaining("holds 2 images, named [v1, v2]").hasMessageContaining("Image.load(" + layout + ", \"v1\")");
    assertThatThrownBy(() -> store.load(layout, "v3")).isInstanceOf(ContainerException.class)
        .hasMessageContaining("no image named \"v3\"").hasMessageContaining("[v1, v2]");
  }
}
