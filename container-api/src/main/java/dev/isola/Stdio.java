package dev.isola;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where one of a container's standard streams goes. Immutable.
 *
 * <p>A pipe (the default) is read and written through {@link Container#stdin()}, {@link
 * Container#stdout()} and {@link Container#stderr()}; the other kinds leave those streams empty.
 */
public final class Stdio {
  /** The kinds of stream. */
  public enum Kind {
    /** A pipe to the caller. */
    PIPE,
    /** The JVM's own stream of the same number. */
    INHERIT,
    /** {@code /dev/null}: no input, output thrown away. */
    DISCARD,
    /** A host file: read for stdin; created or truncated for output. */
    FILE,
    /** A host file, created if needed and appended to (output only). */
    APPEND
  }

  private static final Stdio PIPE = new Stdio(Kind.PIPE, null);
  private static final Stdio INHERIT = new Stdio(Kind.INHERIT, null);
  private static final Stdio DISCARD = new Stdio(Kind.DISCARD, null);

  private final Kind kind;
  private final @Nullable Path file;

  private Stdio(Kind kind, @Nullable Path file) {
    this.kind = kind;
    this.file = file;
  }

  public static Stdio pipe() {
    return PIPE;
  }

  public static Stdio inherit() {
    return INHERIT;
  }

  public static Stdio discard() {
    return DISCARD;
  }

  /** Reads stdin from {@code file}, or writes output to it after truncating it. */
  public static Stdio file(Path file) {
    return new Stdio(Kind.FILE, Objects.requireNonNull(file, "file"));
  }

  /** Appends output to {@code file}; not valid for stdin. */
  public static Stdio appendTo(Path file) {
    return new Stdio(Kind.APPEND, Objects.requireNonNull(file, "file"));
  }

  public Kind kind() {
    return kind;
  }

  /** The host file of a {@link Kind#FILE} or {@link Kind#APPEND} stream. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Stdio && ((Stdio) o).kind == kind && Objects.equals(((Stdio) o).file, file);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, file);
  }

  @Override
  public String toString() {
    return file == null ? kind.name().toLowerCase(java.util.Locale.ROOT) : kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + file;
  }
}
