package dev.isola;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A file system mounted into the container: a bind of a host path, or a fresh tmpfs. Immutable;
 * the {@code with…} methods return a new mount.
 *
 * <p>Safe by default: a bind is read-only, and every mount is {@code nosuid} and {@code nodev}.
 */
public final class Mount {
  /** What is mounted. */
  public enum Type {
    BIND,
    TMPFS
  }

  /** Per-mount flags; a mount has the flags in its set and not the others. */
  public enum Flag {
    READ_ONLY,
    NO_SUID,
    NO_DEV,
    NO_EXEC
  }

  private final Type type;
  private final @Nullable Path source;
  private final String target;
  private final Set<Flag> flags;
  private final long sizeBytes;

  private Mount(Type type, @Nullable Path source, String target, Set<Flag> flags, long sizeBytes) {
    this.type = type;
    this.source = source;
    this.target = ContainerPaths.requireAbsolute("mount target", target);
    if (this.target.equals("/")) {
      throw new IllegalArgumentException("mount target must not be the root: use rootfs() instead");
    }
    this.flags = Collections.unmodifiableSet(flags.isEmpty() ? EnumSet.noneOf(Flag.class) : EnumSet.copyOf(flags));
    this.sizeBytes = sizeBytes;
  }

  /**
   * Binds the host path {@code source} (a directory or a file) at {@code target} inside the
   * container, read-only, {@code nosuid}, {@code nodev}. The source must be absolute; it is
   * checked to exist when the container starts.
   */
  public static Mount bind(Path source, String target) {
    Objects.requireNonNull(source, "source");
    if (!source.isAbsolute()) {
      throw new IllegalArgumentException("bind source must be an absolute path: " + source);
    }
    return new Mount(Type.BIND, source.normalize(), target,
        EnumSet.of(Flag.READ_ONLY, Flag.NO_SUID, Flag.NO_DEV), 0);
  }

  /** Like {@link #bind(Path, String)}, but the container may write through it. */
  public static Mount bindWritable(Path source, String target) {
    return bind(source, target).writable();
  }

  /** A new, empty, writable tmpfs of at most {@code sizeBytes} bytes at {@code target}. */
  public static Mount tmpfs(String target, long sizeBytes) {
    if (sizeBytes <= 0) {
      throw new IllegalArgumentException("tmpfs size must be positive: " + sizeBytes + " bytes");
    }
    return new Mount(Type.TMPFS, null, target, EnumSet.of(Flag.NO_SUID, Flag.NO_DEV), sizeBytes);
  }

  /** This mount, writable. */
  public Mount writable() {
    EnumSet<Flag> f = EnumSet.copyOf(flagsOrNone());
    f.remove(Flag.READ_ONLY);
    return withFlags(f);
  }

  /** This mount, read-only. */
  public Mount readOnly() {
    EnumSet<Flag> f = EnumSet.copyOf(flagsOrNone());
    f.add(Flag.READ_ONLY);
    return withFlags(f);
  }

  /** This mount, with programs on it not executable. */
  public Mount noExec() {
    EnumSet<Flag> f = EnumSet.copyOf(flagsOrNone());
    f.add(Flag.NO_EXEC);
    return withFlags(f);
  }

  /** This mount with exactly {@code flags}; use it to drop {@code nosuid} or {@code nodev}. */
  public Mount withFlags(Set<Flag> flags) {
    return new Mount(type, source, target, flags, sizeBytes);
  }

  private Set<Flag> flagsOrNone() {
    return flags.isEmpty() ? EnumSet.noneOf(Flag.class) : flags;
  }

  public Type type() {
    return type;
  }

  /** The host path of a bind mount. */
  public Optional<Path> source() {
    return Optional.ofNullable(source);
  }

  /** The absolute, normalized path inside the container. */
  public String target() {
    return target;
  }

  public Set<Flag> flags() {
    return flags;
  }

  public boolean isReadOnly() {
    return flags.contains(Flag.READ_ONLY);
  }

  /** The size limit of a tmpfs, in bytes. */
  public OptionalLong sizeBytes() {
    return type == Type.TMPFS ? OptionalLong.of(sizeBytes) : OptionalLong.empty();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Mount)) {
      return false;
    }
    Mount m = (Mount) o;
    return m.type == type && Objects.equals(m.source, source) && m.target.equals(target)
        && m.flags.equals(flags) && m.sizeBytes == sizeBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, source, target, flags, sizeBytes);
  }

  @Override
  public String toString() {
    String what = type == Type.BIND ? "bind " + source : "tmpfs " + sizeBytes + " bytes";
    return what + " on " + target + " " + flags;
  }
}
