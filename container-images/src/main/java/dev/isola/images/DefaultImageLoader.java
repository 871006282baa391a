package dev.isola.images;

import dev.isola.Image;
import dev.isola.PullListener;
import dev.isola.spi.ImageLoader;
import java.nio.file.Path;

/** Loads and pulls images for {@link Image#load(Path)} and {@link Image#pull(String)} into {@link ImageStore#defaultStore()}. */
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

  @Override
  public Image pull(String reference, PullListener listener) {
    return ImageStore.defaultStore().pull(reference, listener);
  }
}
