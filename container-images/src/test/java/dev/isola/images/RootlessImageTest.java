package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An ordinary user (uid 65534, in a second JVM) loads an image and runs it. */
class RootlessImageTest {
  private static final int NOBODY = 65534;
  private static Path work;
  private static String output;
  private static final Map<String, String> results = new LinkedHashMap<>();

  @BeforeAll
  static void runAsNobody() throws IOException {
    assertThat(LibC.INSTANCE.geteuid()).as("the test starts the second JVM as root with setpriv").isZero();
    work = Files.createTempDirectory("isola-images-rootless-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
    String classPath = ChildJvm.worldReadableClassPath(Files.createDirectories(work.resolve("cp")));
    Path tmp = Files.createDirectories(work.resolve("tmp"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    output = ChildJvm.run(List.of("setpriv", "--reuid", Integer.toString(NOBODY), "--regid", Integer.toString(NOBODY),
        "--clear-groups", "--", ChildJvm.java(), "-Djna.tmpdir=" + tmp, "-Djava.io.tmpdir=" + tmp, "-cp", classPath,
        RootlessImageMain.class.getName(), TestImages.ociImg().toString(), tmp.resolve("store").toString()));
    for (String line : output.split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0) {
        results.put(line.substring(0, colon), line.substring(colon + 2));
      }
    }
  }

  @AfterAll
  static void cleanUp() {
    TestImages.deleteTree(work);
  }

  private static String result(String name) {
    assertThat(results).as("output of the rootless JVM:\n" + output).containsKey(name);
    return results.get(name);
  }

  @Test
  void theLayersBelongToTheCallerWhoIsTheContainersRoot() {
    assertThat(result("owners")).isEqualTo(NOBODY + " " + NOBODY);
  }

  @Test
  void theContainerSeesTheMergedLayers() {
    assertThat(result("as-root")).isEqualTo("the app's 1 newf (0)");
  }

  @Test
  void theImagesUserNeedsIdsTheCallerMappingDoesNotHave() {
    assertThat(result("image-user")).contains("running as user 1000:1000").contains("IdMapping.subordinate()");
  }
}
