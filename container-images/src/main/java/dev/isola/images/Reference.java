package dev.isola.images;

import dev.isola.ImagePullException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An image reference taken apart as docker does: {@code [registry[:port]/]repository[:tag][@digest]},
 * where the first component is a registry only if it has a dot or a port or is {@code localhost},
 * else the image is Docker Hub's ({@code busybox} is {@code docker.io/library/busybox:latest}).
 */
final class Reference {
  static final String DOCKER_HUB = "docker.io";
  private static final Pattern REGISTRY = Pattern.compile("[A-Za-z0-9.-]+(?::[0-9]{1,5})?");
  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  /** As the caller wrote it, for messages. */
  final String given;
  /** {@code docker.io}, {@code localhost:5000}, {@code ghcr.io}… */
  final String registry;
  final String repository;
  final @Nullable String tag;
  final @Nullable String digest;

  private Reference(String given, String registry, String repository, @Nullable String tag, @Nullable String digest) {
    this.given = given;
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  static Reference parse(String reference) {
    String rest = reference;
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!DIGEST.matcher(digest).matches()) {
        throw malformed(reference, "the digest \"" + digest + "\" is not sha256: and 64 lowercase hex digits");
      }
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        if (!REGISTRY.matcher(first).matches()) {
          throw malformed(reference, "the registry \"" + first + "\" is not a host name with an optional :port");
        }
        registry = first;
        rest = rest.substring(slash + 1);
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw malformed(reference, "the tag \"" + tag + "\" is not 1 to 128 letters, digits, '_', '.' or '-'");
      }
    }
    if (rest.isEmpty()) {
      throw malformed(reference, "it names no repository");
    }
    for (String component : rest.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw malformed(reference, "the repository component \"" + component
            + "\" is not lowercase letters and digits, separated by '.', '_' or '-'");
      }
    }
    if (registry.equals(DOCKER_HUB) && rest.indexOf('/') < 0) {
      rest = "library/" + rest;
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new Reference(reference, registry, rest, tag, digest);
  }

  private static ImagePullException malformed(String reference, String why) {
    return new ImagePullException(reference, 0, "malformed image reference \"" + reference + "\": " + why
        + "; write [registry[:port]/]repository[:tag][@sha256:digest], e.g. busybox:1.36 or localhost:5000/app:1");
  }

  /** The host and port the registry's API answers on: Docker Hub's API is not at docker.io. */
  String endpoint() {
    return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
  }

  /** What the manifest is fetched by: the digest when there is one, else the tag. */
  String manifestReference() {
    return digest != null ? digest : tag;
  }

  /** The full reference, registry and all: what a cluster pulls the same image by. */
  String canonical() {
    return registry + "/" + repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }

  @Override
  public String toString() {
    return canonical();
  }
}
