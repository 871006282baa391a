package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.Image;
import dev.isola.Network;
import dev.isola.images.ImageStore;
import dev.isola.images.TestRegistry;
import dev.isola.junit.ContainerFixture;
import dev.isola.junit.Fixture;
import dev.isola.junit.Isolated;
import dev.isola.junit.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A fixture from an image pulled by reference, as a Testcontainers user writes {@code new
 * GenericContainer("busybox:1.36")}. Here the registry is a local one that the test starts and
 * pushes busybox to; with yours, the reference alone is the change: {@code Image.pull("busybox:1.36")}.
 */
@Isolated
class PulledFixtureTest {
  private static final TestRegistry REGISTRY = startRegistry();
  private static final Path STORE = tempStore();

  @Fixture
  static ContainerFixture web = ContainerFixture.of(Container.builder()
          .image(ImageStore.open(STORE).pull(REGISTRY.address() + "/examples/busybox:1"))
          .command("sh", "-c", "mkdir -p /tmp/www && echo pulled > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www")
          .network(Network.userMode().publish(8080))
          .build())
      .waitingFor(Wait.forHttp("/", 8080));

  @Test
  void theServerFromThePulledImageAnswers() throws Exception {
    URI uri = URI.create("http://" + web.host() + ":" + web.mappedPort(8080) + "/");
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.body()).isEqualTo("pulled\n");
    Image image = web.container().spec().image().orElseThrow();
    assertThat(image.reference()).hasValue(REGISTRY.address() + "/examples/busybox:1");
  }

  @AfterAll
  static void stopRegistry() {
    REGISTRY.close(); // the store goes when the JVM ends: the fixture's root is mounted from it until then
  }

  private static TestRegistry startRegistry() {
    try {
      TestRegistry registry = TestRegistry.start();
      registry.pushBusybox("examples/busybox:1");
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path tempStore() {
    try {
      Path dir = Files.createTempDirectory("isola-example-store-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (var files = Files.walk(dir)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          // a temporary directory; the system cleans it eventually
        }
      }));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
