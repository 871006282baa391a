package dev.isola;

import dev.isola.spi.ImageLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;

/**
 * A container image unpacked on this host: its layers as read-only directories, and the defaults
 * its configuration gives a container (command, environment, working directory, user). Immutable.
 *
 * <p>{@link #load(Path)} imports an OCI image layout (a directory or a tar) or a docker-archive tar
 * into the default image store, unpacking each layer once. {@code Container.builder().image(image)}
 * runs it on an ephemeral overlay: the layers are never written, each container starts clean.
 * {@link #pull(String)} fetches one from a registry.
 */
public final class Image {
  private final String id;
  private final List<Path> layers;
  private final IdMapping owner;
  private final List<String> entrypoint;
  private final List<String> cmd;
  private final Map<String, String> env;
  private final @Nullable String workingDirectory;
  private final long uid;
  private final long gid;
  private final @Nullable String reference;

  private Image(Builder b) {
    this.id = b.id;
    this.layers = List.copyOf(b.layers);
    this.owner = b.owner;
    this.entrypoint = List.copyOf(b.entrypoint);
    this.cmd = List.copyOf(b.cmd);
    this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
    this.workingDirectory = b.workingDirectory;
    this.uid = b.uid;
    this.gid = b.gid;
    this.reference = b.reference;
  }

  /**
   * Imports the image at {@code source}: an OCI image layout directory, an OCI layout tar, or a
   * docker-archive tar ({@code docker save}, {@code podman save}), told apart by their content.
   * Digests are verified, and each layer is unpacked once into the default store.
   *
   * @throws UnsupportedFeatureException if no image support is on the class path
   * @throws ContainerException if the image is malformed, fails verification, or has an entry
   *     that would escape its layer
   */
  public static Image load(Path source) {
    Objects.requireNonNull(source, "source");
    return loader().load(source);
  }

  /**
   * Imports the image named {@code reference} of the OCI layout at {@code source}, which may hold
   * several images (as umoci and skopeo write one per tag): the one whose {@code
   * org.opencontainers.image.ref.name} is {@code reference} or its tag. {@link #load(Path)} on a
   * layout of several named images names them in its error.
   *
   * @throws ContainerException if none has that name (the message lists the names there)
   */
  public static Image load(Path source, String reference) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(reference, "reference");
    return loader().load(source, reference);
  }

  /**
   * Pulls the image {@code reference} ({@code [registry[:port]/]repository[:tag|@sha256:digest]})
   * from its registry into the default store; a short Docker Hub name ({@code busybox:1.36}) means
   * {@code docker.io/library/busybox:1.36}, as with docker. Layers already in the store are not
   * downloaded again. See {@code ImageStore.pull} of {@code container-images} for registries,
   * credentials and plain HTTP.
   *
   * @throws ImagePullException if the reference is malformed or the registry refuses or fails
   * @throws UnsupportedFeatureException if no image support is on the class path
   */
  public static Image pull(String reference) {
    return pull(reference, PullListener.none());
  }

  /** {@link #pull(String)}, telling {@code listener} how each blob downloads. */
  public static Image pull(String reference, PullListener listener) {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(listener, "listener");
    return loader().pull(reference, listener);
  }

  /**
   * An image known only by its registry reference, with no layers here: for runtimes that pull
   * images themselves (the {@code kubernetes} runtime's nodes). Its {@link #id()} is empty, its
   * defaults (command, environment, user) are the image's own, applied where it runs. The {@code
   * linux} runtime refuses it: {@link #pull(String)} fetches the layers.
   *
   * @throws IllegalArgumentException if {@code reference} is malformed
   */
  public static Image remote(String reference) {
    return builder().reference(reference).build();
  }

  private static ImageLoader loader() {
    Iterator<ImageLoader> loaders = ServiceLoader.load(ImageLoader.class, Image.class.getClassLoader()).iterator();
    if (!loaders.hasNext()) {
      throw new UnsupportedFeatureException("loading images",
          "no image loader on the class path; add the artifact dev.isola:container-images");
    }
    return loaders.next();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The digest of the image's configuration ({@code sha256:…}), the image's identity; empty for
   * an image known only by reference ({@link #remote(String)}).
   */
  public String id() {
    return id;
  }

  /** The unpacked layer directories, lowest first; none for a {@linkplain #remote(String) remote} image. */
  public List<Path> layers() {
    return layers;
  }

  /**
   * The id mapping the layers' files are owned for: a container from this image must map these
   * ids the same way, or its files would belong to nobody.
   */
  public IdMapping idMapping() {
    return owner;
  }

  public List<String> entrypoint() {
    return entrypoint;
  }

  public List<String> cmd() {
    return cmd;
  }

  /** What a container from this image runs unless told otherwise: entrypoint, then cmd. */
  public List<String> command() {
    List<String> argv = new ArrayList<>(entrypoint);
    argv.addAll(cmd);
    return Collections.unmodifiableList(argv);
  }

  /** The environment the image sets, in its order. */
  public Map<String, String> env() {
    return env;
  }

  public Optional<String> workingDirectory() {
    return Optional.ofNullable(workingDirectory);
  }

  /** The container user's uid, resolved from the image's {@code /etc/passwd} when named. */
  public long uid() {
    return uid;
  }

  /** The container user's gid. */
  public long gid() {
    return gid;
  }

  /**
   * The reference the image is known by in a registry ({@code registry[:port]/repository[:tag]} or
   * {@code …@sha256:…}), when it was pulled or tagged with one. Engines that run images elsewhere
   * (a cluster) start the image by this reference.
   */
  public Optional<String> reference() {
    return Optional.ofNullable(reference);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Image)) {
      return false;
    }
    Image i = (Image) o;
    return id.equals(i.id) && layers.equals(i.layers) && owner.equals(i.owner)
        && entrypoint.equals(i.entrypoint) && cmd.equals(i.cmd) && env.equals(i.env)
        && Objects.equals(workingDirectory, i.workingDirectory) && uid == i.uid && gid == i.gid
        && Objects.equals(reference, i.reference);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, layers, owner, entrypoint, cmd, env, workingDirectory, uid, gid, reference);
  }

  @Override
  public String toString() {
    return "Image{" + (reference == null ? "" : reference + ", ") + (id.isEmpty() ? "remote" : id) + ", " + layers.size()
        + " layers, command=" + command() + "}";
  }

  /** Builds an {@link Image}; image loaders use it, and so can callers with their own layers. */
  public static final class Builder {
    private static final java.util.regex.Pattern REFERENCE = java.util.regex.Pattern.compile(
        "(?:[A-Za-z0-9.-]+(?::[0-9]{1,5})?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
            + "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?");

    private String id = "";
    private final List<Path> layers = new ArrayList<>();
    private IdMapping owner = IdMapping.automatic();
    private List<String> entrypoint = List.of();
    private List<String> cmd = List.of();
    private final Map<String, String> env = new LinkedHashMap<>();
    private @Nullable String workingDirectory;
    private long uid;
    private long gid;
    private @Nullable String reference;

    private Builder() {}

    /** The image's identity, {@code sha256:} and 64 hex digits. */
    public Builder id(String id) {
      Objects.requireNonNull(id, "id");
      if (!id.matches("sha256:[0-9a-f]{64}")) {
        throw new IllegalArgumentException("image id must be sha256: and 64 lowercase hex digits: \"" + id + "\"");
      }
      this.id = id;
      return this;
    }

    /** Adds the next layer up: an absolute directory. */
    public Builder layer(Path directory) {
      Objects.requireNonNull(directory, "layer");
      if (!directory.isAbsolute()) {
        throw new IllegalArgumentException("layer must be an absolute directory: " + directory);
      }
      layers.add(directory.normalize());
      return this;
    }

    /** The id mapping the layers' files are owned for; {@link IdMapping#automatic()} by default. */
    public Builder idMapping(IdMapping owner) {
      this.owner = Objects.requireNonNull(owner, "idMapping");
      return this;
    }

    public Builder entrypoint(List<String> entrypoint) {
      this.entrypoint = checkArgv("entrypoint", entrypoint);
      return this;
    }

    public Builder cmd(List<String> cmd) {
      this.cmd = checkArgv("cmd", cmd);
      return this;
    }

    public Builder env(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("invalid image environment variable: \"" + name + "\"");
      }
      env.put(name, value);
      return this;
    }

    public Builder workingDirectory(String pathInside) {
      this.workingDirectory = ContainerPaths.requireAbsolute("image working directory", pathInside);
      return this;
    }

    public Builder user(long uid, long gid) {
      ContainerSpec.checkId("image uid", uid);
      ContainerSpec.checkId("image gid", gid);
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    /**
     * The registry reference of the image: {@code [registry[:port]/]repository[:tag][@digest]},
     * lowercase repository path components as the OCI distribution spec requires.
     */
    public Builder reference(String reference) {
      Objects.requireNonNull(reference, "reference");
      if (!REFERENCE.matcher(reference).matches()) {
        throw new IllegalArgumentException("image reference must be [registry[:port]/]repository[:tag][@sha256:digest]"
            + " with a lowercase repository: \"" + ContainerPaths.printable(reference) + "\"");
      }
      this.reference = reference;
      return this;
    }

    /**
     * The image; one with layers needs its {@link #id(String)}, one without is known by its
     * {@link #reference(String)} alone.
     */
    public Image build() {
      if (layers.isEmpty()) {
        if (reference == null) {
          throw new IllegalArgumentException("image " + (id.isEmpty() ? "" : id + " ") + "has no layers and no reference");
        }
        return new Image(this);
      }
      if (id.isEmpty()) {
        throw new IllegalArgumentException("image id is not set");
      }
      Overlay.ephemeral(layers); // the layers must make an overlay: checks them now
      return new Image(this);
    }

    private static List<String> checkArgv(String what, List<String> argv) {
      Objects.requireNonNull(argv, what);
      for (String arg : argv) {
        if (Objects.requireNonNull(arg, what + " contains null").indexOf('\0') >= 0) {
          throw new IllegalArgumentException(what + " argument contains a NUL character");
        }
      }
      return List.copyOf(argv);
    }
  }
}
