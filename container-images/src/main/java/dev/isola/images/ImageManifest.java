package dev.isola.images;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.isola.ContainerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Where an image's configuration and layers are in its archive, found from an OCI layout's
 * {@code index.json} or a docker-archive's {@code manifest.json}. The manifest and the config
 * are verified against their digests here; layers are verified as they are unpacked.
 */
final class ImageManifest {
  private static final int MAX_NESTED_INDEXES = 4;
  private static final List<String> INDEX_TYPES = List.of("application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  /** A layer blob: its path in the archive and, when the archive names it, its digest (hex). */
  static final class Layer {
    final String path;
    final @Nullable String digest;

    Layer(String path, @Nullable String digest) {
      this.path = path;
      this.digest = digest;
    }

    /** How errors name this blob. */
    String describe() {
      return digest != null ? "layer blob sha256:" + digest : "layer " + path;
    }
  }

  /** The digest (hex) of the config: the image's identity. */
  final String configDigest;
  /** The config when reading the manifest needed it; else it is read (and verified) on demand. */
  private final byte @Nullable [] config;
  final List<Layer> layers;

  private ImageManifest(String configDigest, byte @Nullable [] config, List<Layer> layers) {
    this.configDigest = configDigest;
    this.config = config;
    this.layers = List.copyOf(layers);
  }

  /** The image's config, verified: read only now, so that an image already in a store needs no download. */
  byte[] config(ImageArchive archive) throws IOException {
    return config != null ? config : verified(archive, "config", configDigest, archive.read(blobPath(configDigest)));
  }

  /** The annotations that name an image of an OCI layout: its tag, or its whole reference. */
  private static final List<String> NAME_ANNOTATIONS = List.of("org.opencontainers.image.ref.name", "io.containerd.image.name");

  /**
   * The image of {@code archive}: for an OCI layout that holds several, the one whose name
   * ({@code org.opencontainers.image.ref.name}) is {@code reference} or its tag, else the one for
   * this host's platform.
   */
  static ImageManifest read(ImageArchive archive, @Nullable String reference) throws IOException {
    if (archive.has("oci-layout") && archive.has("index.json")) {
      return oci(archive, reference);
    }
    if (reference != null) {
      throw new ContainerException("image source " + archive.source + " is a docker-archive, which holds one image: load it"
          + " without a reference");
    }
    if (archive.has("manifest.json")) {
      return docker(archive);
    }
    throw new ContainerException("image source " + archive.source + " is neither an OCI image layout "
        + "(oci-layout, index.json) nor a docker-archive (manifest.json)");
  }

  private static ImageManifest oci(ImageArchive archive, @Nullable String reference) throws IOException {
    JsonObject index = object(archive, "index.json", archive.read("index.json"));
    String where = "index.json";
    for (int depth = 0; depth <= MAX_NESTED_INDEXES; depth++) {
      JsonArray entries = array(archive, where, index, "manifests");
      JsonObject descriptor = depth == 0 ? named(archive, entries, reference) : choose(archive, where, entries);
      String digest = Sha256.hexOf(where + " entry", string(archive, where, descriptor, "digest"));
      byte[] blob = verified(archive, "manifest", digest, archive.manifest(digest));
      where = "manifest sha256:" + digest;
      if (!INDEX_TYPES.contains(optionalString(descriptor, "mediaType"))) {
        return ociManifest(archive, where, object(archive, where, blob));
      }
      index = object(archive, where, blob);
    }
    throw new ContainerException("image " + archive.source + ": indexes nested deeper than " + MAX_NESTED_INDEXES);
  }

  private static ImageManifest ociManifest(ImageArchive archive, String where, JsonObject manifest) throws IOException {
    JsonObject configRef = object(archive, where, manifest, "config");
    String configDigest = Sha256.hexOf(where + " config", string(archive, where, configRef, "digest"));
    List<Layer> layers = new ArrayList<>();
    for (JsonElement layer : array(archive, where, manifest, "layers")) {
      if (!layer.isJsonObject()) {
        throw malformed(archive, where, "a layer that is not an object: " + layer);
      }
      String digest = Sha256.hexOf(where + " layer", string(archive, where, layer.getAsJsonObject(), "digest"));
      String mediaType = optionalString(layer.getAsJsonObject(), "mediaType");
      if (mediaType != null && mediaType.endsWith("+zstd")) {
        throw new ContainerException("image " + archive.source + ": layer sha256:" + digest
            + " is zstd-compressed (" + mediaType + "), which is not supported; gzip and plain tar layers are");
      }
      layers.add(new Layer(blobPath(digest), digest));
    }
    return new ImageManifest(configDigest, null, layers);
  }

  private static ImageManifest docker(ImageArchive archive) throws IOException {
    JsonElement root = parse(archive, "manifest.json", archive.read("manifest.json"));
    if (!root.isJsonArray() || root.getAsJsonArray().size() != 1 || !root.getAsJsonArray().get(0).isJsonObject()) {
      throw malformed(archive, "manifest.json", "not a list of exactly one image");
    }
    JsonObject manifest = root.getAsJsonArray().get(0).getAsJsonObject();
    String configPath = string(archive, "manifest.json", manifest, "Config");
    byte[] config = archive.read(configPath);
    String configDigest = Sha256.of(config);
    // Writers name the config after its digest (abc….json, blobs/sha256/abc…): check such a name.
    String named = digestIn(configPath);
    if (named != null) {
      Sha256.verify("config " + configPath + " in " + archive.source, named, configDigest);
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonElement layer : array(archive, "manifest.json", manifest, "Layers")) {
      String path = layer.getAsString();
      layers.add(new Layer(path, path.startsWith("blobs/sha256/") ? digestIn(path) : null));
    }
    return new ImageManifest(configDigest, config, layers);
  }

  private static @Nullable String digestIn(String path) {
    String name = path.substring(path.lastIndexOf('/') + 1).replaceFirst("\\.(json|tar)$", "");
    return name.matches("[0-9a-f]{64}") ? name : null;
  }

  static String blobPath(String digest) {
    return "blobs/sha256/" + digest;
  }

  private static byte[] verified(ImageArchive archive, String what, String digest, byte[] bytes) {
    Sha256.verify(what + " blob sha256:" + digest + " in " + archive.source, digest, Sha256.of(bytes));
    return bytes;
  }

  /**
   * The top-level entry: the one named {@code reference} (or its tag) when given; else, where the
   * layout holds several named images, none is guessed; else the one for this platform.
   */
  private static JsonObject named(ImageArchive archive, JsonArray entries, @Nullable String reference) {
    List<String> names = new ArrayList<>();
    List<JsonObject> matching = new ArrayList<>();
    for (JsonElement m : entries) {
      String name = m.isJsonObject() ? name(m.getAsJsonObject()) : null;
      if (name == null) {
        continue;
      }
      names.add(name);
      if (reference != null && (name.equals(reference) || reference.endsWith(":" + name) || name.endsWith("/" + reference)
          || name.endsWith(":" + reference))) {
        matching.add(m.getAsJsonObject());
      }
    }
    if (reference != null) {
      if (matching.isEmpty()) {
        throw new ContainerException("image " + archive.source + " has no image named \"" + reference + "\"; it holds "
            + (names.isEmpty() ? "only images without a name (org.opencontainers.image.ref.name)" : "the names " + names));
      }
      JsonArray chosen = new JsonArray();
      matching.forEach(chosen::add);
      return choose(archive, "index.json (named " + reference + ")", chosen);
    }
    if (names.size() > 1 && names.stream().distinct().count() > 1) {
      throw new ContainerException("image " + archive.source + " holds " + names.size() + " images, named " + names
          + "; choose one: Image.load(" + archive.source + ", \"" + names.get(0) + "\")");
    }
    return choose(archive, "index.json", entries);
  }

  private static @Nullable String name(JsonObject descriptor) {
    if (!(descriptor.get("annotations") instanceof JsonObject)) {
      return null;
    }
    for (String key : NAME_ANNOTATIONS) {
      String name = optionalString(descriptor.getAsJsonObject("annotations"), key);
      if (name != null && !name.isEmpty()) {
        return name;
      }
    }
    return null;
  }

  /** The entry for this host's platform, or the only one. */
  private static JsonObject choose(ImageArchive archive, String where, JsonArray manifests) {
    if (manifests.size() == 1 && manifests.get(0).isJsonObject()) {
      return manifests.get(0).getAsJsonObject();
    }
    String arch = hostArchitecture();
    List<JsonObject> matching = new ArrayList<>();
    for (JsonElement m : manifests) {
      if (m.isJsonObject() && m.getAsJsonObject().get("platform") instanceof JsonObject) {
        JsonObject platform = m.getAsJsonObject().getAsJsonObject("platform");
        if ("linux".equals(optionalString(platform, "os")) && arch.equals(optionalString(platform, "architecture"))) {
          matching.add(m.getAsJsonObject());
        }
      }
    }
    if (matching.size() != 1) {
      throw new ContainerException("image " + archive.source + ": " + where + " lists " + manifests.size()
          + " manifests and " + matching.size() + " of them for linux/" + arch + "; need exactly one");
    }
    return matching.get(0);
  }

  private static String hostArchitecture() {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "x86_64":
        return "amd64";
      case "aarch64":
        return "arm64";
      default:
        return arch;
    }
  }

  static JsonObject object(ImageArchive archive, String where, byte[] json) {
    JsonElement e = parse(archive, where, json);
    if (!e.isJsonObject()) {
      throw malformed(archive, where, "not a JSON object");
    }
    return e.getAsJsonObject();
  }

  private static JsonElement parse(ImageArchive archive, String where, byte[] json) {
    try {
      return JsonParser.parseString(new String(json, StandardCharsets.UTF_8));
    } catch (JsonParseException e) {
      throw new ContainerException("image " + archive.source + ": " + where + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  private static JsonObject object(ImageArchive archive, String where, JsonObject o, String key) {
    if (!(o.get(key) instanceof JsonObject)) {
      throw malformed(archive, where, "no object \"" + key + "\"");
    }
    return o.getAsJsonObject(key);
  }

  private static JsonArray array(ImageArchive archive, String where, JsonObject o, String key) {
    if (!(o.get(key) instanceof JsonArray)) {
      throw malformed(archive, where, "no list \"" + key + "\"");
    }
    return o.getAsJsonArray(key);
  }

  private static String string(ImageArchive archive, String where, JsonObject o, String key) {
    String s = optionalString(o, key);
    if (s == null) {
      throw malformed(archive, where, "no string \"" + key + "\"");
    }
    return s;
  }

  static @Nullable String optionalString(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
  }

  private static ContainerException malformed(ImageArchive archive, String where, String what) {
    return new ContainerException("image " + archive.source + ": " + where + " is malformed: " + what);
  }
}
