package dev.isola;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which paths inside the container the command may read, write and execute; everything else it
 * may not, whatever the mounts and file modes allow. A defence in depth on top of the container's
 * own root: on Linux they are enforced with Landlock (Linux 5.13 and later), applied to the
 * command just before it starts, so that Isola's setup and the container's init are not
 * restricted, and the command and every process it starts are, for good.
 *
 * <pre>{@code
 * FilesystemRules.builder()
 *     .execute("/bin", "/usr")          // read and run programs
 *     .readOnly("/etc", "/proc")
 *     .readWrite("/tmp", "/dev/null")   // "> /dev/null" writes to it
 *     .build();
 * }</pre>
 *
 * <p>A rule covers its path and everything beneath it; rules on the same path add up. Paths are
 * absolute paths inside the container, and must exist when it starts. Descriptors the command
 * inherits (its stdio) stay usable. Writing covers creating, removing, renaming, truncating, and
 * device {@code ioctl}s, but never creating device nodes. Where the kernel knows fewer kinds of
 * access (truncating since Linux 6.2, moving files between directories since 5.19, device {@code
 * ioctl}s since 6.10), the ones it does not know are not restricted; {@link
 * Container#filesystemRulesLevel()} says which level was applied.
 *
 * <p>Required by default: {@link Container#start(ContainerSpec)} throws {@link
 * UnsupportedFeatureException} where the kernel cannot enforce them, unless they are {@linkplain
 * Builder#bestEffort() best-effort}.
 */
public final class FilesystemRules {
  /** What a rule allows beneath its path. */
  public enum Access {
    /** Read files and list directories. */
    READ,
    /** Write, create, remove, rename and truncate files, directories, symlinks, fifos and sockets. */
    WRITE,
    /** Run programs. */
    EXECUTE
  }

  private final Map<String, Set<Access>> paths;
  private final boolean bestEffort;

  private FilesystemRules(Builder b) {
    Map<String, Set<Access>> copy = new LinkedHashMap<>();
    b.paths.forEach((path, access) -> copy.put(path, Collections.unmodifiableSet(EnumSet.copyOf(access))));
    this.paths = Collections.unmodifiableMap(copy);
    this.bestEffort = b.bestEffort;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Each path inside the container, normalized, with what its rules allow, in the order given. */
  public Map<String, Set<Access>> paths() {
    return paths;
  }

  /**
   * Whether a container starts without these rules where the kernel cannot enforce them (with
   * {@link Container#filesystemRulesLevel()} 0), rather than fail to start.
   */
  public boolean bestEffort() {
    return bestEffort;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof FilesystemRules)) {
      return false;
    }
    FilesystemRules r = (FilesystemRules) o;
    return paths.equals(r.paths) && bestEffort == r.bestEffort;
  }

  @Override
  public int hashCode() {
    return Objects.hash(paths, bestEffort);
  }

  @Override
  public String toString() {
    return "FilesystemRules{" + paths + (bestEffort ? ", best-effort" : ", required") + "}";
  }

  /** Builds {@link FilesystemRules}; each method checks its paths. Not thread-safe. */
  public static final class Builder {
    private final Map<String, EnumSet<Access>> paths = new LinkedHashMap<>();
    private boolean bestEffort;

    private Builder() {}

    /** Allows reading files and listing directories beneath each path. */
    public Builder readOnly(String... pathsInside) {
      return allow(pathsInside, Access.READ);
    }

    /** Allows reading and writing beneath each path; not running programs. */
    public Builder readWrite(String... pathsInside) {
      return allow(pathsInside, Access.READ, Access.WRITE);
    }

    /** Allows reading and running programs beneath each path. */
    public Builder execute(String... pathsInside) {
      return allow(pathsInside, Access.READ, Access.EXECUTE);
    }

    /** Starts containers without the rules where the kernel cannot enforce them. */
    public Builder bestEffort() {
      this.bestEffort = true;
      return this;
    }

    private Builder allow(String[] pathsInside, Access first, Access... rest) {
      Objects.requireNonNull(pathsInside, "paths");
      for (String path : pathsInside) {
        String normalized = ContainerPaths.requireAbsolute("filesystem rule path", path);
        paths.computeIfAbsent(normalized, p -> EnumSet.noneOf(Access.class)).addAll(EnumSet.of(first, rest));
      }
      return this;
    }

    /**
     * Checks that some path allows running programs (the command itself is run under the rules)
     * and returns the rules.
     */
    public FilesystemRules build() {
      if (paths.values().stream().noneMatch(access -> access.contains(Access.EXECUTE))) {
        throw new IllegalArgumentException("filesystem rules " + paths.keySet() + " allow running no program, so the"
            + " command could not start either: add execute(...) for the directory that holds it");
      }
      return new FilesystemRules(this);
    }
  }
}
