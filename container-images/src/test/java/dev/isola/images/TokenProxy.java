package dev.isola.images;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Docker's token authentication in front of a {@link TestRegistry}, as Docker Hub and most cloud
 * registries do it: {@code /v2/} answers 401 with a bearer challenge naming {@code /token}, which
 * hands out a token for the test's user (or anyone, when anonymous pulls are allowed); requests
 * with the token are passed on to the registry. It can also cut one blob off halfway, like a
 * dropped connection.
 */
final class TokenProxy implements AutoCloseable {
  private static final String TOKEN = "t0ken-for-isola";

  private final HttpServer server;
  private final HttpClient http = HttpClient.newHttpClient();
  private final TestRegistry registry;
  private final boolean anonymous;
  final AtomicInteger tokensIssued = new AtomicInteger();
  private volatile @Nullable String cutBlob;

  TokenProxy(TestRegistry registry, boolean anonymous) throws IOException {
    this.registry = registry;
    this.anonymous = anonymous;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/token", this::token);
    server.createContext("/v2/", this::forward);
    server.start();
  }

  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next download of the blob {@code hex} stops after half its bytes. */
  void cutOff(String hex) {
    cutBlob = hex;
  }

  private void token(HttpExchange exchange) throws IOException {
    String expected = "Basic " + Base64.getEncoder().encodeToString((TestRegistry.USER + ":" + TestRegistry.PASSWORD)
        .getBytes(StandardCharsets.UTF_8));
    String given = exchange.getRequestHeaders().getFirst("Authorization");
    if (!(anonymous && given == null) && !expected.equals(given)) {
      reply(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad user name or password\"}]}");
      return;
    }
    tokensIssued.incrementAndGet();
    reply(exchange, 200, "{\"token\":\"" + TOKEN + "\",\"expires_in\":300}");
  }

  private void forward(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + address()
          + "/token\",service=\"isola-test\",scope=\"repository:" + path.replaceFirst("^/v2/(.*)/(manifests|blobs)/.*$", "$1") + ":pull\"");
      reply(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
      return;
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + registry.address() + path));
    List<String> accept = exchange.getRequestHeaders().get("Accept");
    if (accept != null) {
      request.header("Accept", String.join(", ", accept));
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    for (String header : List.of("Content-Type", "Docker-Content-Digest")) {
      response.headers().firstValue(header).ifPresent(v -> exchange.getResponseHeaders().add(header, v));
    }
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readAllBytes();
    }
    String cut = cutBlob;
    if (cut != null && path.endsWith("/blobs/sha256:" + cut)) {
      cutBlob = null;
      exchange.sendResponseHeaders(response.statusCode(), body.length);
      OutputStream out = exchange.getResponseBody();
      out.write(body, 0, body.length / 2);
      out.flush();
      exchange.close(); // fewer bytes than promised: the client sees the connection drop
      return;
    }
    exchange.sendResponseHeaders(response.statusCode(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static void reply(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
