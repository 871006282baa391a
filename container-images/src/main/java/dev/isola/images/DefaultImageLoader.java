package dev.isola.images;

import dev.isola.Image;
import dev.isola.spi.ImageLoader;
import java.nio.file.Path;

/** Loads images for {@link Image#load(Path)} into {@link ImageStore#defaultStore()}. */
public final class DefaultImageLoader implements ImageLoader {
  /** Called by {@link java.util.ServiceLoader}. */
  public DefaultImageLoader() {}

  @Override
  public Image load(Path source) {
    return ImageStore.defaultStore().load(source);
  }

  @Override
  public Image load(Path source, String reference) {
    return ImageStore.defaultStore().load(source, reference);
  }
}
