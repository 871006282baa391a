package dev.isola.linux.internal.rootfs;

import dev.isola.ContainerSpec;
import dev.isola.Overlay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A container's root read from the host before it starts, as the container will see it: a rootfs
 * directory, or the layers of an overlay (the highest that has an entry, or hides it with a
 * whiteout or an opaque directory, decides). Links are never followed, not even within the root:
 * a link the image planted must not make the host read one of its own files.
 */
public final class RootFiles {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  /** What overlayfs in a user namespace marks an opaque directory with (see LayerUnpacker). */
  private static final String OPAQUE = "overlay.opaque";

  /** Directories the root is made of, highest first. */
  private final List<Path> layers;

  private RootFiles(List<Path> layers) {
    this.layers = layers;
  }

  /** The root of {@code spec}, which has a rootfs or an overlay (the default root is Isola's own). */
  public static RootFiles of(ContainerSpec spec) {
    List<Path> layers = new ArrayList<>(spec.overlay().map(Overlay::lower).orElseGet(() -> List.of(spec.rootfs().orElseThrow())));
    Collections.reverse(layers);
    spec.overlay().flatMap(Overlay::upper).ifPresent(u -> layers.add(0, u));
    return new RootFiles(layers);
  }

  /** The lines of a regular file of the root; empty if it has none there, or it is a link. */
  public Optional<List<String>> readLines(String path) {
    return find(path).filter(Files::isRegularFile).flatMap(p -> {
      try {
        return Optional.of(Files.readAllLines(p));
      } catch (IOException | RuntimeException e) {
        return Optional.empty(); // unreadable to the JVM: as if absent
      }
    });
  }

  /** Whether the root has a directory at {@code path} (not a link to one). */
  public boolean isDirectory(String path) {
    return find(path).filter(p -> Files.isDirectory(p, NOFOLLOW)).isPresent();
  }

  /** The host path of what the root shows at {@code path}: a file or directory, never through a link. */
  private Optional<Path> find(String path) {
    String[] names = path.substring(1).split("/");
    for (Path layer : layers) {
      Path p = layer;
      boolean opaqueOnTheWay = false;
      for (int i = 0; i < names.length; i++) {
        p = p.resolve(names[i]);
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (IOException e) {
          if (opaqueOnTheWay) {
            return Optional.empty(); // an opaque directory hides what lower layers have beneath it
          }
          break; // not in this layer: a lower one may have it
        }
        if (i == names.length - 1) {
          return a.isRegularFile() || a.isDirectory() ? Optional.of(p) : Optional.empty();
        }
        if (!a.isDirectory()) {
          return Optional.empty(); // a file, a link or a whiteout hides the rest of the path
        }
        opaqueOnTheWay |= opaque(p);
      }
    }
    return Optional.empty();
  }

  private static boolean opaque(Path dir) {
    try {
      UserDefinedFileAttributeView view = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class, NOFOLLOW);
      return view != null && view.list().contains(OPAQUE);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
