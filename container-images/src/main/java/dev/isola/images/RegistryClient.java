package dev.isola.images;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.isola.ImagePullException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * The OCI distribution API of one repository, for pulling: manifests and blobs over the JDK's
 * HTTP client, with docker's token challenge (a 401 names a token endpoint, which hands out a
 * bearer token for the repository, anonymously or for the credentials) or basic authentication.
 * Safe for the parallel fetches of one pull.
 */
final class RegistryClient {
  static final List<String> MANIFEST_TYPES = List.of("application/vnd.oci.image.manifest.v1+json",
      "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");
  private static final int MAX_REDIRECTS = 5;
  private static final int MAX_ERROR_BYTES = 64 << 10;
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final String USER_AGENT = "isola/" + Optional.ofNullable(RegistryClient.class.getPackage().getImplementationVersion())
      .orElse("dev");

  /** Redirects are followed here: a blob's redirect goes to storage that must not see the registry's token. */
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(15)).build();

  /** A manifest as fetched: its bytes, its media type, and the digest (hex) of the bytes. */
  record Manifest(byte[] bytes, String mediaType, String digest) {}

  /** A blob's body, to be closed, and its length or -1. */
  record Blob(InputStream body, long length) {}

  private final Reference ref;
  private final Registries registries;
  private final URI repository;
  private volatile @Nullable String authorization;

  RegistryClient(Reference ref, Registries registries) {
    this.ref = ref;
    this.registries = registries;
    this.repository = URI.create(registries.scheme(ref.registry) + "://" + ref.endpoint() + "/v2/" + ref.repository + "/");
  }

  /** The manifest or index {@code reference} (a tag or {@code sha256:…}), checked against the digests the registry gives. */
  Manifest manifest(String reference) {
    HttpResponse<InputStream> response = get(repository.resolve("manifests/" + reference), String.join(", ", MANIFEST_TYPES),
        "image " + ref.repository + (reference.startsWith("sha256:") ? "@" : ":") + reference);
    byte[] bytes;
    try (InputStream body = response.body()) {
      bytes = body.readNBytes(ImageArchive.MAX_METADATA_BYTES + 1);
    } catch (IOException e) {
      throw failed("reading the manifest " + reference, e);
    }
    if (bytes.length > ImageArchive.MAX_METADATA_BYTES) {
      throw new ImagePullException(ref.given, 0, ref + ": the manifest " + reference + " is larger than "
          + ImageArchive.MAX_METADATA_BYTES + " bytes");
    }
    String digest = Sha256.of(bytes);
    String claimed = response.headers().firstValue("Docker-Content-Digest").orElse(null);
    if (claimed != null && claimed.startsWith("sha256:") && !claimed.equals("sha256:" + digest)) {
      throw new ImagePullException(ref.given, 0, ref + ": the manifest " + reference + " fails verification: the registry"
          + " says " + claimed + ", its content has sha256:" + digest);
    }
    if (reference.startsWith("sha256:") && !reference.equals("sha256:" + digest)) {
      throw new ImagePullException(ref.given, 0, ref + ": the manifest " + reference + " fails verification: its content has"
          + " sha256:" + digest);
    }
    return new Manifest(bytes, mediaType(reference, response, bytes), digest);
  }

  /** The blob {@code digest} (hex), streamed; the caller verifies it as it reads. */
  Blob blob(String digest) {
    HttpResponse<InputStream> response = get(repository.resolve("blobs/sha256:" + digest), "*/*", "blob sha256:" + digest);
    return new Blob(response.body(), response.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  private String mediaType(String reference, HttpResponse<InputStream> response, byte[] bytes) {
    String type = response.headers().firstValue("Content-Type").orElse("").replaceFirst(";.*", "").trim();
    if (!MANIFEST_TYPES.contains(type)) {
      try {
        JsonElement body = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
        if (body.isJsonObject()) {
          String declared = ImageManifest.optionalString(body.getAsJsonObject(), "mediaType");
          JsonElement version = body.getAsJsonObject().get("schemaVersion");
          if (declared != null) {
            type = declared;
          } else if (version != null && version.isJsonPrimitive() && version.getAsInt() == 2) {
            type = body.getAsJsonObject().has("manifests") ? MANIFEST_TYPES.get(1) : MANIFEST_TYPES.get(0);
          }
        }
      } catch (JsonParseException | NumberFormatException | IllegalStateException e) {
        // not JSON: reported below as an unsupported type
      }
    }
    if (!MANIFEST_TYPES.contains(type)) {
      throw new ImagePullException(ref.given, 0, ref + ": the manifest " + reference + " has the media type \"" + type
          + "\"; supported are " + MANIFEST_TYPES + (type.contains("manifest.v1") ? " (schema 1 manifests are from docker"
          + " before 1.10: push the image again with a current tool)" : ""));
    }
    return type;
  }

  /** A GET that answers 2xx, after authenticating when challenged and following redirects. */
  private HttpResponse<InputStream> get(URI uri, String accept, String what) {
    boolean challenged = false;
    URI target = uri;
    for (int hops = 0; ; ) {
      HttpRequest.Builder request = HttpRequest.newBuilder(target).header("Accept", accept).header("User-Agent", USER_AGENT)
          .timeout(Duration.ofSeconds(60));
      String auth = authorization;
      if (auth != null && target.getAuthority().equals(uri.getAuthority())) {
        request.header("Authorization", auth);
      }
      HttpResponse<InputStream> response = send(request.build(), target);
      int status = response.statusCode();
      if (status / 100 == 2) {
        return response;
      }
      if (status / 100 == 3 && response.headers().firstValue("Location").isPresent() && ++hops <= MAX_REDIRECTS) {
        discard(response);
        target = target.resolve(response.headers().firstValue("Location").get());
        continue;
      }
      if (status == 401 && !challenged && target.getAuthority().equals(uri.getAuthority())) {
        challenged = true;
        String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
        discard(response);
        authenticate(challenge);
        continue;
      }
      throw refused(status, errorMessage(response), what);
    }
  }

  private HttpResponse<InputStream> send(HttpRequest request, URI target) {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImagePullException(ref.given, 0, "pulling " + ref + " was interrupted", e);
    } catch (SSLException e) {
      throw new ImagePullException(ref.given, 0, "cannot pull " + ref + ": the TLS handshake with " + target.getAuthority()
          + " failed (" + e.getMessage() + "); if that registry speaks plain HTTP, allow it with"
          + " ImageStore.allowingInsecureRegistry(\"" + ref.registry + "\")", e);
    } catch (IOException e) {
      throw new ImagePullException(ref.given, 0, "cannot reach the registry " + ref.registry + " at " + target.getScheme() + "://"
          + target.getAuthority() + " to pull " + ref + ": " + describe(e) + "; check the address and the network", e);
    }
  }

  /** Answers a 401's challenge: basic credentials as they are, or a bearer token from the named endpoint. */
  private void authenticate(String challenge) {
    Optional<Registries.Credentials> credentials = registries.credentials(ref);
    String scheme = challenge.trim().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    if (scheme.equals("basic")) {
      authorization = "Basic " + credentials.orElseThrow(() -> refused(401, "the registry asks for a user name and password",
          "repository")).basic();
      return;
    }
    if (!scheme.equals("bearer")) {
      throw refused(401, "the registry asks for authentication of the unsupported kind \"" + challenge + "\"", "repository");
    }
    Map<String, String> params = new HashMap<>();
    Matcher m = CHALLENGE_PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null) {
      throw refused(401, "the registry's bearer challenge names no token endpoint (realm): \"" + challenge + "\"", "repository");
    }
    URI endpoint = URI.create(realm);
    if (credentials.isPresent() && !"https".equals(endpoint.getScheme())
        && !"http".equals(registries.scheme(endpoint.getAuthority()))) {
      throw refused(401, "the token endpoint " + realm + " is plain HTTP, which would expose the password", "repository");
    }
    List<String> query = new ArrayList<>();
    if (params.containsKey("service")) {
      query.add("service=" + URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
    }
    query.add("scope=" + URLEncoder.encode(params.getOrDefault("scope", "repository:" + ref.repository + ":pull"),
        StandardCharsets.UTF_8));
    URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + String.join("&", query));
    HttpRequest.Builder request = HttpRequest.newBuilder(tokenUri).header("User-Agent", USER_AGENT).timeout(Duration.ofSeconds(30));
    credentials.ifPresent(c -> request.header("Authorization", "Basic " + c.basic()));
    HttpResponse<InputStream> response = send(request.build(), tokenUri);
    String body;
    try (InputStream in = response.body()) {
      body = new String(in.readNBytes(MAX_ERROR_BYTES), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw failed("reading a token from " + realm, e);
    }
    if (response.statusCode() != 200) {
      throw refused(response.statusCode() == 403 ? 403 : 401, "its token endpoint " + realm + " answered HTTP "
          + response.statusCode() + " " + errorText(body), "repository");
    }
    String token = null;
    try {
      JsonObject json = JsonParser.parseString(body).getAsJsonObject();
      token = ImageManifest.optionalString(json, "token");
      if (token == null) {
        token = ImageManifest.optionalString(json, "access_token");
      }
    } catch (JsonParseException | IllegalStateException e) {
      // reported below
    }
    if (token == null || token.isEmpty()) {
      throw refused(401, "its token endpoint " + realm + " answered without a token", "repository");
    }
    authorization = "Bearer " + token;
  }

  private ImagePullException refused(int status, String registrySays, String what) {
    String prefix = "cannot pull " + ref + " (" + ref.given + "): the registry " + ref.registry;
    switch (status) {
      case 404:
        return new ImagePullException(ref.given, status, prefix + " has no " + what + " (HTTP 404: " + registrySays
            + "); check the repository name and the tag");
      case 401:
      case 403:
        return new ImagePullException(ref.given, status, prefix + " refused access (HTTP " + status + ": " + registrySays
            + ") with " + registries.describeSources(ref) + "; log in with docker login " + ref.registry
            + " or pass ImageStore.withCredentials(\"" + ref.registry + "\", user, password)");
      case 429:
        return new ImagePullException(ref.given, status, prefix + " is rate-limiting this client (HTTP 429: " + registrySays
            + "); wait, or log in for a higher limit");
      default:
        return new ImagePullException(ref.given, status, prefix + " answered HTTP " + status + " for the " + what + ": "
            + registrySays);
    }
  }

  /** The registry's own words: the code and message of its JSON errors, or the body's start. */
  private static String errorMessage(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      return errorText(new String(in.readNBytes(MAX_ERROR_BYTES), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return "(no readable body: " + e.getMessage() + ")";
    }
  }

  private static String errorText(String body) {
    try {
      JsonElement json = JsonParser.parseString(body);
      if (json.isJsonObject() && json.getAsJsonObject().get("errors") != null && json.getAsJsonObject().get("errors").isJsonArray()) {
        List<String> errors = new ArrayList<>();
        for (JsonElement e : json.getAsJsonObject().getAsJsonArray("errors")) {
          if (e.isJsonObject()) {
            String code = ImageManifest.optionalString(e.getAsJsonObject(), "code");
            String message = ImageManifest.optionalString(e.getAsJsonObject(), "message");
            errors.add((code == null ? "" : code + " ") + (message == null ? "" : message));
          }
        }
        if (!errors.isEmpty()) {
          return String.join("; ", errors).trim();
        }
      }
    } catch (JsonParseException e) {
      // not JSON: the text itself
    }
    String text = body.strip().replaceAll("\\s+", " ");
    return text.isEmpty() ? "no message" : text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

  private static void discard(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      in.skip(MAX_ERROR_BYTES);
    } catch (IOException e) {
      // the connection is dropped instead of reused
    }
  }

  private ImagePullException failed(String doing, IOException e) {
    return new ImagePullException(ref.given, 0, "cannot pull " + ref + ": " + doing + " failed: " + describe(e), e);
  }

  static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null || message.isEmpty() ? "" : " " + message);
  }
}
