package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.IdMapping;
import dev.isola.Image;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageRecordTest {
  @Test
  void aLayerRepeatedInTheImageIsStackedOnceAtItsHighestPlace() {
    // overlayfs refuses the same lower directory twice (ELOOP, "conflicting lowerdir")
    ImageRecord r = new ImageRecord();
    r.id = "sha256:" + "0".repeat(64);
    r.layers = List.of("a", "b", "a", "c");
    r.cmd = List.of("sh");
    Image image = r.toImage(Path.of("/store/layers"), IdMapping.caller(), null);
    assertThat(image.layers()).containsExactly(Path.of("/store/layers/b"), Path.of("/store/layers/a"), Path.of("/store/layers/c"));
  }
}
