package dev.isola.linux.internal.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** launcher.h defines the protocol; every number the JVM uses is the header's, under its name. */
class LauncherProtocolTest {
  private static final Path HEADER = Path.of("src/main/c/launcher.h");
  private static final Pattern ENUM_CONSTANT = Pattern.compile("\\b([A-Z][A-Z0-9_]+) = (\\d+)");
  private static final Pattern DEFINE = Pattern.compile("#define ([A-Z][A-Z0-9_]+) (0x[0-9a-f]+|\\d+)u?\\b");

  private static Map<String, Long> header() throws IOException {
    String text = Files.readString(HEADER);
    Map<String, Long> values = new TreeMap<>();
    Matcher m = ENUM_CONSTANT.matcher(text);
    while (m.find()) {
      values.put(m.group(1), Long.parseLong(m.group(2)));
    }
    m = DEFINE.matcher(text);
    while (m.find()) {
      values.put(m.group(1), Long.decode(m.group(2)));
    }
    return values;
  }

  private static Map<String, Long> java() throws IllegalAccessException {
    Map<String, Long> values = new TreeMap<>();
    for (Field f : LauncherProtocol.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
        values.put(f.getName(), Integer.toUnsignedLong(f.getInt(null)));
      }
    }
    return values;
  }

  @Test
  void everyConstantOfTheJvmIsTheHeadersUnderTheSameName() throws Exception {
    Map<String, Long> header = header();
    Map<String, Long> java = java();
    assertThat(java).hasSizeGreaterThan(40);
    java.forEach((name, value) -> assertThat(header).as(name).containsEntry(name, value));
  }

  @Test
  void everyOpMessageLimitAndUsageFormatOfTheHeaderIsKnownToTheJvm() throws Exception {
    Map<String, Long> java = java();
    header().forEach((name, value) -> {
      if (name.matches("(OP|MSG|LIMIT|USAGE)_.*")) {
        assertThat(java).as(name).containsEntry(name, value);
      }
    });
  }
}
