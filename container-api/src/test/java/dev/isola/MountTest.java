package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Mount.Flag;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountTest {

  @Nested
  class Bind {
    @Test
    void defaultsToReadOnlyNoSuidNoDev() {
      Mount m = Mount.bind(Path.of("/srv/data"), "/data");

      assertThat(m.type()).isEqualTo(Mount.Type.BIND);
      assertThat(m.source()).contains(Path.of("/srv/data"));
      assertThat(m.target()).isEqualTo("/data");
      assertThat(m.flags()).containsExactlyInAnyOrder(Flag.READ_ONLY, Flag.NO_SUID, Flag.NO_DEV);
      assertThat(m.isReadOnly()).isTrue();
      assertThat(m.sizeBytes()).isEmpty();
    }

    @Test
    void bindWritableDropsOnlyReadOnly() {
      Mount m = Mount.bindWritable(Path.of("/srv/data"), "/data");

      assertThat(m.type()).isEqualTo(Mount.Type.BIND);
      assertThat(m.flags()).containsExactlyInAnyOrder(Flag.NO_SUID, Flag.NO_DEV);
      assertThat(m.isReadOnly()).isFalse();
      assertThat(m).isEqualTo(Mount.bind(Path.of("/srv/data"), "/data").writable());
    }

    @Test
    void normalizesSourceAndTarget() {
      Mount m = Mount.bind(Path.of("/srv/./x/../data"), "/a/./b//c/");

      assertThat(m.source()).contains(Path.of("/srv/data"));
      assertThat(m.target()).isEqualTo("/a/b/c");
    }

    @Test
    void rejectsRelativeSourceNamingIt() {
      assertThatThrownBy(() -> Mount.bind(Path.of("relative/dir"), "/data"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bind source")
          .hasMessageContaining("absolute")
          .hasMessageContaining("relative/dir");
      assertThatThrownBy(() -> Mount.bindWritable(Path.of("relative/dir"), "/data"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("relative/dir");
    }

    @Test
    void rejectsNullSource() {
      assertThatThrownBy(() -> Mount.bind(null, "/data"))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("source");
    }

    @Test
    void rejectsNullTarget() {
      assertThatThrownBy(() -> Mount.bind(Path.of("/srv"), null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("mount target");
    }
  }

  @Nested
  class Tmpfs {
    @Test
    void defaultsToWritableNoSuidNoDev() {
      Mount m = Mount.tmpfs("/tmp", 1 << 20);

      assertThat(m.type()).isEqualTo(Mount.Type.TMPFS);
      assertThat(m.source()).isEmpty();
      assertThat(m.target()).isEqualTo("/tmp");
      assertThat(m.flags()).containsExactlyInAnyOrder(Flag.NO_SUID, Flag.NO_DEV);
      assertThat(m.isReadOnly()).isFalse();
      assertThat(m.sizeBytes()).hasValue(1 << 20);
    }

    @Test
    void acceptsSmallestAndLargestSize() {
      assertThat(Mount.tmpfs("/t", 1).sizeBytes()).hasValue(1);
      assertThat(Mount.tmpfs("/t", Long.MAX_VALUE).sizeBytes()).hasValue(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void rejectsNonPositiveSizeNamingIt(long size) {
      assertThatThrownBy(() -> Mount.tmpfs("/tmp", size))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tmpfs size")
          .hasMessageContaining(size + " bytes");
    }

    @Test
    void rejectsNullTarget() {
      assertThatThrownBy(() -> Mount.tmpfs(null, 1))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("mount target");
    }
  }

  @Nested
  class Targets {
    @ParameterizedTest
    @ValueSource(strings = {"", "data", "./data", "data/x"})
    void rejectsRelativeTargetNamingIt(String target) {
      assertThatThrownBy(() -> Mount.bind(Path.of("/srv"), target))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target")
          .hasMessageContaining("absolute")
          .hasMessageContaining("\"" + target + "\"");
      assertThatThrownBy(() -> Mount.tmpfs(target, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target")
          .hasMessageContaining("\"" + target + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../etc", "/a/../b", "/data/.."})
    void rejectsDotDotNamingIt(String target) {
      assertThatThrownBy(() -> Mount.bind(Path.of("/srv"), target))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target")
          .hasMessageContaining("..")
          .hasMessageContaining("\"" + target + "\"");
      assertThatThrownBy(() -> Mount.tmpfs(target, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"" + target + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "//", "/.", "/./"})
    void rejectsRoot(String target) {
      assertThatThrownBy(() -> Mount.bind(Path.of("/srv"), target))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target")
          .hasMessageContaining("root");
      assertThatThrownBy(() -> Mount.tmpfs(target, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("root");
    }

    @Test
    void rejectsNul() {
      assertThatThrownBy(() -> Mount.tmpfs("/a\0b", 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target")
          .hasMessageContaining("/a\\0b");
    }
  }

  @Nested
  class FlagChanges {
    private final Mount bind = Mount.bind(Path.of("/srv"), "/data");
    private final Mount tmpfs = Mount.tmpfs("/tmp", 4096);

    @Test
    void writableRemovesReadOnly() {
      assertThat(bind.writable().flags()).containsExactlyInAnyOrder(Flag.NO_SUID, Flag.NO_DEV);
      assertThat(tmpfs.writable()).isEqualTo(tmpfs);
    }

    @Test
    void readOnlyAddsReadOnly() {
      assertThat(tmpfs.readOnly().flags())
          .containsExactlyInAnyOrder(Flag.READ_ONLY, Flag.NO_SUID, Flag.NO_DEV);
      assertThat(tmpfs.readOnly().isReadOnly()).isTrue();
      assertThat(bind.readOnly()).isEqualTo(bind);
      assertThat(bind.writable().readOnly()).isEqualTo(bind);
    }

    @Test
    void noExecAddsNoExec() {
      assertThat(bind.noExec().flags())
          .containsExactlyInAnyOrder(Flag.READ_ONLY, Flag.NO_SUID, Flag.NO_DEV, Flag.NO_EXEC);
      assertThat(tmpfs.noExec().flags())
          .containsExactlyInAnyOrder(Flag.NO_SUID, Flag.NO_DEV, Flag.NO_EXEC);
    }

    @Test
    void changesKeepEverythingElse() {
      Mount t = tmpfs.readOnly().noExec().writable();
      assertThat(t.type()).isEqualTo(Mount.Type.TMPFS);
      assertThat(t.target()).isEqualTo("/tmp");
      assertThat(t.sizeBytes()).hasValue(4096);
      assertThat(t.source()).isEmpty();

      Mount b = bind.noExec().writable();
      assertThat(b.type()).isEqualTo(Mount.Type.BIND);
      assertThat(b.source()).contains(Path.of("/srv"));
      assertThat(b.target()).isEqualTo("/data");
    }

    @Test
    void changesReturnNewMountsAndLeaveTheOriginalAlone() {
      Mount w = bind.writable();
      Mount x = bind.noExec();

      assertThat(w).isNotSameAs(bind);
      assertThat(x).isNotSameAs(bind);
      assertThat(bind.flags()).containsExactlyInAnyOrder(Flag.READ_ONLY, Flag.NO_SUID, Flag.NO_DEV);
    }

    @Test
    void withFlagsSetsExactlyTheGivenFlags() {
      assertThat(bind.withFlags(EnumSet.of(Flag.NO_EXEC)).flags()).containsExactly(Flag.NO_EXEC);
      assertThat(bind.withFlags(Set.of()).flags()).isEmpty();
      assertThat(bind.withFlags(Set.of()).isReadOnly()).isFalse();
      assertThat(tmpfs.withFlags(EnumSet.allOf(Flag.class)).flags())
          .containsExactlyInAnyOrder(Flag.values());
    }

    @Test
    void flagChangesWorkFromAnEmptyFlagSet() {
      Mount none = bind.withFlags(Set.of());

      assertThat(none.readOnly().flags()).containsExactly(Flag.READ_ONLY);
      assertThat(none.noExec().flags()).containsExactly(Flag.NO_EXEC);
      assertThat(none.writable().flags()).isEmpty();
    }

    @Test
    void withFlagsCopiesTheGivenSet() {
      Set<Flag> flags = new HashSet<>(Set.of(Flag.NO_DEV));
      Mount m = bind.withFlags(flags);
      flags.add(Flag.NO_EXEC);

      assertThat(m.flags()).containsExactly(Flag.NO_DEV);
    }

    @Test
    void withFlagsRejectsNull() {
      assertThatThrownBy(() -> bind.withFlags(null)).isInstanceOf(NullPointerException.class);
    }
  }

  @Test
  void flagsAreUnmodifiable() {
    Mount bind = Mount.bind(Path.of("/srv"), "/data");
    Mount none = bind.withFlags(Set.of());

    assertThatThrownBy(() -> bind.flags().add(Flag.NO_EXEC))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> bind.flags().remove(Flag.READ_ONLY))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> none.flags().add(Flag.NO_EXEC))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void equalsAndHashCodeCompareEveryField() {
    Mount a = Mount.bind(Path.of("/srv"), "/data");
    Mount same = Mount.bind(Path.of("/srv/"), "/data/");

    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isEqualTo(a).isNotEqualTo(null).isNotEqualTo("bind /srv on /data");
    assertThat(a).isNotEqualTo(Mount.bind(Path.of("/srv2"), "/data"));
    assertThat(a).isNotEqualTo(Mount.bind(Path.of("/srv"), "/data2"));
    assertThat(a).isNotEqualTo(a.writable());
    assertThat(Mount.tmpfs("/t", 1)).isEqualTo(Mount.tmpfs("/t", 1))
        .hasSameHashCodeAs(Mount.tmpfs("/t", 1));
    assertThat(Mount.tmpfs("/t", 1)).isNotEqualTo(Mount.tmpfs("/t", 2));
    assertThat(Mount.tmpfs("/t", 1)).isNotEqualTo(Mount.tmpfs("/u", 1));
    assertThat(Mount.tmpfs("/t", 1).withFlags(Set.of()))
        .isNotEqualTo(Mount.bindWritable(Path.of("/t"), "/t").withFlags(Set.of()));
  }

  @Test
  void toStringNamesTypeSourceTargetSizeAndFlags() {
    assertThat(Mount.bind(Path.of("/srv"), "/data").toString())
        .contains("bind", "/srv", "/data", "READ_ONLY", "NO_SUID", "NO_DEV");
    assertThat(Mount.tmpfs("/tmp", 4096).noExec().toString())
        .contains("tmpfs", "4096 bytes", "/tmp", "NO_EXEC")
        .doesNotContain("READ_ONLY");
  }
}
