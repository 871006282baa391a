package dev.isola.linux.internal.plan;

import dev.isola.ContainerSpec;
import dev.isola.IdMapping;
import dev.isola.Namespace;
import dev.isola.UnsupportedFeatureException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An {@link IdMapping} resolved for this host: the lines of {@code uid_map} and {@code gid_map},
 * and whether they are written directly or through {@code newuidmap}/{@code newgidmap}.
 *
 * <p>{@code viaHelpers}: written by {@code newuidmap}/{@code newgidmap} (setuid helpers), not
 * directly; {@code denySetgroups}: {@code setgroups} must be denied first (an unprivileged writer
 * of {@code gid_map}).
 */
public record IdMaps(List<IdMapping.Range> uids, List<IdMapping.Range> gids, boolean viaHelpers, boolean denySetgroups) {
  public IdMaps {
    uids = List.copyOf(uids);
    gids = List.copyOf(gids);
  }

  /** The container's id maps; empty when it keeps the host's user namespace. */
  public static Optional<IdMaps> of(ContainerSpec spec, Host host) {
    return spec.namespaces().contains(Namespace.USER) ? Optional.of(resolve(spec.idMapping(), host)) : Optional.empty();
  }

  /** The host uid and gid of the root of {@code spec}'s container. */
  public static long[] rootIds(ContainerSpec spec, Host host) {
    return rootIds(of(spec, host), host);
  }

  /** The host uid and gid of the container's root: who owns what Isola makes for its root. */
  public static long[] rootIds(Optional<IdMaps> maps, Host host) {
    return maps.map(m -> new long[] {hostId(m.uids), hostId(m.gids)}).orElseGet(() -> new long[] {host.euid, host.egid});
  }

  private static long hostId(List<IdMapping.Range> ranges) {
    return ranges.stream().filter(r -> r.containerId() == 0).findFirst().orElseThrow().hostId();
  }

  public static IdMaps resolve(IdMapping mapping, Host host) {
    switch (mapping.kind()) {
      case AUTOMATIC:
        return host.isRoot() ? rootDefault(host) : caller(host);
      case CALLER:
        if (host.isRoot()) {
          throw new UnsupportedFeatureException("IdMapping.caller() as root",
              "it would make the container's root the host's root; ask for IdMapping.hostRoot() by name, or use IdMapping.automatic()");
        }
        return caller(host);
      case SUBORDINATE:
        return subordinate(host);
      case HOST_ROOT:
        if (!host.isRoot()) {
          throw new UnsupportedFeatureException("IdMapping.hostRoot()", "only root can map the host's root into a container");
        }
        return new IdMaps(mapping.uids(), mapping.gids(), false, false);
      case EXPLICIT:
        return explicit(mapping, host);
      default:
        throw new AssertionError(mapping.kind());
    }
  }

  private static IdMaps caller(Host host) {
    return new IdMaps(List.of(IdMapping.Range.of(0, host.euid, 1)), List.of(IdMapping.Range.of(0, host.egid, 1)), false, true);
  }

  private static IdMaps rootDefault(Host host) {
    return new IdMaps(List.of(rootRange(host, "subuid")), List.of(rootRange(host, "subgid")), false, false);
  }

  /** Root's subordinate range (at most 65536 ids), else the documented default; never one with the host's root in it. */
  private static IdMapping.Range rootRange(Host host, String file) {
    Optional<Host.SubordinateRange> entry = host.subordinate(file);
    if (entry.isPresent() && entry.get().start == 0) {
      throw new UnsupportedFeatureException("IdMapping.automatic() as root", host.etc.resolve(file) + " gives " + host.userName
          + " the range starting at id 0, which would make the container's root the host's root; correct the entry, or ask"
          + " for IdMapping.hostRoot() by name");
    }
    return entry.map(r -> IdMapping.Range.of(0, r.start, Math.min(r.count, 65536)))
        .orElse(IdMapping.Range.of(0, IdMapping.DEFAULT_HOST_BASE, 65536));
  }

  private static IdMaps subordinate(Host host) {
    if (host.isRoot()) {
      throw new UnsupportedFeatureException("IdMapping.subordinate() as root",
          "it would make the container's root the host's root; use IdMapping.automatic(), which maps root's subordinate range");
    }
    Host.SubordinateRange uid = host.subordinate("subuid").orElseThrow(() -> noEntry(host, "subuid"));
    Host.SubordinateRange gid = host.subordinate("subgid").orElseThrow(() -> noEntry(host, "subgid"));
    requireHelpers(host, "IdMapping.subordinate()");
    return new IdMaps(
        List.of(IdMapping.Range.of(0, host.euid, 1), IdMapping.Range.of(1, uid.start, Math.min(uid.count, 65535))),
        List.of(IdMapping.Range.of(0, host.egid, 1), IdMapping.Range.of(1, gid.start, Math.min(gid.count, 65535))),
        true, false);
  }

  private static IdMaps explicit(IdMapping mapping, Host host) {
    if (host.isRoot()) {
      return new IdMaps(mapping.uids(), mapping.gids(), false, false);
    }
    boolean onlyCaller = mapping.uids().size() == 1 && mapping.gids().size() == 1
        && mapping.uids().get(0).hostId() == host.euid && mapping.uids().get(0).count() == 1
        && mapping.gids().get(0).hostId() == host.egid && mapping.gids().get(0).count() == 1;
    if (onlyCaller) {
      return new IdMaps(mapping.uids(), mapping.gids(), false, true);
    }
    requireHelpers(host, "an id mapping beyond the caller's own ids");
    return new IdMaps(mapping.uids(), mapping.gids(), true, false);
  }

  private static UnsupportedFeatureException noEntry(Host host, String file) {
    return new UnsupportedFeatureException("IdMapping.subordinate()",
        host.etc.resolve(file) + " has no entry for user " + host.userName + " (uid " + host.euid
            + "); add one, for example with usermod --add-subuids/--add-subgids");
  }

  private static void requireHelpers(Host host, String feature) {
    if (!Files.isExecutable(host.newuidmap) || !Files.isExecutable(host.newgidmap)) {
      throw new UnsupportedFeatureException(feature, host.newuidmap + " and " + host.newgidmap
          + " are needed to map subordinate ids as an ordinary user; install them (Debian: apt-get install uidmap)");
    }
  }

  /** The contents of a map file, one range per line. */
  static String mapFile(List<IdMapping.Range> ranges) {
    StringBuilder sb = new StringBuilder();
    for (IdMapping.Range r : ranges) {
      sb.append(r.containerId()).append(' ').append(r.hostId()).append(' ').append(r.count()).append('\n');
    }
    return sb.toString();
  }

  /** The arguments of {@code newuidmap}/{@code newgidmap} after the pid. */
  static List<String> helperArgs(List<IdMapping.Range> ranges) {
    List<String> args = new ArrayList<>();
    for (IdMapping.Range r : ranges) {
      args.add(Long.toString(r.containerId()));
      args.add(Long.toString(r.hostId()));
      args.add(Long.toString(r.count()));
    }
    return args;
  }
}
