package dev.isola.linux.internal.plan;

import dev.isola.HostReport;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the runtime needs to know about the host and the calling user. */
public final class Host {
  /** A range of subordinate ids from {@code /etc/subuid} or {@code /etc/subgid}. */
  static final class SubordinateRange {
    final long start;
    final long count;

    SubordinateRange(long start, long count) {
      this.start = start;
      this.count = count;
    }
  }

  public final int euid;
  public final int egid;
  final String userName;
  final Path etc;
  final Path newuidmap;
  final Path newgidmap;
  private final Map<String, Optional<SubordinateRange>> subordinates = new HashMap<>();

  Host(int euid, int egid, String userName, Path etc, Path newuidmap, Path newgidmap) {
    this.euid = euid;
    this.egid = egid;
    this.userName = userName;
    this.etc = etc;
    this.newuidmap = newuidmap;
    this.newgidmap = newgidmap;
  }

  public static Host current() {
    return new Host(LibC.geteuid(), LibC.getegid(), System.getProperty("user.name", ""),
        Path.of("/etc"), Path.of("/usr/bin/newuidmap"), Path.of("/usr/bin/newgidmap"));
  }

  public boolean isRoot() {
    return euid == 0;
  }

  /** For {@code Container.doctor()}: whether IdMapping.subordinate() can map ids for this user. */
  public HostReport.Check subordinateIds() {
    String name = "subordinate id mapping";
    if (isRoot()) {
      return new HostReport.Check(name, HostReport.Status.AVAILABLE, "root maps any ids itself");
    }
    if (!Files.isExecutable(newuidmap) || !Files.isExecutable(newgidmap)) {
      return new HostReport.Check(name, HostReport.Status.UNAVAILABLE, "no " + newuidmap + "/" + newgidmap
          + ": IdMapping.subordinate() is refused; install them (Debian, Ubuntu: uidmap; Fedora: shadow-utils)");
    }
    for (String file : List.of("subuid", "subgid")) {
      if (subordinate(file).isEmpty()) {
        return new HostReport.Check(name, HostReport.Status.UNAVAILABLE, etc.resolve(file) + " has no entry"
            + " for " + userName + " (uid " + euid + "): IdMapping.subordinate() is refused; add one, e.g. usermod --add-subuids"
            + " 100000-165535 --add-subgids 100000-165535 " + userName);
      }
    }
    return new HostReport.Check(name, HostReport.Status.AVAILABLE, "ranges in " + etc.resolve("subuid")
        + " and " + etc.resolve("subgid") + ", mapped by " + newuidmap);
  }

  /**
   * The first range for this user in {@code /etc/subuid} ({@code file = "subuid"}) or subgid, read
   * once per Host: a start checks and compiles its spec with one Host, and so reads each file once.
   */
  Optional<SubordinateRange> subordinate(String file) {
    return subordinates.computeIfAbsent(file, this::readSubordinate);
  }

  private Optional<SubordinateRange> readSubordinate(String file) {
    // subgid(5) too names its owners by login name or uid (never gid), as newgidmap checks them
    long id = euid;
    try {
      for (String line : Files.readString(etc.resolve(file)).split("\n")) {
        String[] f = line.trim().split(":");
        if (f.length == 3 && (f[0].equals(userName) || f[0].equals(Long.toString(id)))) {
          try {
            return Optional.of(new SubordinateRange(Long.parseLong(f[1]), Long.parseLong(f[2])));
          } catch (NumberFormatException e) {
            // a malformed line is no entry; newuidmap ignores it as well
          }
        }
      }
      return Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + etc.resolve(file), e);
    }
  }
}
