package dev.isola.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A fixture by hand: ready when its wait says so, and a fixture that is never ready says why. */
class ContainerFixtureTest {
  static String get(ContainerFixture f, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + f.host() + ":" + f.mappedPort(8080) + path)).build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  @Test
  void eachWaitHoldsOnceTheServerServes() throws Exception {
    for (Wait wait : new Wait[] {Wait.forListeningPort(8080), Wait.forHttp("/", 8080), Wait.forLogMessage("^serving$"),
        Wait.forSuccessfulCommand("sh", "-c", "busybox wget -q -O- http://127.0.0.1:8080/"),
        Wait.allOf(Wait.forListeningPort(8080), Wait.forHttp("/index.html", 8080, 200))}) {
      try (ContainerFixture f = ContainerFixture.of(Web.server("page")).waitingFor(wait.withTimeout(Duration.ofSeconds(20)))) {
        f.start();
        assertThat(get(f, "/")).as(wait.toString()).isEqualTo("200 page\n");
        assertThat(f.logs()).contains("serving");
        assertThat(f.exec("cat", "/tmp/www/index.html")).isEqualTo(new ExecResult(0, "page\n", ""));
      }
    }
  }

  @Test
  void aFixtureThatEndsFirstSaysSoWithItsOutput() {
    ContainerFixture f = ContainerFixture.of(Container.builder().command("sh", "-c", "echo starting; echo no config >&2; exit 3").build())
        .waitingFor(Wait.forListeningPort(8080));
    assertThatThrownBy(f::start).isInstanceOf(FixtureException.class)
        .hasMessageContaining("ended before it was ready").hasMessageContaining("exited with code 3")
        .hasMessageContaining("TCP port 8080 listening").hasMessageContaining("no config");
    assertThatThrownBy(f::container).isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
  }

  @Test
  void aFixtureThatIsNeverReadySaysSoAfterItsTimeoutAndIsGone() {
    ContainerFixture f = ContainerFixture.of(Container.builder().command("sh", "-c", "echo waiting for nothing; exec sleep 60").build())
        .waitingFor(Wait.forLogMessage("never").withTimeout(Duration.ofMillis(500)));
    assertThatThrownBy(f::start).isInstanceOf(FixtureException.class)
        .hasMessageContaining("was not ready after 500 ms").hasMessageContaining("waiting for nothing");
    assertThat(f.toString()).contains("not running");
  }

  @Test
  void badWaitsAreRefusedAtOnce() {
    assertThatThrownBy(() -> Wait.forListeningPort(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Wait.forHttp("index.html", 80)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/");
    assertThatThrownBy(() -> Wait.forLogMessage("x", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Wait.allOf()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Wait.none().withTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
