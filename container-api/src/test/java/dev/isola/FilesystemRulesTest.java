package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.FilesystemRules.Access;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FilesystemRulesTest {

  private static FilesystemRules.Builder runnable() {
    return FilesystemRules.builder().execute("/bin");
  }

  @Test
  void eachKindOfRuleAllowsItsAccess() {
    FilesystemRules rules = FilesystemRules.builder().readOnly("/etc").readWrite("/tmp").execute("/bin").build();

    assertThat(rules.paths()).containsExactly(
        Map.entry("/etc", Set.of(Access.READ)),
        Map.entry("/tmp", Set.of(Access.READ, Access.WRITE)),
        Map.entry("/bin", Set.of(Access.READ, Access.EXECUTE)));
    assertThat(rules.bestEffort()).isFalse();
  }

  @Test
  void rulesOnOnePathAddUp() {
    FilesystemRules rules = runnable().readOnly("/box").readWrite("/box/").execute("/box/.").build();

    assertThat(rules.paths().get("/box")).isEqualTo(EnumSet.allOf(Access.class));
    assertThat(rules.paths()).hasSize(2);
  }

  @Test
  void pathsAreNormalized() {
    assertThat(runnable().readOnly("//etc/./ssl/").build().paths()).containsKey("/etc/ssl");
  }

  @Test
  void bestEffortIsChosenByName() {
    assertThat(runnable().bestEffort().build().bestEffort()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "etc", "./etc", "~/x"})
  void relativePathsAreRejectedNamingThem(String path) {
    assertThatThrownBy(() -> runnable().readOnly(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("filesystem rule path must be an absolute path")
        .hasMessageContaining("\"" + path + "\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/..", "/data/../etc", "/data/.."})
  void dotDotIsRejectedNamingThePath(String path) {
    assertThatThrownBy(() -> FilesystemRules.builder().readWrite(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("filesystem rule path must not contain \"..\"")
        .hasMessageContaining(path);
  }

  @Test
  void nullsAreRejected() {
    assertThatThrownBy(() -> FilesystemRules.builder().execute((String) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> FilesystemRules.builder().execute((String[]) null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void rulesThatRunNothingAreRejected() {
    assertThatThrownBy(() -> FilesystemRules.builder().readOnly("/").readWrite("/tmp").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[/, /tmp] allow running no program")
        .hasMessageContaining("execute(...)");
  }

  @Test
  void valueSemantics() {
    FilesystemRules a = runnable().readOnly("/etc").build();

    assertThat(a).isEqualTo(runnable().readOnly("/etc").build()).hasSameHashCodeAs(runnable().readOnly("/etc").build());
    assertThat(a).isNotEqualTo(runnable().readWrite("/etc").build());
    assertThat(a).isNotEqualTo(runnable().readOnly("/etc").bestEffort().build());
    assertThat(a.toString()).contains("/etc=[READ]", "/bin=[READ, EXECUTE]", "required");
    assertThat(runnable().bestEffort().build().toString()).contains("best-effort");
  }

  @Test
  void builtRulesAreImmutable() {
    FilesystemRules rules = runnable().build();

    assertThatThrownBy(() -> rules.paths().put("/x", Set.of(Access.READ))).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> rules.paths().get("/bin").add(Access.WRITE)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Nested
  class InASpec {
    private final FilesystemRules rules = runnable().readWrite("/tmp").build();
    private final ContainerSpec spec = Container.builder().command("true").filesystemRules(rules).build();

    @Test
    void noneByDefault() {
      assertThat(Container.builder().command("true").build().filesystemRules()).isEmpty();
    }

    @Test
    void takePartInEqualsHashCodeAndToString() {
      ContainerSpec without = Container.builder().command("true").build();

      assertThat(spec.filesystemRules()).contains(rules);
      assertThat(spec).isNotEqualTo(without).isEqualTo(without.toBuilder().filesystemRules(rules).build())
          .hasSameHashCodeAs(without.toBuilder().filesystemRules(rules).build());
      assertThat(spec).isNotEqualTo(spec.toBuilder().filesystemRules(runnable().build()).build());
      assertThat(spec.toString()).contains("filesystemRules=" + rules);
      assertThat(without.toString()).doesNotContain("filesystemRules");
    }

    @Test
    void toBuilderKeepsThem() {
      assertThat(spec.toBuilder().build()).isEqualTo(spec);
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> Container.builder().filesystemRules(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("filesystemRules");
    }
  }
}
