package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.IdMapping.Range;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdMappingTest {
  private static final long MAX_ID = 0xFFFF_FFFEL; // 4294967294; 4294967295 is (uid_t) -1

  @Nested
  class Ranges {
    @Test
    void keepsItsValues() {
      Range r = Range.of(0, 100000, 65536);

      assertThat(r.containerId()).isZero();
      assertThat(r.hostId()).isEqualTo(100000);
      assertThat(r.count()).isEqualTo(65536);
      assertThat(r).hasToString("0->100000x65536");
    }

    @Test
    void acceptsTheEdgesOfTheIdSpace() {
      assertThat(Range.of(MAX_ID, MAX_ID, 1).containerId()).isEqualTo(MAX_ID);
      assertThat(Range.of(0, 0, MAX_ID + 1).count()).isEqualTo(MAX_ID + 1);
    }

    @ParameterizedTest(name = "container {0}, host {1}, count {2}")
    @CsvSource({
        "-1, 0, 1",
        "0, -1, 1",
        "0, 0, 0",
        "0, 0, -1",
        "4294967295, 0, 1",
        "0, 4294967295, 1",
        "1, 0, 4294967295",
        "0, 1, 4294967295",
        "0, 0, 4294967296",
        "4294967290, 0, 10",
        // Overflow of containerId + count (or hostId + count) must not sneak past the check.
        "9223372036854775807, 0, 1",
        "0, 9223372036854775807, 1",
        "1, 1, 9223372036854775807",
        "-9223372036854775808, 0, 1",
    })
    void rejectsInvalidRangesNamingEveryValue(long containerId, long hostId, long count) {
      assertThatThrownBy(() -> Range.of(containerId, hostId, count))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid id range")
          .hasMessageContaining("container " + containerId)
          .hasMessageContaining("host " + hostId)
          .hasMessageContaining("count " + count);
    }

    @Test
    void equalsAndHashCode() {
      assertThat(Range.of(1, 2, 3)).isEqualTo(Range.of(1, 2, 3)).hasSameHashCodeAs(Range.of(1, 2, 3));
      assertThat(Range.of(1, 2, 3)).isNotEqualTo(Range.of(0, 2, 3))
          .isNotEqualTo(Range.of(1, 0, 3)).isNotEqualTo(Range.of(1, 2, 4))
          .isNotEqualTo(null).isNotEqualTo("1->2x3");
    }
  }

  @Test
  void namedKindsHaveNoRangesExceptHostRoot() {
    assertThat(IdMapping.automatic().kind()).isEqualTo(IdMapping.Kind.AUTOMATIC);
    assertThat(IdMapping.caller().kind()).isEqualTo(IdMapping.Kind.CALLER);
    assertThat(IdMapping.subordinate().kind()).isEqualTo(IdMapping.Kind.SUBORDINATE);
    for (IdMapping m : List.of(IdMapping.automatic(), IdMapping.caller(), IdMapping.subordinate())) {
      assertThat(m.uids()).isEmpty();
      assertThat(m.gids()).isEmpty();
    }
  }

  @Test
  void hostRootMapsTheFirst65536IdsOntoThemselves() {
    IdMapping m = IdMapping.hostRoot();

    assertThat(m.kind()).isEqualTo(IdMapping.Kind.HOST_ROOT);
    assertThat(m.uids()).containsExactly(Range.of(0, 0, 65536));
    assertThat(m.gids()).containsExactly(Range.of(0, 0, 65536));
  }

  @Test
  void explicitKeepsRangesInOrder() {
    List<Range> uids = List.of(Range.of(0, 1000, 1), Range.of(1, 100000, 65535));
    List<Range> gids = List.of(Range.of(0, 1000, 1));
    IdMapping m = IdMapping.of(uids, gids);

    assertThat(m.kind()).isEqualTo(IdMapping.Kind.EXPLICIT);
    assertThat(m.uids()).containsExactlyElementsOf(uids);
    assertThat(m.gids()).containsExactlyElementsOf(gids);
    assertThat(m.toString()).contains("0->1000x1", "1->100000x65535");
  }

  @Test
  void explicitCopiesTheListsAndReturnsUnmodifiableOnes() {
    List<Range> uids = new ArrayList<>(List.of(Range.of(0, 1000, 1)));
    IdMapping m = IdMapping.of(uids, List.of(Range.of(0, 1000, 1)));
    uids.add(Range.of(1, 2000, 1));

    assertThat(m.uids()).containsExactly(Range.of(0, 1000, 1));
    assertThatThrownBy(() -> m.uids().add(Range.of(5, 5, 1)))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> m.gids().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> IdMapping.hostRoot().uids().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void explicitAcceptsAdjacentRangesAnd340OfThem() {
    List<Range> many = new ArrayList<>();
    for (int i = 0; i < 340; i++) {
      many.add(Range.of(i, 1000 + i, 1));
    }

    assertThat(IdMapping.of(many, many).uids()).hasSize(340);
  }

  @Test
  void explicitRejectsEmptyRangesNamingUidOrGid() {
    List<Range> one = List.of(Range.of(0, 1000, 1));

    assertThatThrownBy(() -> IdMapping.of(List.of(), one))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uid mapping")
        .hasMessageContaining("1 to 340")
        .hasMessageEndingWith(": 0");
    assertThatThrownBy(() -> IdMapping.of(one, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gid mapping")
        .hasMessageEndingWith(": 0");
  }

  @Test
  void explicitRejectsMoreThan340Ranges() {
    List<Range> many = new ArrayList<>();
    for (int i = 0; i < 341; i++) {
      many.add(Range.of(i, 1000 + i, 1));
    }

    assertThatThrownBy(() -> IdMapping.of(many, List.of(Range.of(0, 0, 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uid mapping")
        .hasMessageContaining("341");
  }

  @Test
  void explicitRejectsOverlappingContainerIdsNamingBothRanges() {
    Range a = Range.of(0, 1000, 10);
    Range b = Range.of(9, 5000, 1);

    assertThatThrownBy(() -> IdMapping.of(List.of(a, b), List.of(a)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uid ranges overlap")
        .hasMessageContaining(a.toString())
        .hasMessageContaining(b.toString());
  }

  @Test
  void explicitRejectsOverlappingHostIdsNamingBothRanges() {
    Range a = Range.of(0, 1000, 10);
    Range b = Range.of(100, 995, 10);

    assertThatThrownBy(() -> IdMapping.of(List.of(a), List.of(a, b)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gid ranges overlap")
        .hasMessageContaining("0->1000x10")
        .hasMessageContaining("100->995x10");
  }

  @Test
  void explicitRejectsTheSameRangeTwiceAndContainedRanges() {
    Range outer = Range.of(0, 1000, 100);

    assertThatThrownBy(() -> IdMapping.of(List.of(outer, outer), List.of(outer)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overlap");
    assertThatThrownBy(() -> IdMapping.of(List.of(Range.of(50, 5000, 1), outer), List.of(outer)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overlap")
        .hasMessageContaining("50->5000x1");
    // Non-adjacent entries are compared too.
    assertThatThrownBy(() -> IdMapping.of(
            List.of(Range.of(0, 0, 1), Range.of(10, 10, 1), Range.of(0, 20, 1)), List.of(outer)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0->0x1")
        .hasMessageContaining("0->20x1");
  }

  @Nested
  class ContainerRoot {
    @Test
    void uidsWithoutContainerIdZeroAreRejectedNamingTheRanges() {
      List<Range> noRoot = List.of(Range.of(1, 100000, 65535));

      assertThatThrownBy(() -> IdMapping.of(noRoot, List.of(Range.of(0, 1000, 1))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uid mapping must map the container's id 0")
          .hasMessageEndingWith(": [1->100000x65535]");
    }

    @Test
    void gidsWithoutContainerIdZeroAreRejectedNamingTheRanges() {
      List<Range> noRoot = List.of(Range.of(1000, 1000, 1), Range.of(5, 100000, 10));

      assertThatThrownBy(() -> IdMapping.of(List.of(Range.of(0, 1000, 1)), noRoot))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("gid mapping must map the container's id 0")
          .hasMessageContaining("1000->1000x1")
          .hasMessageContaining("5->100000x10");
    }

    @Test
    void theHostIdOfContainerRootMayBeAnything() {
      // Host id 0 mapped to container id 1 does not make the container's root.
      assertThatThrownBy(() -> IdMapping.of(List.of(Range.of(1, 0, 1)), List.of(Range.of(0, 0, 1))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uid mapping must map the container's id 0");
      assertThat(IdMapping.of(List.of(Range.of(0, 0, 1)), List.of(Range.of(0, MAX_ID, 1))).gids())
          .containsExactly(Range.of(0, MAX_ID, 1));
    }

    @Test
    void zeroMayBeMappedByAnyRangeNotJustTheFirst() {
      List<Range> rootLast = List.of(Range.of(1, 100000, 65535), Range.of(0, 1000, 1));

      assertThat(IdMapping.of(rootLast, rootLast).uids()).containsExactlyElementsOf(rootLast);
    }

    @Test
    void aRangeStartingAtZeroMapsIt() {
      assertThat(IdMapping.of(List.of(Range.of(0, 100000, 65536)), List.of(Range.of(0, 100000, 65536))).uids())
          .hasSize(1);
    }

    @Test
    void theRangeCountIsCheckedBeforeTheRoot() {
      assertThatThrownBy(() -> IdMapping.of(List.of(), List.of(Range.of(1, 1, 1))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uid mapping needs 1 to 340 ranges");
    }
  }

  @Test
  void explicitRejectsNull() {
    List<Range> one = List.of(Range.of(0, 1000, 1));

    assertThatThrownBy(() -> IdMapping.of(null, one)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> IdMapping.of(one, null)).isInstanceOf(NullPointerException.class);
    List<Range> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> IdMapping.of(withNull, one)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void equalsAndHashCode() {
    List<Range> r = List.of(Range.of(0, 1000, 1));

    assertThat(IdMapping.of(r, r)).isEqualTo(IdMapping.of(List.of(Range.of(0, 1000, 1)), r))
        .hasSameHashCodeAs(IdMapping.of(r, r));
    assertThat(IdMapping.of(r, r)).isNotEqualTo(IdMapping.of(r, List.of(Range.of(0, 1001, 1))));
    // Same ranges, different kind.
    assertThat(IdMapping.of(List.of(Range.of(0, 0, 65536)), List.of(Range.of(0, 0, 65536))))
        .isNotEqualTo(IdMapping.hostRoot());
    assertThat(IdMapping.automatic()).isEqualTo(IdMapping.automatic())
        .isNotEqualTo(IdMapping.caller()).isNotEqualTo(null);
  }

  @Test
  void toStringNamesTheKind() {
    assertThat(IdMapping.automatic()).hasToString("IdMapping{automatic}");
    assertThat(IdMapping.caller()).hasToString("IdMapping{caller}");
    assertThat(IdMapping.subordinate()).hasToString("IdMapping{subordinate}");
    assertThat(IdMapping.hostRoot()).hasToString("IdMapping{host_root}");
  }

  @Test
  void coversWhatItMapsTheSameWay() {
    IdMapping wide = IdMapping.of(List.of(IdMapping.Range.of(0, 1000, 1), IdMapping.Range.of(1, 100000, 65535)),
        List.of(IdMapping.Range.of(0, 1000, 1), IdMapping.Range.of(1, 100000, 65535)));
    IdMapping caller = IdMapping.of(List.of(IdMapping.Range.of(0, 1000, 1)), List.of(IdMapping.Range.of(0, 1000, 1)));
    IdMapping elsewhere = IdMapping.of(List.of(IdMapping.Range.of(0, 2000, 1)), List.of(IdMapping.Range.of(0, 1000, 1)));
    IdMapping inner = IdMapping.of(List.of(IdMapping.Range.of(5, 100004, 10), IdMapping.Range.of(0, 1000, 1)),
        List.of(IdMapping.Range.of(0, 1000, 1)));
    assertThat(wide.covers(caller)).isTrue();
    assertThat(wide.covers(inner)).isTrue();
    assertThat(caller.covers(wide)).isFalse();
    assertThat(wide.covers(elsewhere)).isFalse();
    assertThat(IdMapping.hostRoot().covers(IdMapping.hostRoot())).isTrue();
  }

  @Test
  void anExplicitMappingIsAlreadyResolved() {
    IdMapping m = IdMapping.of(List.of(IdMapping.Range.of(0, 1000, 1)), List.of(IdMapping.Range.of(0, 1000, 1)));
    assertThat(m.resolved()).isSameAs(m);
  }
}
