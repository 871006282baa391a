package dev.isola.images;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.isola.ImagePullException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How an {@link ImageStore} talks to registries: the credentials given for each, those of docker's
 * {@code config.json} ({@code docker login} writes them), and which registries may be spoken to in
 * plain HTTP. Immutable.
 */
final class Registries {
  /** A user name and password, or an identity token (user name {@code <token>}), for one registry. */
  record Credentials(String username, String password) {
    String basic() {
      return Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
  }

  private final Map<String, Credentials> credentials;
  private final Set<String> insecure;
  private final @Nullable Path dockerConfig;

  private Registries(Map<String, Credentials> credentials, Set<String> insecure, @Nullable Path dockerConfig) {
    this.credentials = Map.copyOf(credentials);
    this.insecure = Set.copyOf(insecure);
    this.dockerConfig = dockerConfig;
  }

  /** Docker's config file: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
  static Registries defaults() {
    String dir = System.getenv("DOCKER_CONFIG");
    Path config = dir != null && !dir.isEmpty() ? Path.of(dir, "config.json")
        : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    return new Registries(Map.of(), Set.of(), config);
  }

  Registries withCredentials(String registry, Credentials c) {
    Map<String, Credentials> all = new HashMap<>(credentials);
    all.put(registry, c);
    return new Registries(all, insecure, dockerConfig);
  }

  Registries withInsecure(String registry) {
    Set<String> all = new HashSet<>(insecure);
    all.add(registry);
    return new Registries(credentials, all, dockerConfig);
  }

  Registries withDockerConfig(@Nullable Path config) {
    return new Registries(credentials, insecure, config);
  }

  /**
   * Plain HTTP for a registry on this machine's loopback or one allowed explicitly: elsewhere a
   * man in the middle could swap the manifest, whose digest is all a tag's image is checked by.
   */
  String scheme(String registry) {
    if (insecure.contains(registry)) {
      return "http";
    }
    String host = registry.replaceFirst(":[0-9]+$", "");
    if (host.equals("localhost")) {
      return "http";
    }
    if (host.matches("[0-9.]+")) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress() ? "http" : "https";
      } catch (UnknownHostException e) {
        return "https";
      }
    }
    return "https";
  }

  /** The credentials for {@code registry}: given ones first, then docker's config file. */
  Optional<Credentials> credentials(Reference ref) {
    Credentials given = credentials.get(ref.registry);
    if (given != null) {
      return Optional.of(given);
    }
    return fromDockerConfig(ref);
  }

  /** Where credentials would come from, for the message when a registry refuses. */
  String describeSources(Reference ref) {
    return credentials.containsKey(ref.registry) ? "the credentials given to ImageStore.withCredentials(\"" + ref.registry + "\", …)"
        : dockerConfig == null ? "no credentials" : "the credentials of " + dockerConfig + " (none there for " + ref.registry + " counts as anonymous)";
  }

  private Optional<Credentials> fromDockerConfig(Reference ref) {
    if (dockerConfig == null) {
      return Optional.empty();
    }
    JsonObject auths;
    try {
      JsonElement root = JsonParser.parseString(Files.readString(dockerConfig));
      if (!root.isJsonObject() || !(root.getAsJsonObject().get("auths") instanceof JsonObject)) {
        return Optional.empty();
      }
      auths = root.getAsJsonObject().getAsJsonObject("auths");
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | JsonParseException e) {
      throw new ImagePullException(ref.given, 0, "cannot read the registry credentials in " + dockerConfig + ": "
          + e.getMessage() + "; fix the file or set DOCKER_CONFIG to another directory");
    }
    for (String key : configKeys(ref.registry)) {
      if (auths.get(key) instanceof JsonObject) {
        JsonObject entry = auths.getAsJsonObject(key);
        String token = ImageManifest.optionalString(entry, "identitytoken");
        String auth = ImageManifest.optionalString(entry, "auth");
        if (auth != null && !auth.isEmpty()) {
          String pair = new String(decode(ref, key, auth), StandardCharsets.UTF_8);
          int colon = pair.indexOf(':');
          if (colon < 0) {
            throw new ImagePullException(ref.given, 0, dockerConfig + ": the auth of " + key
                + " is not base64 of user:password; run docker login again");
          }
          return Optional.of(new Credentials(pair.substring(0, colon), token != null ? token : pair.substring(colon + 1)));
        }
      }
    }
    return Optional.empty();
  }

  private byte[] decode(Reference ref, String key, String auth) {
    try {
      return Base64.getDecoder().decode(auth);
    } catch (IllegalArgumentException e) {
      throw new ImagePullException(ref.given, 0, dockerConfig + ": the auth of " + key + " is not base64; run docker login again");
    }
  }

  /** The keys docker writes a registry's login under: its name, as a URL, and Docker Hub's old one. */
  private static List<String> configKeys(String registry) {
    if (registry.equals(Reference.DOCKER_HUB)) {
      return List.of("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io");
    }
    return List.of(registry, "https://" + registry, "http://" + registry);
  }
}
