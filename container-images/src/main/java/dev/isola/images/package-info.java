/**
 * Container images for Isola: {@link dev.isola.images.ImageStore} imports OCI image layouts
 * (directories or tars) and docker-archive tars, verifies every digest, and unpacks each layer once
 * into a directory that overlayfs (mounted with {@code userxattr}) takes as a lower layer.
 *
 * <p>This is an artifact of its own, {@code dev.isola:container-images}, so that users who never
 * load an image do not get commons-compress and gson on their class path. With it present, {@link
 * dev.isola.Image#load(java.nio.file.Path)} finds {@link dev.isola.images.DefaultImageLoader}.
 */
@NullMarked
package dev.isola.images;

import org.jspecify.annotations.NullMarked;
