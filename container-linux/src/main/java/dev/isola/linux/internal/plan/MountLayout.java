package dev.isola.linux.internal.plan;

import dev.isola.ContainerSpec;
import dev.isola.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Where the launcher builds a root, shared by the checks and the root phase: the staging
 * directories, the host directories of the default root, and how the caller's mounts nest.
 */
public final class MountLayout {
  private MountLayout() {}

  // <sys/mount.h>
  static final long MS_RDONLY = 1;
  static final long MS_NOSUID = 2;
  static final long MS_NODEV = 4;
  static final long MS_NOEXEC = 8;
  static final long MS_BIND = 4096;
  static final long MS_REC = 16384;
  static final long MS_PRIVATE = 1 << 18;

  /** Host directories that make up the default root, when they exist; container-oci's too. */
  public static final List<String> HOST_DIRS = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
  /**
   * The part of the host's {@code /etc} in the default root, bound read-only where the host has
   * it: what the loader, libc, TLS clients, the JDK, CPython, Perl and shells read, and no secret
   * ({@code shadow}, {@code ssl/private}, ssh keys, {@code sudoers}, {@code machine-id} are not
   * here). {@code passwd} and {@code group} are Isola's own ({@code EtcFiles}). A trailing
   * {@code *} matches any rest of the name. Listed in docs/security.md.
   */
  public static final List<String> HOST_ETC = List.of("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
      "/etc/ld.so.conf.d", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/protocols", "/etc/services",
      "/etc/rpc", "/etc/localtime", "/etc/timezone", "/etc/locale.alias", "/etc/os-release", "/etc/debian_version",
      "/etc/mime.types", "/etc/magic", "/etc/magic.mime", "/etc/mtab", "/etc/ssl/certs", "/etc/ssl/openssl.cnf",
      "/etc/ca-certificates", "/etc/ca-certificates.conf", "/etc/pki/ca-trust", "/etc/pki/tls/certs",
      "/etc/pki/tls/openssl.cnf", "/etc/pki/java", "/etc/crypto-policies", "/etc/java-*", "/etc/python3*", "/etc/perl",
      "/etc/fonts", "/etc/profile", "/etc/profile.d", "/etc/bash.bashrc", "/etc/inputrc", "/etc/terminfo");

  /** {@link #hostEtc} per host root, with the modification time of its /etc when it was looked at. */
  private static final Map<Path, Map.Entry<FileTime, List<String>>> HOST_ETC_FOUND = new ConcurrentHashMap<>();

  /**
   * The entries of {@link #HOST_ETC} the host under {@code hostRoot} has, patterns expanded,
   * parents before children. Looked for again only when {@code /etc} changed (a package that
   * adds or removes an entry there changes it), not at every start.
   */
  public static List<String> hostEtc(Path hostRoot) {
    FileTime changed;
    try {
      changed = Files.getLastModifiedTime(hostRoot.resolve("etc"), LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return List.of(); // no /etc on this host: nothing of it to bind
    }
    Map.Entry<FileTime, List<String>> known = HOST_ETC_FOUND.get(hostRoot);
    if (known != null && known.getKey().equals(changed)) {
      return known.getValue();
    }
    List<String> found = lookFor(hostRoot);
    HOST_ETC_FOUND.put(hostRoot, Map.entry(changed, found));
    return found;
  }

  private static List<String> lookFor(Path hostRoot) {
    List<String> found = new ArrayList<>();
    for (String entry : HOST_ETC) {
      if (!entry.endsWith("*")) {
        if (Files.exists(hostRoot.resolve(entry.substring(1)), LinkOption.NOFOLLOW_LINKS)) {
          found.add(entry);
        }
        continue;
      }
      Path dir = hostRoot.resolve(entry.substring(1)).getParent();
      String prefix = entry.substring(entry.lastIndexOf('/') + 1, entry.length() - 1);
      try (Stream<Path> names = Files.list(dir)) {
        names.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted()
            .forEach(n -> found.add(entry.substring(0, entry.lastIndexOf('/') + 1) + n));
      } catch (IOException e) {
        // no such directory on this host: nothing of it is bound
      }
    }
    return List.copyOf(found);
  }

  /** The staging tmpfs, and where the host's root and the container's lie in it. */
  static final String STAGING = "/tmp";
  static final String OLD = "/oldroot";
  static final String NEW = "/newroot";

  /** Stand-ins for the tmpfs that Isola mounts on /dev and /tmp, when mounts nest in them. */
  static final Mount DEV_TMPFS = Mount.tmpfs("/dev", 64 << 10);
  static final Mount TMP_TMPFS = Mount.tmpfs("/tmp", 256 << 20);

  /**
   * The innermost of the mounts before {@code index} whose target holds that mount's target,
   * counting the tmpfs that Isola itself puts on {@code /dev} and (unless the caller mounts one)
   * on {@code /tmp}.
   */
  static Mount outer(List<Mount> mounts, int index) {
    String target = mounts.get(index).target();
    Mount outer = null;
    for (int j = 0; j < index; j++) {
      String t = mounts.get(j).target();
      if (target.startsWith(t + "/") && (outer == null || t.length() > outer.target().length())) {
        outer = mounts.get(j);
      }
    }
    if (outer == null && target.startsWith("/dev/")) {
      return DEV_TMPFS;
    }
    if (outer == null && target.startsWith("/tmp/") && mounts.stream().noneMatch(m -> m.target().equals("/tmp"))) {
      return TMP_TMPFS;
    }
    return outer;
  }

  /** Whether a path of the default root lies in (or is) a bind of the host's. */
  static boolean boundFromHost(String path) {
    for (String bound : HOST_DIRS) {
      if (path.equals(bound) || path.startsWith(bound + "/")) {
        return true;
      }
    }
    for (String bound : HOST_ETC) {
      // a path that starts with a pattern's prefix lies in (or is) an entry it matches
      if (bound.endsWith("*") ? path.startsWith(bound.substring(0, bound.length() - 1))
          : path.equals(bound) || path.startsWith(bound + "/")) {
        return true;
      }
    }
    return false;
  }

  /** Where Isola mounts in the root: /proc, /dev, /tmp unless the caller mounts one, the outermost mounts. */
  static Set<String> neededTargets(ContainerSpec spec) {
    Set<String> needed = new LinkedHashSet<>(List.of("/proc", "/dev"));
    if (spec.mounts().stream().noneMatch(m -> m.target().equals("/tmp"))) {
      needed.add("/tmp");
    }
    for (int i = 0; i < spec.mounts().size(); i++) {
      if (outer(spec.mounts(), i) == null) {
        needed.add(spec.mounts().get(i).target());
      }
    }
    return needed;
  }
}
