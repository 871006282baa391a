/**
 * Isola's API: {@link dev.isola.Container}, {@link dev.isola.ContainerSpec} and its value types,
 * and the SPI that runtimes and image loaders implement ({@code dev.isola.spi}). Runtimes are
 * found with {@link java.util.ServiceLoader}: put one (for example {@code dev.isola.linux}) on the
 * module path or the class path.
 */
module dev.isola {
  requires static transitive org.jspecify;

  exports dev.isola;
  exports dev.isola.spi;

  uses dev.isola.spi.ContainerRuntimeProvider;
  uses dev.isola.spi.ImageLoader;
}
