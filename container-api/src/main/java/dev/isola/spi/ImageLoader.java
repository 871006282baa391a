package dev.isola.spi;

import dev.isola.Image;
import dev.isola.PullListener;
import dev.isola.UnsupportedFeatureException;
import java.nio.file.Path;

/**
 * Imports images for {@link Image#load(Path)}, found with {@link java.util.ServiceLoader}; the
 * first one found loads every image.
 */
public interface ImageLoader {
  /** Verifies and unpacks the image at {@code source} into the default store. */
  Image load(Path source);

  /** Verifies and unpacks the image named {@code reference} of the layout at {@code source}; see {@link Image#load(Path, String)}. */
  default Image load(Path source, String reference) {
    throw new UnsupportedFeatureException("loading an image by name", "this image loader (" + getClass().getName()
        + ") loads only layouts of one image");
  }

  /** Pulls the image {@code reference} from its registry into the default store; see {@link Image#pull(String)}. */
  default Image pull(String reference, PullListener listener) {
    throw new UnsupportedFeatureException("pulling an image from a registry", "this image loader (" + getClass().getName()
        + ") loads only local images");
  }
}
