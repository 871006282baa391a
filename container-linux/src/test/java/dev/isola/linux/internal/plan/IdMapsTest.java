package dev.isola.linux.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.IdMapping.Range;
import dev.isola.IdMapping;
import dev.isola.UnsupportedFeatureException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdMapsTest {
  @TempDir Path dir;
  private Path etc;
  private Path newuidmap;
  private Path newgidmap;

  @BeforeEach
  void fakeHost() throws IOException {
    etc = Files.createDirectories(dir.resolve("etc"));
    newuidmap = executable(dir.resolve("newuidmap"));
    newgidmap = executable(dir.resolve("newgidmap"));
  }

  private static Path executable(Path p) throws IOException {
    Files.writeString(p, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private Host host(int euid, int egid, String name) {
    return new Host(euid, egid, name, etc, newuidmap, newgidmap);
  }

  private void subids(String subuid, String subgid) throws IOException {
    Files.writeString(etc.resolve("subuid"), subuid);
    Files.writeString(etc.resolve("subgid"), subgid);
  }

  // ---- formatting ----

  @Test
  void mapFileIsOneLinePerRangeEachEndingInANewline() {
    assertThat(IdMaps.mapFile(List.of(Range.of(0, 1000, 1)))).isEqualTo("0 1000 1\n");
    assertThat(IdMaps.mapFile(List.of(Range.of(0, 1000, 1), Range.of(1, 100000, 65535))))
        .isEqualTo("0 1000 1\n1 100000 65535\n");
  }

  @Test
  void mapFileWritesLargeIdsInDecimal() {
    assertThat(IdMaps.mapFile(List.of(Range.of(0, IdMapping.DEFAULT_HOST_BASE, 65536))))
        .isEqualTo("0 1610612736 65536\n");
    assertThat(IdMaps.mapFile(List.of(Range.of(4294967294L, 4294967294L, 1))))
        .isEqualTo("4294967294 4294967294 1\n");
  }

  @Test
  void mapFileOfNoRangesIsEmpty() {
    assertThat(IdMaps.mapFile(List.of())).isEmpty();
  }

  @Test
  void helperArgsAreTheTriplesFlattened() {
    assertThat(IdMaps.helperArgs(List.of(Range.of(0, 1000, 1), Range.of(1, 100000, 65535))))
        .containsExactly("0", "1000", "1", "1", "100000", "65535");
    assertThat(IdMaps.helperArgs(List.of(Range.of(5, 4294967290L, 5))))
        .containsExactly("5", "4294967290", "5");
    assertThat(IdMaps.helperArgs(List.of())).isEmpty();
  }

  // ---- resolving a mapping on a host ----

  @Test
  void automaticForAnOrdinaryUserIsTheCallerWithSetgroupsDenied() {
    IdMaps m = IdMaps.resolve(IdMapping.automatic(), host(1000, 1001, "alice"));
    assertThat(m.uids()).containsExactly(Range.of(0, 1000, 1));
    assertThat(m.gids()).containsExactly(Range.of(0, 1001, 1));
    assertThat(m.viaHelpers()).isFalse();
    assertThat(m.denySetgroups()).isTrue();
  }

  @Test
  void callerForAnOrdinaryUserIsTheSameAsAutomatic() {
    IdMaps m = IdMaps.resolve(IdMapping.caller(), host(1000, 1001, "alice"));
    assertThat(m.uids()).containsExactly(Range.of(0, 1000, 1));
    assertThat(m.gids()).containsExactly(Range.of(0, 1001, 1));
    assertThat(m.denySetgroups()).isTrue();
  }

  @Test
  void automaticForRootWithoutSubordinateFilesIsTheDefaultBase() {
    IdMaps m = IdMaps.resolve(IdMapping.automatic(), host(0, 0, "root"));
    assertThat(m.uids()).containsExactly(Range.of(0, 0x6000_0000L, 65536));
    assertThat(m.gids()).containsExactly(Range.of(0, 0x6000_0000L, 65536));
    assertThat(m.viaHelpers()).isFalse();
    assertThat(m.denySetgroups()).isFalse();
  }

  @Test
  void automaticForRootUsesRootsEntriesCappedAt65536() throws IOException {
    subids("alice:100000:65536\nroot:200000:1000000\n", "root:300000:1000\n");
    IdMaps m = IdMaps.resolve(IdMapping.automatic(), host(0, 0, "root"));
    assertThat(m.uids()).containsExactly(Range.of(0, 200000, 65536));
    assertThat(m.gids()).containsExactly(Range.of(0, 300000, 1000));
  }

  @Test
  void automaticForRootRefusesAnEntryThatWouldMapTheHostsRoot() throws IOException {
    subids("root:0:65536\n", "root:300000:65536\n");
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.automatic(), host(0, 0, "root")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining(etc.resolve("subuid") + " gives root the range starting at id 0")
        .hasMessageContaining("IdMapping.hostRoot()");
    subids("root:200000:65536\n", "root:0:65536\n");
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.automatic(), host(0, 0, "root")))
        .hasMessageContaining(etc.resolve("subgid").toString());
  }

  @Test
  void subordinateMapsTheCallerThenItsRangeThroughTheHelpers() throws IOException {
    subids("bob:500000:65536\nalice:100000:65536\n", "alice:200000:1000\n");
    IdMaps m = IdMaps.resolve(IdMapping.subordinate(), host(1000, 1000, "alice"));
    assertThat(m.uids()).containsExactly(Range.of(0, 1000, 1), Range.of(1, 100000, 65535));
    assertThat(m.gids()).containsExactly(Range.of(0, 1000, 1), Range.of(1, 200000, 1000));
    assertThat(m.viaHelpers()).isTrue();
    assertThat(m.denySetgroups()).isFalse();
  }

  @Test
  void subordinateWithoutAnEntryNamesTheFileAndTheUser() throws IOException {
    subids("bob:500000:65536\n", "bob:500000:65536\n");
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.subordinate(), host(1000, 1000, "alice")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining(etc.resolve("subuid").toString())
        .hasMessageContaining("alice")
        .hasMessageContaining("uid 1000");
  }

  @Test
  void subordinateWithoutASubgidEntryNamesSubgid() throws IOException {
    subids("alice:100000:65536\n", "bob:500000:65536\n");
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.subordinate(), host(1000, 1000, "alice")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining(etc.resolve("subgid").toString());
  }

  @Test
  void subordinateWithoutTheHelpersSaysWhatToInstall() throws IOException {
    subids("alice:100000:65536\n", "alice:100000:65536\n");
    Host h = new Host(1000, 1000, "alice", etc, dir.resolve("missing-newuidmap"), newgidmap);
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.subordinate(), h))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("missing-newuidmap")
        .hasMessageContaining("uidmap");
  }

  @Test
  void subordinateAsRootIsRefused() {
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.subordinate(), host(0, 0, "root")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("IdMapping.subordinate() as root");
  }

  @Test
  void callerAsRootIsRefused() {
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.caller(), host(0, 0, "root")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("IdMapping.caller() as root")
        .hasMessageContaining("host's root");
  }

  @Test
  void hostRootNeedsRoot() {
    assertThatThrownBy(() -> IdMaps.resolve(IdMapping.hostRoot(), host(1000, 1000, "alice")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("IdMapping.hostRoot()")
        .hasMessageContaining("only root");
    IdMaps m = IdMaps.resolve(IdMapping.hostRoot(), host(0, 0, "root"));
    assertThat(m.uids()).containsExactly(Range.of(0, 0, 65536));
    assertThat(m.gids()).containsExactly(Range.of(0, 0, 65536));
    assertThat(m.viaHelpers()).isFalse();
    assertThat(m.denySetgroups()).isFalse();
  }

  @Test
  void anExplicitMappingOfTheCallersOwnIdsIsWrittenDirectly() {
    IdMapping mapping = IdMapping.of(List.of(Range.of(0, 1000, 1)), List.of(Range.of(0, 1001, 1)));
    IdMaps m = IdMaps.resolve(mapping, host(1000, 1001, "alice"));
    assertThat(m.uids()).isEqualTo(mapping.uids());
    assertThat(m.gids()).isEqualTo(mapping.gids());
    assertThat(m.viaHelpers()).isFalse();
    assertThat(m.denySetgroups()).isTrue();
  }

  @Test
  void anExplicitMappingBeyondTheCallerGoesThroughTheHelpers() {
    IdMapping mapping = IdMapping.of(List.of(Range.of(0, 1000, 1), Range.of(1, 100000, 10)),
        List.of(Range.of(0, 1001, 1)));
    IdMaps m = IdMaps.resolve(mapping, host(1000, 1001, "alice"));
    assertThat(m.viaHelpers()).isTrue();
    assertThat(m.denySetgroups()).isFalse();
    assertThat(m.uids()).isEqualTo(mapping.uids());

    Host noHelpers = new Host(1000, 1001, "alice", etc, newuidmap, dir.resolve("missing-newgidmap"));
    assertThatThrownBy(() -> IdMaps.resolve(mapping, noHelpers))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("beyond the caller's own ids")
        .hasMessageContaining("missing-newgidmap");
  }

  @Test
  void anExplicitMappingAsRootIsWrittenDirectly() {
    IdMapping mapping = IdMapping.of(List.of(Range.of(0, 100000, 65536)), List.of(Range.of(0, 100000, 65536)));
    IdMaps m = IdMaps.resolve(mapping, host(0, 0, "root"));
    assertThat(m.uids()).isEqualTo(mapping.uids());
    assertThat(m.viaHelpers()).isFalse();
    assertThat(m.denySetgroups()).isFalse();
  }

  // ---- reading /etc/subuid and /etc/subgid ----

  @Test
  void subordinateEntriesMatchByNameOrUidAndTheFirstWins() throws IOException {
    subids("# comment\nbob:1:2\n1000:100000:65536\nalice:300000:65536\n", "");
    Host.SubordinateRange r = host(1000, 1000, "alice").subordinate("subuid").orElseThrow();
    assertThat(r.start).isEqualTo(100000);
    assertThat(r.count).isEqualTo(65536);
  }

  @Test
  void aNumericSubgidOwnerIsAUidNotAGid() throws IOException {
    // subgid(5): "login name or UID"; newgidmap looks the caller up by uid in both files
    subids("", "100:900000:65536\n1001:200000:65536\n");
    Host.SubordinateRange r = host(1001, 100, "carol").subordinate("subgid").orElseThrow();
    assertThat(r.start).as("the entry of uid 1001, not of some user with uid 100").isEqualTo(200000);
    assertThat(host(1002, 100, "dave").subordinate("subgid")).isEmpty();
  }

  @Test
  void malformedSubordinateLinesAreNoEntry() throws IOException {
    subids("alice:lots:65536\nalice:1:2:3\nalice\n  alice:400000:100  \n", "");
    Host.SubordinateRange r = host(1000, 1000, "alice").subordinate("subuid").orElseThrow();
    assertThat(r.start).isEqualTo(400000);
    assertThat(r.count).isEqualTo(100);
  }

  @Test
  void aMissingSubordinateFileIsNoEntry() {
    assertThat(host(1000, 1000, "alice").subordinate("subuid")).isEmpty();
    assertThat(host(1000, 1000, "alice").subordinate("subgid")).isEmpty();
  }
}
