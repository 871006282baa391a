package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.Network;
import dev.isola.junit.ContainerFixture;
import dev.isola.junit.Fixture;
import dev.isola.junit.Isolated;
import dev.isola.junit.Wait;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A test fixture as a user writes one: a web server in a container, started before the class's
 * tests, reached through its published port, gone after. No Docker daemon.
 */
@Isolated
class WebServerFixtureTest {
  @Fixture
  static ContainerFixture web = ContainerFixture.of(Container.builder()
          .command("sh", "-c", "mkdir /tmp/www && echo hello > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www")
          .network(Network.userMode().publish(8080))
          .build())
      .waitingFor(Wait.forHttp("/", 8080));

  @Test
  void theServerAnswers() throws Exception {
    URI uri = URI.create("http://" + web.host() + ":" + web.mappedPort(8080) + "/");
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("hello\n");
  }

  @Test
  void commandsRunInsideIt() {
    assertThat(web.exec("cat", "/tmp/www/index.html").stdout()).isEqualTo("hello\n");
  }
}
