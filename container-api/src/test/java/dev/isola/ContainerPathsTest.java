package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerPathsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "/, /",
      "//, /",
      "/., /",
      "/./., /",
      "/a, /a",
      "/a/, /a",
      "/a/./b//c, /a/b/c",
      "///a///b///, /a/b",
      "/a/.b/..c/c.., /a/.b/..c/c..",
      "/.../x, /.../x",
  })
  void normalizesAbsolutePaths(String in, String expected) {
    assertThat(ContainerPaths.requireAbsolute("thing", in)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a", "a/b", "./a", "../a", " /a", "~/a"})
  void rejectsRelativePathsNamingWhatAndValue(String relative) {
    assertThatThrownBy(() -> ContainerPaths.requireAbsolute("my thing", relative))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("my thing")
        .hasMessageContaining("absolute")
        .hasMessageContaining("\"" + relative + "\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/..", "/../etc", "/a/../b", "/a/b/..", "/a/b/../", "/a//..//b"})
  void rejectsDotDotNamingWhatAndValue(String path) {
    assertThatThrownBy(() -> ContainerPaths.requireAbsolute("my thing", path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("my thing")
        .hasMessageContaining("\"..\"")
        .hasMessageContaining("\"" + path + "\"");
  }

  @Test
  void rejectsNulShowingItEscaped() {
    assertThatThrownBy(() -> ContainerPaths.requireAbsolute("my thing", "/a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("my thing")
        .hasMessageContaining("NUL")
        .hasMessageContaining("/a\\0b")
        .hasMessageNotContaining("\0");
  }

  @Test
  void rejectsNullNamingWhat() {
    assertThatThrownBy(() -> ContainerPaths.requireAbsolute("my thing", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("my thing");
  }

  @ParameterizedTest(name = "{0} within {1}: {2}")
  @CsvSource({
      "/a, /a, true",
      "/a/b, /a, true",
      "/a/b/c, /a, true",
      "/a, /, true",
      "/, /, true",
      "/ab, /a, false",
      "/a, /ab, false",
      "/a, /a/b, false",
      "/, /a, false",
      "/b/a, /a, false",
      "/proc2, /proc, false",
  })
  void isWithin(String path, String dir, boolean expected) {
    assertThat(ContainerPaths.isWithin(path, dir)).isEqualTo(expected);
  }

  @Test
  void printableEscapesControlCharactersAndCutsLongText() {
    assertThat(ContainerPaths.printable("a\nb\0c\u001b\\\"\t\r\u007f")).isEqualTo("a\\nb\\0c\\x1b\\\\\\\"\\t\\r\\x7f");
    assertThat(ContainerPaths.printable("ü日本")).isEqualTo("ü日本");
    String cut = ContainerPaths.printable("x".repeat(10_000));
    assertThat(cut).startsWith("x".repeat(200)).endsWith("…(10000 characters)").hasSize(200 + "…(10000 characters)".length());
  }
}
