package dev.isola.spi;

import dev.isola.Image;
import java.nio.file.Path;

/**
 * Imports images for {@link Image#load(Path)}, found with {@link java.util.ServiceLoader}; the
 * first one found loads every image.
 */
public interface ImageLoader {
  /** Verifies and unpacks the image at {@code source} into the default store. */
  Image load(Path source);
}
