package dev.isola;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How the container's user and group ids map to the host's, in its user namespace. Immutable.
 *
 * <ul>
 *   <li>{@link #automatic()} (the default): as an ordinary user, the container's root is the
 *       caller; as root, the container's ids 0–65535 are unprivileged host ids (the {@code root}
 *       entries of {@code /etc/subuid} and {@code /etc/subgid}, else host ids {@value
 *       #DEFAULT_HOST_BASE} upwards), never host root.
 *   <li>{@link #caller()}: the container's root is the calling user, one id only.
 *   <li>{@link #subordinate()}: the container's root is the caller, and ids 1–65535 are the
 *       caller's subordinate range from {@code /etc/subuid}, set with {@code newuidmap}.
 *   <li>{@link #hostRoot()}: the container's ids 0–65535 are the host's; needs a root caller.
 *   <li>{@link #of(List, List)}: explicit ranges.
 * </ul>
 */
public final class IdMapping {
  /** The first host id of the automatic mapping for a root caller without {@code /etc/subuid}. */
  public static final long DEFAULT_HOST_BASE = 0x6000_0000L;

  /** How a mapping is chosen. */
  public enum Kind {
    AUTOMATIC,
    CALLER,
    SUBORDINATE,
    HOST_ROOT,
    EXPLICIT
  }

  /** {@code count} ids from {@code containerId} map to as many from {@code hostId}. */
  public static final class Range {
    private final long containerId;
    private final long hostId;
    private final long count;

    private Range(long containerId, long hostId, long count) {
      // Written as "id > limit - count" so that a huge id or count cannot overflow past the check.
      if (containerId < 0 || hostId < 0 || count < 1 || count > 0xFFFF_FFFFL
          || containerId > 0xFFFF_FFFFL - count || hostId > 0xFFFF_FFFFL - count) {
        throw new IllegalArgumentException("invalid id range: container " + containerId
            + ", host " + hostId + ", count " + count + " (ids are 0..4294967294, count >= 1)");
      }
      this.containerId = containerId;
      this.hostId = hostId;
      this.count = count;
    }

    public static Range of(long containerId, long hostId, long count) {
      return new Range(containerId, hostId, count);
    }

    public long containerId() {
      return containerId;
    }

    public long hostId() {
      return hostId;
    }

    public long count() {
      return count;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Range && ((Range) o).containerId == containerId
          && ((Range) o).hostId == hostId && ((Range) o).count == count;
    }

    @Override
    public int hashCode() {
      return Objects.hash(containerId, hostId, count);
    }

    @Override
    public String toString() {
      return containerId + "->" + hostId + "x" + count;
    }
  }

  private static final IdMapping AUTOMATIC = new IdMapping(Kind.AUTOMATIC, List.of(), List.of());
  private static final IdMapping CALLER = new IdMapping(Kind.CALLER, List.of(), List.of());
  private static final IdMapping SUBORDINATE = new IdMapping(Kind.SUBORDINATE, List.of(), List.of());
  private static final IdMapping HOST_ROOT = new IdMapping(Kind.HOST_ROOT,
      List.of(Range.of(0, 0, 65536)), List.of(Range.of(0, 0, 65536)));

  private final Kind kind;
  private final List<Range> uids;
  private final List<Range> gids;

  private IdMapping(Kind kind, List<Range> uids, List<Range> gids) {
    this.kind = kind;
    this.uids = List.copyOf(uids);
    this.gids = List.copyOf(gids);
  }

  public static IdMapping automatic() {
    return AUTOMATIC;
  }

  public static IdMapping caller() {
    return CALLER;
  }

  public static IdMapping subordinate() {
    return SUBORDINATE;
  }

  public static IdMapping hostRoot() {
    return HOST_ROOT;
  }

  /**
   * Explicit ranges, at most 340 each (the kernel's limit), not overlapping, and mapping the
   * container's id 0 (the container is set up, and its command started, as root). As an ordinary
   * user, ranges other than the caller's own id are set with {@code newuidmap}/{@code newgidmap}
   * and must be allowed by {@code /etc/subuid} and {@code /etc/subgid}.
   */
  public static IdMapping of(List<Range> uids, List<Range> gids) {
    checkRanges("uid", uids);
    checkRanges("gid", gids);
    return new IdMapping(Kind.EXPLICIT, uids, gids);
  }

  private static void checkRanges(String what, List<Range> ranges) {
    if (ranges.isEmpty() || ranges.size() > 340) {
      throw new IllegalArgumentException(what + " mapping needs 1 to 340 ranges: " + ranges.size());
    }
    if (ranges.stream().noneMatch(r -> r.containerId == 0)) {
      throw new IllegalArgumentException(what + " mapping must map the container's id 0 (its root, which sets the container up): " + ranges);
    }
    for (int i = 0; i < ranges.size(); i++) {
      for (int j = i + 1; j < ranges.size(); j++) {
        Range a = ranges.get(i);
        Range b = ranges.get(j);
        if (overlap(a.containerId, b.containerId, a.count, b.count)
            || overlap(a.hostId, b.hostId, a.count, b.count)) {
          throw new IllegalArgumentException(what + " ranges overlap: " + a + " and " + b);
        }
      }
    }
  }

  private static boolean overlap(long a, long b, long countA, long countB) {
    return a < b + countB && b < a + countA;
  }

  /**
   * The explicit ranges this mapping stands for on this host, for this caller: what the runtime
   * writes to {@code uid_map} and {@code gid_map}.
   *
   * @throws UnsupportedFeatureException if the mapping is not possible here (see each kind)
   */
  public IdMapping resolved() {
    if (kind == Kind.EXPLICIT) {
      return this;
    }
    return Container.runtime().resolve(this);
  }

  /**
   * Whether every range of {@code other} is mapped the same way by this mapping: files owned for
   * {@code other} keep their owners in a container with this one. Both must be {@linkplain
   * #resolved() resolved}.
   */
  public boolean covers(IdMapping other) {
    return covers(uids, other.uids) && covers(gids, other.gids);
  }

  private static boolean covers(List<Range> mine, List<Range> theirs) {
    return theirs.stream().allMatch(t -> mine.stream().anyMatch(m ->
        t.containerId >= m.containerId && t.containerId + t.count <= m.containerId + m.count
            && t.hostId - t.containerId == m.hostId - m.containerId));
  }

  public Kind kind() {
    return kind;
  }

  /** The uid ranges of an explicit or host-root mapping; empty for kinds the runtime resolves. */
  public List<Range> uids() {
    return uids;
  }

  /** The gid ranges of an explicit or host-root mapping; empty for kinds the runtime resolves. */
  public List<Range> gids() {
    return gids;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof IdMapping && ((IdMapping) o).kind == kind
        && ((IdMapping) o).uids.equals(uids) && ((IdMapping) o).gids.equals(gids);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, uids, gids);
  }

  @Override
  public String toString() {
    return kind == Kind.EXPLICIT ? "IdMapping{uids=" + uids + ", gids=" + gids + "}"
        : "IdMapping{" + kind.name().toLowerCase(java.util.Locale.ROOT) + "}";
  }
}
