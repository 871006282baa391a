package dev.isola.images;

import dev.isola.linux.testing.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real OCI distribution registry (Debian's docker-registry) on a free loopback port with its
 * storage in a temporary directory, and skopeo to push to it. Closing it ends the registry and
 * deletes its directory. Public in the test jar: the command line's tests pull from it too.
 */
public final class TestRegistry implements AutoCloseable {
  /** User {@code isola}, password {@code secret}: bcrypt at cost 4, so that each request checks it quickly. */
  public static final String USER = "isola";
  public static final String PASSWORD = "secret";
  private static final String HTPASSWD = "isola:$2b$04$4JBfIS2NXDhcMWV.ATq2v.U5t1IifANZmWVyBPqC9ZReNlqA1A4Vm\n";

  private final Path dir;
  private final Process process;
  final int port;
  private final boolean auth;

  private TestRegistry(Path dir, Process process, int port, boolean auth) {
    this.dir = dir;
    this.process = process;
    this.port = port;
    this.auth = auth;
  }

  /** A registry open to all. */
  public static TestRegistry start() throws IOException {
    return start(false);
  }

  /** A registry that asks for basic authentication ({@link #USER}, {@link #PASSWORD}) when {@code auth}. */
  public static TestRegistry start(boolean auth) throws IOException {
    Path binary = Path.of("/usr/bin/docker-registry");
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("these tests need " + binary + " (Debian package docker-registry): run scripts/install-test-deps");
    }
    Path dir = Files.createTempDirectory("isola-registry-");
    int port = freePort();
    StringBuilder config = new StringBuilder("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\n"
        + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n  delete:\n    enabled: true\n"
        + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: isola-test\n");
    if (auth) {
      Files.writeString(dir.resolve("htpasswd"), HTPASSWD);
      config.append("auth:\n  htpasswd:\n    realm: isola-test\n    path: ").append(dir.resolve("htpasswd")).append('\n');
    }
    Files.writeString(dir.resolve("config.yml"), config);
    Process p = new ProcessBuilder(binary.toString(), "serve", dir.resolve("config.yml").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
    TestRegistry registry = new TestRegistry(dir, p, port, auth);
    try {
      registry.awaitReady();
    } catch (RuntimeException | IOException e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private void awaitReady() throws IOException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/")).timeout(Duration.ofSeconds(2))
            .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("docker-registry did not come up on port " + port + ": " + log());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** {@code 127.0.0.1:<port>}, the registry part of a reference. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Pushes {@code source} (a skopeo transport name such as {@code oci:dir:tag}) as {@code repository:tag}; all platforms when {@code all}. */
  public void push(String source, String repositoryAndTag, boolean all) {
    List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false"));
    if (all) {
      command.add("--all");
    }
    if (auth) {
      command.add("--dest-creds=" + USER + ":" + PASSWORD);
    }
    command.add(source);
    command.add("docker://" + address() + "/" + repositoryAndTag);
    ChildJvm.runOrFail(command);
  }

  /**
   * Makes an image of one layer, the host's static busybox with each of its applets linked to it
   * and {@code sh} as its command, and pushes it as {@code repositoryAndTag}.
   */
  public void pushBusybox(String repositoryAndTag) throws IOException {
    Path layout = dir.resolve("busybox-layout");
    String image = layout + ":img";
    if (!Files.isDirectory(layout)) {
      Path bundle = dir.resolve("busybox-bundle");
      ChildJvm.runOrFail(List.of("umoci", "init", "--layout", layout.toString()));
      ChildJvm.runOrFail(List.of("umoci", "new", "--image", image));
      ChildJvm.runOrFail(List.of("umoci", "unpack", "--image", image, bundle.toString()));
      Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
      Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
      for (String applet : ChildJvm.runOrFail(List.of("/bin/busybox", "--list")).split("\n")) {
        if (!applet.isBlank() && !applet.equals("busybox")) {
          Files.createSymbolicLink(bin.resolve(applet.trim()), Path.of("busybox"));
        }
      }
      ChildJvm.runOrFail(List.of("umoci", "repack", "--refresh-bundle", "--image", image, bundle.toString()));
      ChildJvm.runOrFail(List.of("umoci", "config", "--image", image, "--config.cmd", "/bin/sh"));
    }
    push("oci:" + image, repositoryAndTag, false);
  }

  /** The file the registry keeps the blob {@code hex} in, for a test that damages it. */
  Path blobFile(String hex) {
    return dir.resolve("data/docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
  }

  /** How many blob downloads the registry has served so far, from its access log. */
  public long blobGets() {
    return log().lines().filter(l -> l.contains("\"GET /v2/") && l.contains("/blobs/sha256:")).count();
  }

  String log() {
    try {
      return Files.readString(dir.resolve("log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Trees.delete(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static @Nullable String hostArchitecture() {
    String arch = System.getProperty("os.arch");
    return arch.equals("amd64") || arch.equals("x86_64") ? "amd64" : arch.equals("aarch64") ? "arm64" : arch;
  }
}
