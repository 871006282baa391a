package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Subordinate id ranges as an ordinary user, through the setuid {@code newuidmap} and {@code
 * newgidmap}: the test gives nobody a range in /etc/subuid and /etc/subgid for its duration and
 * restores both files afterwards, byte for byte.
 */
class RootlessSubordinateTest {
  private static final String RANGE = "nobody:400000:65536\n";

  @AfterAll
  static void cleanUp() {
    RootlessTest.cleanUp();
  }

  @Test
  void subordinateRangesAreMappedWithNewuidmap() throws IOException {
    Path subuid = Path.of("/etc/subuid");
    Path subgid = Path.of("/etc/subgid");
    byte[] uidBefore = Files.exists(subuid) ? Files.readAllBytes(subuid) : null;
    byte[] gidBefore = Files.exists(subgid) ? Files.readAllBytes(subgid) : null;
    try {
      append(subuid, uidBefore);
      append(subgid, gidBefore);
      RootlessTest.run("subordinate", "subordinate-overlay");
      assertThat(RootlessTest.result("subordinate")).isEqualTo("0 65534 1; 1 400000 65535;");
      assertThat(RootlessTest.result("subordinate-overlay")).isEqualTo("1000 1000 copyOut refused lower-intact");
    } finally {
      restore(subuid, uidBefore);
      restore(subgid, gidBefore);
    }
  }

  private static void append(Path file, byte[] before) throws IOException {
    String text = before == null ? "" : new String(before);
    if (!text.isEmpty() && !text.endsWith("\n")) {
      text += "\n";
    }
    Files.writeString(file, text + RANGE);
  }

  private static void restore(Path file, byte[] before) throws IOException {
    if (before == null) {
      Files.deleteIfExists(file);
    } else {
      Files.write(file, before);
    }
  }
}
