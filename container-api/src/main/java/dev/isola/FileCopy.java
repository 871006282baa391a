package dev.isola;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A file or directory put into a container: a copy of a host path, or bytes. Immutable. The
 * copy belongs to the container's root; the host source is only read, and symbolic links in it
 * are copied as links, never followed.
 */
public final class FileCopy {
  private final @Nullable Path source;
  private final byte @Nullable [] content;
  private final String target;
  private final int mode;

  private FileCopy(@Nullable Path source, byte @Nullable [] content, String target, int mode) {
    this.source = source;
    this.content = content;
    this.target = ContainerPaths.requireAbsolute("copy target", target);
    if (this.target.equals("/")) {
      throw new IllegalArgumentException("copy target must name a file or directory below the root, not /");
    }
    this.mode = mode;
  }

  /** A copy of the host file or directory {@code source} (modes kept) at {@code target}. */
  public static FileCopy of(Path source, String target) {
    Objects.requireNonNull(source, "source");
    if (!source.isAbsolute()) {
      throw new IllegalArgumentException("copy source must be an absolute path: " + source);
    }
    return new FileCopy(source.normalize(), null, target, 0);
  }

  /** A file at {@code target} holding {@code content}, with permission bits {@code mode} (e.g. 0644). */
  public static FileCopy of(byte[] content, String target, int mode) {
    Objects.requireNonNull(content, "content");
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("file mode must be permission bits within 07777: 0" + Integer.toOctalString(mode));
    }
    return new FileCopy(null, content.clone(), target, mode);
  }

  /** The host path copied; empty for a copy of bytes. */
  public Optional<Path> source() {
    return Optional.ofNullable(source);
  }

  /** The bytes written; empty for a copy of a host path. */
  public Optional<byte[]> content() {
    return content == null ? Optional.empty() : Optional.of(content.clone());
  }

  /** Where the copy lands inside the container. */
  public String target() {
    return target;
  }

  /** The permission bits of a copy of bytes. */
  public int mode() {
    return mode;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof FileCopy)) {
      return false;
    }
    FileCopy f = (FileCopy) o;
    return Objects.equals(source, f.source) && Arrays.equals(content, f.content) && target.equals(f.target) && mode == f.mode;
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, Arrays.hashCode(content), target, mode);
  }

  @Override
  public String toString() {
    return source != null ? "FileCopy{" + source + " -> " + target + "}"
        : "FileCopy{" + content.length + " bytes, mode 0" + Integer.toOctalString(mode) + " -> " + target + "}";
  }
}
