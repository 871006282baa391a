package dev.isola.images;

import dev.isola.ContainerException;
import dev.isola.IdMapping;
import java.util.List;

/**
 * Who owns unpacked files. As root, each entry is chowned to the host id its container id maps to,
 * so that the container sees the image's owners. An ordinary user cannot chown: every file stays
 * the caller's, which a rootless container sees as its root.
 */
final class Ownership {
  private final IdMapping mapping;
  private final boolean privileged;

  Ownership(IdMapping resolvedMapping, boolean privileged) {
    this.mapping = resolvedMapping;
    this.privileged = privileged;
  }

  static Ownership forCaller(IdMapping resolvedMapping) {
    return new Ownership(resolvedMapping, LibC.INSTANCE.geteuid() == 0);
  }

  /** Whether entries are chowned, and device nodes may be created (both need root). */
  boolean privileged() {
    return privileged;
  }

  long hostUid(long containerUid, String entry) {
    return hostId("uid", mapping.uids(), containerUid, entry);
  }

  long hostGid(long containerGid, String entry) {
    return hostId("gid", mapping.gids(), containerGid, entry);
  }

  private static long hostId(String what, List<IdMapping.Range> ranges, long id, String entry) {
    for (IdMapping.Range r : ranges) {
      if (id >= r.containerId() && id - r.containerId() < r.count()) {
        return r.hostId() + id - r.containerId();
      }
    }
    throw new ContainerException(entry + " is owned by " + what + " " + id
        + ", which the store's id mapping does not map: " + ranges);
  }
}
