package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No package of any module depends on itself through others (issue 16): each can be read, and
 * moved, on its own. A package's dependencies are the {@code dev.isola} types its sources name,
 * imported or written out in full. This module depends on every other, so it sees all of them.
 */
class PackageCyclesTest {
  /** The API and its SPI are one module's two faces: the SPI speaks the API's types, Container finds providers through it. */
  private static final Set<String> ONE_UNIT = Set.of("dev.isola", "dev.isola.spi");
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.isola(?:\\.[a-z][a-z0-9_]*)*)\\.[A-Z]");

  @Test
  void noPackageDependsOnItselfThroughOthers() throws IOException {
    Map<String, Set<String>> uses = dependencies(Path.of("..").toAbsolutePath().normalize());
    assertThat(uses).as("the packages found").containsKeys("dev.isola", "dev.isola.linux.internal.plan", "dev.isola.images");
    List<String> cycles = new ArrayList<>();
    for (String start : uses.keySet()) {
      cycleThrough(start, uses).ifPresent(cycles::add);
    }
    assertThat(cycles).isEmpty();
  }

  /** Package to the packages it names, in every module's main sources under {@code root}. */
  private static Map<String, Set<String>> dependencies(Path root) throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path sources : (Iterable<Path>) modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory)::iterator) {
        try (Stream<Path> files = Files.walk(sources)) {
          files.filter(f -> f.toString().endsWith(".java")).forEach(f -> read(f, uses));
        }
      }
    }
    return uses;
  }

  private static void read(Path file, Map<String, Set<String>> uses) {
    try {
      String text = Files.readString(file);
      Matcher p = PACKAGE.matcher(text);
      if (!p.find()) {
        return; // module-info.java
      }
      Set<String> named = uses.computeIfAbsent(p.group(1), k -> new TreeSet<>());
      Matcher r = REFERENCE.matcher(text);
      while (r.find()) {
        if (!r.group(1).equals(p.group(1)) && !(ONE_UNIT.contains(r.group(1)) && ONE_UNIT.contains(p.group(1)))) {
          named.add(r.group(1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A path from {@code start} back to itself, printed "a -> b -> a", if there is one. */
  private static java.util.Optional<String> cycleThrough(String start, Map<String, Set<String>> uses) {
    Deque<List<String>> paths = new ArrayDeque<>();
    paths.add(List.of(start));
    Set<String> seen = new TreeSet<>();
    while (!paths.isEmpty()) {
      List<String> path = paths.poll();
      for (String next : uses.getOrDefault(path.get(path.size() - 1), Set.of())) {
        List<String> longer = new ArrayList<>(path);
        longer.add(next);
        if (next.equals(start)) {
          return java.util.Optional.of(String.join(" -> ", longer));
        }
        if (seen.add(next)) {
          paths.add(longer);
        }
      }
    }
    return java.util.Optional.empty();
  }
}
