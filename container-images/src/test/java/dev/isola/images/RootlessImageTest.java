package dev.isola.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An ordinary user (uid 65534, in a second JVM) loads an image and runs it. */
class RootlessImageTest {
  private static final int NOBODY = ChildJvm.NOBODY;
  private static Path work;
  private static String output;
  private static Map<String, String> results;

  @BeforeAll
  static void runAsNobody() throws IOException {
    assertThat(LibC.INSTANCE.geteuid()).as("the test starts the second JVM as root with setpriv").isZero();
    work = Files.createTempDirectory("isola-images-rootless-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path store = work.resolve("tmp/store");
    output = ChildJvm.runAsNobody(work, RootlessImageMain.class, List.of(TestImages.ociImg().toString(), store.toString()));
    results = ChildJvm.results(output);
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
