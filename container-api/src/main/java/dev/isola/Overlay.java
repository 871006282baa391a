package dev.isola;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A root file system made of read-only lower directories and a writable upper layer (overlayfs):
 * the container's writes land in the upper layer and the lower directories are never modified.
 * Immutable.
 *
 * <p>An {@linkplain #ephemeral(List) ephemeral} upper layer is private to one container and
 * removed when it is closed; a {@linkplain #persistent(List, Path) persistent} one is a directory
 * the caller keeps, so that a later container sees what an earlier one wrote.
 */
public final class Overlay {
  /** Overlayfs stacks at most 500 lower layers. */
  public static final int MAX_LOWER = 500;

  private final List<Path> lower;
  private final @Nullable Path upper;

  private Overlay(List<Path> lower, @Nullable Path upper) {
    Objects.requireNonNull(lower, "lower");
    if (lower.isEmpty() || lower.size() > MAX_LOWER) {
      throw new IllegalArgumentException("an overlay needs 1 to " + MAX_LOWER + " lower directories: " + lower.size());
    }
    for (Path p : lower) {
      requireAbsolute("lower directory", p);
    }
    this.lower = lower.stream().map(Path::normalize).collect(Collectors.toUnmodifiableList());
    if (new HashSet<>(this.lower).size() != this.lower.size()) {
      throw new IllegalArgumentException("a lower directory is given twice (overlayfs refuses that): " + this.lower);
    }
    this.upper = upper == null ? null : requireAbsolute("upper directory", upper).normalize();
    if (this.upper != null && this.lower.stream().anyMatch(l -> l.startsWith(this.upper) || this.upper.startsWith(l))) {
      throw new IllegalArgumentException("upper directory " + this.upper + " must lie outside every lower directory and not contain one: " + this.lower);
    }
  }

  /** Lower directories, lowest first, under an upper layer that goes with the container. */
  public static Overlay ephemeral(List<Path> lowerLowestFirst) {
    return new Overlay(lowerLowestFirst, null);
  }

  /**
   * Lower directories, lowest first, under the upper layer kept in {@code upperDirectory} (created
   * if missing; the layer is kept in its {@code upper} subdirectory, beside overlayfs's {@code work}).
   */
  public static Overlay persistent(List<Path> lowerLowestFirst, Path upperDirectory) {
    return new Overlay(lowerLowestFirst, Objects.requireNonNull(upperDirectory, "upperDirectory"));
  }

  private static Path requireAbsolute(String what, Path p) {
    if (!Objects.requireNonNull(p, what).isAbsolute()) {
      throw new IllegalArgumentException("overlay " + what + " must be an absolute path: " + p);
    }
    return p;
  }

  /** The read-only layers, lowest first. */
  public List<Path> lower() {
    return lower;
  }

  /** The persistent upper directory; empty for an ephemeral overlay. */
  public Optional<Path> upper() {
    return Optional.ofNullable(upper);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Overlay && ((Overlay) o).lower.equals(lower) && Objects.equals(((Overlay) o).upper, upper);
  }

  @Override
  public int hashCode() {
    return Objects.hash(lower, upper);
  }

  @Override
  public String toString() {
    return "Overlay{lower=" + lower + ", upper=" + (upper == null ? "<ephemeral>" : upper) + "}";
  }
}
