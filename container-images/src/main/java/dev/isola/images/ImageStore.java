package dev.isola.images;

import dev.isola.ContainerException;
import dev.isola.IdMapping;
import dev.isola.Image;
import dev.isola.ImagePullException;
import dev.isola.PullListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A directory of unpacked image layers, each unpacked once and shared by every image that has it.
 * Safe to use from several threads and several processes at once.
 *
 * <pre>
 * &lt;store&gt;/id-mapping              the id mapping the files are owned for
 * &lt;store&gt;/layers/&lt;diff id hex&gt;/    one unpacked layer, an overlayfs lower directory
 * &lt;store&gt;/images/&lt;config hex&gt;.json  a loaded image: its layers and defaults
 * &lt;store&gt;/locks/&lt;diff id hex&gt;      held while a layer is unpacked or removed
 * &lt;store&gt;/tmp/                     private working directories, each with a lock file
 * </pre>
 *
 * <p>The files are owned for one id mapping, fixed when the store is created: as root, each file
 * belongs to the host id its image owner maps to; as an ordinary user, every file is the caller's
 * (the container's root). A container of an image must map ids as {@link Image#idMapping()} says.
 */
public final class ImageStore {
  private static final String MAPPING_FILE = "id-mapping";

  /** The default bounds of what one layer may unpack to: 16 GiB, a million entries, 256 path components. */
  public static final long DEFAULT_MAX_LAYER_BYTES = 16L << 30;
  public static final long DEFAULT_MAX_LAYER_ENTRIES = 1_000_000;
  public static final int DEFAULT_MAX_PATH_DEPTH = 256;

  private final Path directory;
  private final IdMapping mapping;
  private final Ownership ownership;
  private final UnpackLimits limits;
  private final Registries registries;

  private ImageStore(Path directory, IdMapping mapping, Ownership ownership, UnpackLimits limits, Registries registries) {
    this.directory = directory;
    this.mapping = mapping;
    this.ownership = ownership;
    this.limits = limits;
    this.registries = registries;
  }

  /**
   * This store, unpacking each layer to at most {@code maxBytes} of file content, {@code
   * maxEntries} entries and {@code maxDepth} path components (defaults: {@value
   * #DEFAULT_MAX_LAYER_BYTES} bytes, {@value #DEFAULT_MAX_LAYER_ENTRIES} entries, {@value
   * #DEFAULT_MAX_PATH_DEPTH} components): a layer beyond them is refused whole, so that a small
   * compressed layer cannot fill the disk.
   */
  public ImageStore withUnpackLimits(long maxBytes, long maxEntries, int maxDepth) {
    return new ImageStore(directory, mapping, ownership, new UnpackLimits(maxBytes, maxEntries, maxDepth, limits.deviceNodes()),
        registries);
  }

  /**
   * This store, unpacking device nodes as root for trusted images. By default a layer with a
   * device node (other than an overlay whiteout) is refused: a container's /dev is Isola's own, and
   * a node in the store is a live device file on the host.
   */
  public ImageStore allowingDeviceNodes() {
    return new ImageStore(directory, mapping, ownership, new UnpackLimits(limits.maxBytes(), limits.maxEntries(), limits.maxDepth(), true),
        registries);
  }

  /**
   * This store, pulling from {@code registry} ({@code host[:port]} as references name it, {@code
   * docker.io} for Docker Hub) with this user name and password (or a token the registry accepts
   * as a password) instead of those of docker's {@code config.json}.
   */
  public ImageStore withCredentials(String registry, String username, String password) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    return new ImageStore(directory, mapping, ownership, limits,
        registries.withCredentials(registry, new Registries.Credentials(username, password)));
  }

  /**
   * This store, speaking plain HTTP to {@code registry} ({@code host[:port]}). Without it only a
   * registry on this machine's loopback ({@code localhost}, {@code 127.0.0.1}) is spoken to in
   * plain HTTP; every other one must have HTTPS, since a tag's image is checked only by the digest
   * that its manifest gives.
   */
  public ImageStore allowingInsecureRegistry(String registry) {
    return new ImageStore(directory, mapping, ownership, limits, registries.withInsecure(Objects.requireNonNull(registry, "registry")));
  }

  /**
   * This store, reading registry credentials from the docker config file {@code configJson}
   * instead of {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}, or from none
   * when null. Only the file's {@code auths} are read: credential helpers are not run.
   */
  public ImageStore withDockerConfig(@Nullable Path configJson) {
    return new ImageStore(directory, mapping, ownership, limits, registries.withDockerConfig(configJson));
  }

  /**
   * The store in the system property {@code isola.image.store} if set, else {@code
   * $XDG_CACHE_HOME/isola/images}, else {@code $HOME/.cache/isola/images} when HOME is a writable
   * directory, else {@code isola-<uid>/images} in {@code java.io.tmpdir}; owned for {@link
   * IdMapping#automatic()}.
   */
  public static ImageStore defaultStore() {
    Path tmpdir = Path.of(System.getProperty("java.io.tmpdir"));
    return open(defaultDirectory(System.getProperty("isola.image.store"), System::getenv, tmpdir));
  }

  /** {@link #defaultStore()}'s directory, from the property, the environment and the temporary directory given. */
  static Path defaultDirectory(@Nullable String property, Function<String, @Nullable String> env, Path tmpdir) {
    if (property != null && !property.isEmpty()) {
      return Path.of(property);
    }
    String cache = env.apply("XDG_CACHE_HOME");
    if (cache != null && cache.startsWith("/")) {
      return Path.of(cache, "isola", "images");
    }
    String home = env.apply("HOME");
    if (home != null && home.startsWith("/") && Files.isDirectory(Path.of(home)) && Files.isWritable(Path.of(home))) {
      return Path.of(home, ".cache", "isola", "images");
    }
    Path shared = tmpdir.resolve("isola-" + LibC.INSTANCE.geteuid());
    try {
      Files.createDirectories(shared);
      Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the image store's parent " + shared, e);
    }
    // In a shared temp directory another user could have made it first, to read or plant layers.
    if (!ownedByCaller(shared)) {
      throw new ContainerException("the default image store's parent " + shared
          + " belongs to another user; set -Disola.image.store to a directory of your own");
    }
    return shared.resolve("images");
  }

  private static boolean ownedByCaller(Path p) {
    try {
      return ((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == LibC.INSTANCE.geteuid();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The store in {@code directory}, created if missing, owned for {@link IdMapping#automatic()}. */
  public static ImageStore open(Path directory) {
    return open(directory, IdMapping.automatic());
  }

  /**
   * The store in {@code directory} (created mode 0700 if missing) whose files are owned for {@code
   * mapping}, {@linkplain IdMapping#resolved() resolved} on this host.
   *
   * @throws ContainerException if the store was created for another mapping
   */
  public static ImageStore open(Path directory, IdMapping mapping) {
    Objects.requireNonNull(directory, "directory");
    IdMapping resolved = Objects.requireNonNull(mapping, "mapping").resolved();
    Path dir = directory.toAbsolutePath().normalize();
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir.getParent());
        try {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
          // another thread or process made it first
        }
      }
      checkPrivate(dir);
      for (String sub : List.of("layers", "images", "locks", "tmp")) {
        Files.createDirectories(dir.resolve(sub));
      }
      checkMapping(dir, resolved);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the image store " + dir, e);
    }
    return new ImageStore(dir, resolved, Ownership.forCaller(resolved), UnpackLimits.DEFAULTS, Registries.defaults());
  }

  /**
   * The store holds setuid programs and files of other ids: only its owner may reach into it. A
   * directory given as the store that others can enter is refused rather than made private, since
   * others may hold descriptors into it already.
   */
  private static void checkPrivate(Path dir) throws IOException {
    int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777;
    if (uid != LibC.INSTANCE.geteuid() || (mode & 077) != 0) {
      throw new ContainerException("the image store " + dir + " is " + (uid != LibC.INSTANCE.geteuid() ? "owned by uid " + uid
          + ", not by this user (uid " + LibC.INSTANCE.geteuid() + ")" : "reachable by others (mode " + Integer.toOctalString(mode) + ")")
          + ": it holds setuid programs and files of other users; give a directory of your own with mode 700"
          + " (chmod 700 " + dir + "), or a path that does not exist yet");
    }
  }

  private static void checkMapping(Path dir, IdMapping resolved) throws IOException {
    String wanted = describe(resolved);
    Path file = dir.resolve(MAPPING_FILE);
    try (FileLock lock = FileLock.acquire(dir.resolve("locks").resolve(MAPPING_FILE))) {
      if (!Files.exists(file)) {
        Files.writeString(file, wanted, StandardCharsets.UTF_8);
      }
    }
    String recorded = Files.readString(file, StandardCharsets.UTF_8);
    if (!recorded.equals(wanted)) {
      throw new ContainerException("image store " + dir + " holds files owned for the id mapping\n" + recorded
          + "not for\n" + wanted + "open it with that mapping, or use another directory");
    }
  }

  private static String describe(IdMapping m) {
    return m.uids().stream().map(r -> "uid " + r.containerId() + " " + r.hostId() + " " + r.count() + "\n")
        .collect(Collectors.joining())
        + m.gids().stream().map(r -> "gid " + r.containerId() + " " + r.hostId() + " " + r.count() + "\n")
        .collect(Collectors.joining());
  }

  public Path directory() {
    return directory;
  }

  /** The resolved id mapping the store's files are owned for. */
  public IdMapping idMapping() {
    return mapping;
  }

  /**
   * Imports the image at {@code source}: an OCI image layout directory, an OCI layout tar, or a
   * docker-archive tar, told apart by their content. Verifies the manifest, the config and every
   * layer it unpacks against their digests, and unpacks each layer not already in the store. A
   * layer that fails verification, or has an entry that would leave its directory, is refused
   * whole, and nothing of it is kept.
   *
   * @throws ContainerException if the image is malformed, fails verification or is unsafe
   * @throws UncheckedIOException if reading the source or writing the store fails
   */
  public Image load(Path source) {
    Objects.requireNonNull(source, "source");
    return load(source, () -> ImageArchive.open(source), null);
  }

  /**
   * Imports the image named {@code reference} of the OCI layout at {@code source}, which may hold
   * several: the one whose {@code org.opencontainers.image.ref.name} is {@code reference} or its
   * tag ({@code busybox:1.36} finds the image named {@code 1.36}, as umoci and skopeo name them).
   * The image's {@link Image#reference()} is {@code reference}.
   *
   * @throws ContainerException if no image there has that name (the message lists the names)
   */
  public Image load(Path source, String reference) {
    Objects.requireNonNull(source, "source");
    return load(source, () -> ImageArchive.open(source), Objects.requireNonNull(reference, "reference"));
  }

  private Image load(Path source, ArchiveOpener opener, @Nullable String reference) {
    try {
      return importImage(opener, reference);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the image " + source + " into " + directory + ": " + e.getMessage(), e);
    }
  }

  /**
   * Pulls the image {@code reference} ({@code [registry[:port]/]repository[:tag|@sha256:digest]})
   * from its registry: a short Docker Hub name ({@code busybox:1.36}) is {@code
   * docker.io/library/busybox:1.36}, as with docker. The manifest is resolved for this host's
   * platform when it is an index; the config and every layer are verified by digest as they are
   * streamed, layers three at a time, and unpacked as {@link #load(Path)} does. Layers already in
   * the store are not downloaded, nor is anything but the manifest when the store has the whole
   * image. A pull that fails, or is cut off, leaves no part of a layer in the store.
   *
   * <p>Credentials are those given to {@link #withCredentials}, else those of docker's {@code
   * config.json}, else none (anonymous, with a bearer token where the registry hands one out).
   * HTTPS, except for a loopback registry or one {@linkplain #allowingInsecureRegistry allowed}.
   * The image's {@link Image#reference()} is the full reference ({@code docker.io/library/…}).
   *
   * @throws ImagePullException naming the reference, the registry's words and what to do, if the
   *     reference is malformed, the registry is unreachable, has no such image, refuses access, or
   *     sends content that fails verification
   */
  public Image pull(String reference) {
    return pull(reference, PullListener.none());
  }

  /** {@link #pull(String)}, telling {@code listener} how each blob downloads. */
  public Image pull(String reference, PullListener listener) {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(listener, "listener");
    Reference ref = Reference.parse(reference);
    RegistryClient client = new RegistryClient(ref, registries);
    try {
      return importImage(() -> new RegistryArchive(ref, client, listener), ref.canonical());
    } catch (ImagePullException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      String why = e instanceof IOException ? RegistryClient.describe((IOException) e) : e.getMessage();
      throw new ImagePullException(reference, 0, "cannot pull " + ref + " into " + directory + ": " + why, e);
    }
  }

  /** Opens an image source; a registry's opening fetches its manifest. */
  private interface ArchiveOpener {
    ImageArchive open() throws IOException;
  }

  private Image importImage(ArchiveOpener opener, @Nullable String reference) throws IOException {
    try (ImageArchive archive = opener.open()) {
      ImageManifest manifest = ImageManifest.read(archive, archive instanceof RegistryArchive ? null : reference);
      Image stored = stored(manifest.configDigest, reference);
      if (stored != null) {
        return stored;
      }
      String image = "image sha256:" + manifest.configDigest + " from " + archive.source;
      ImageConfig config = ImageConfig.parse("config of " + image, ImageManifest.object(archive, "config", manifest.config(archive)));
      if (config.diffIds.size() != manifest.layers.size()) {
        throw new ContainerException(image + ": its manifest lists " + manifest.layers.size()
            + " layers, its config " + config.diffIds.size() + " diff_ids");
      }
      try (Scratch scratch = Scratch.create(tmp(), config.diffIds)) {
        List<Path> layers = layers(archive, manifest, config, scratch);
        ImageRecord record = ImageRecord.of(manifest.configDigest, config, ImageUser.resolve(config.user, layers, image));
        Image loaded;
        try {
          loaded = record.toImage(layersDir(), mapping, reference);
        } catch (IllegalArgumentException e) {
          throw new ContainerException(image + ": " + e.getMessage(), e);
        }
        record.write(directory.resolve("images").resolve(manifest.configDigest + ".json"), scratch.dir());
        return loaded;
      }
    }
  }

  /**
   * The image {@code configDigest} if the store has it whole, its record and every layer: then
   * nothing needs reading (or downloading) again. A record's layers stay until it is removed.
   */
  private @Nullable Image stored(String configDigest, @Nullable String reference) throws IOException {
    Path file = directory.resolve("images").resolve(configDigest + ".json");
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    ImageRecord record = ImageRecord.read(file);
    for (String layer : record.layers) {
      if (!Files.isDirectory(layersDir().resolve(layer), LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
    }
    return record.toImage(layersDir(), mapping, reference);
  }

  /** The image's layer directories, lowest first, unpacking the missing ones as many at once as the source allows. */
  private List<Path> layers(ImageArchive archive, ImageManifest manifest, ImageConfig config, Scratch scratch) throws IOException {
    int count = config.diffIds.size();
    if (archive.parallelism() <= 1) {
      List<Path> layers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        layers.add(layer(archive, manifest.layers.get(i), config.diffIds.get(i), scratch));
      }
      return layers;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(archive.parallelism(), count), runnable -> {
      Thread t = new Thread(runnable, "isola-pull");
      t.setDaemon(true);
      return t;
    });
    try {
      // One task per distinct layer: an image may repeat one (an empty layer), and it unpacks once.
      Map<String, Future<Path>> tasks = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        ImageManifest.Layer blob = manifest.layers.get(i);
        String diffId = config.diffIds.get(i);
        tasks.computeIfAbsent(diffId, d -> pool.submit(() -> layer(archive, blob, d, scratch)));
      }
      Throwable failure = null;
      Map<String, Path> done = new HashMap<>();
      for (Map.Entry<String, Future<Path>> task : tasks.entrySet()) {
        try {
          done.put(task.getKey(), task.getValue().get());
        } catch (ExecutionException e) {
          failure = failure == null ? e.getCause() : failure;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          pool.shutdownNow();
          throw new ContainerException("interrupted while fetching the layers of " + archive.source, e);
        }
      }
      if (failure instanceof IOException) {
        throw (IOException) failure;
      }
      if (failure instanceof RuntimeException) {
        throw (RuntimeException) failure;
      }
      if (failure != null) {
        throw new ContainerException("fetching a layer of " + archive.source + " failed: " + failure, failure);
      }
      List<Path> layers = new ArrayList<>();
      config.diffIds.forEach(d -> layers.add(done.get(d)));
      return layers;
    } finally {
      pool.shutdown();
    }
  }

  /** The layer's directory, unpacked now unless it already is. */
  private Path layer(ImageArchive archive, ImageManifest.Layer blob, String diffId, Scratch scratch) throws IOException {
    Path dir = layersDir().resolve(diffId);
    try (FileLock lock = FileLock.acquire(directory.resolve("locks").resolve(diffId))) {
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        return dir;
      }
      Path work = scratch.dir().resolve(diffId);
      Files.createDirectory(work);
      try (InputStream in = archive.open(blob.path)) {
        LayerUnpacker.unpack(in, blob.digest, diffId, work, ownership, limits, blob.describe() + " (diff_id sha256:" + diffId + ")");
        // Renamed whole into place: no reader ever sees half a layer.
        Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException e) {
        throw new ContainerException("image " + archive.source + " has no file " + blob.path + " for " + blob.describe(), e);
      } finally {
        Trees.delete(work);
      }
      return dir;
    }
  }

  /** The images loaded into this store, by id. */
  public List<Image> images() {
    List<Image> images = new ArrayList<>();
    try (DirectoryStream<Path> records = Files.newDirectoryStream(directory.resolve("images"), "*.json")) {
      for (Path record : records) {
        images.add(ImageRecord.read(record).toImage(layersDir(), mapping, null));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the images of " + directory, e);
    }
    images.sort((a, b) -> a.id().compareTo(b.id()));
    return images;
  }

  /**
   * Forgets {@code image}: it is no longer listed, and {@link #gc()} removes the layers no other
   * image has. Nothing happens if the store does not have it. Containers running from it are not
   * disturbed until gc runs.
   */
  public void remove(Image image) {
    String hex = Sha256.hexOf("image", image.id());
    try {
      Files.deleteIfExists(directory.resolve("images").resolve(hex + ".json"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the image " + image.id() + " from " + directory, e);
    }
  }

  /**
   * Removes the unpacked layers that no image of the store has, and what dead processes left in
   * its working directory. Layers that a load in progress (in any process) needs are kept.
   *
   * @return the number of layers removed
   */
  public long gc() {
    long removed = 0;
    try {
      Set<String> candidates = new HashSet<>();
      try (DirectoryStream<Path> layers = Files.newDirectoryStream(layersDir())) {
        layers.forEach(l -> candidates.add(l.getFileName().toString()));
      }
      for (String layer : candidates) {
        try (FileLock lock = FileLock.acquire(directory.resolve("locks").resolve(layer))) {
          // Checked under the layer's lock: a load pins its layers before it takes their locks.
          if (referenced().contains(layer)) {
            continue;
          }
          try (Scratch trash = Scratch.create(tmp(), List.of())) {
            Files.move(layersDir().resolve(layer), trash.dir().resolve(layer), StandardCopyOption.ATOMIC_MOVE);
          }
          removed++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot collect garbage in the image store " + directory, e);
    }
    return removed;
  }

  /** The layers that an image record has, or a live load pins; also sweeps dead loads' scratch. */
  private Set<String> referenced() throws IOException {
    Set<String> referenced = Scratch.sweep(tmp());
    try (DirectoryStream<Path> records = Files.newDirectoryStream(directory.resolve("images"), "*.json")) {
      for (Path record : records) {
        referenced.addAll(ImageRecord.read(record).layers);
      }
    }
    return referenced;
  }

  private Path layersDir() {
    return directory.resolve("layers");
  }

  private Path tmp() {
    return directory.resolve("tmp");
  }

  @Override
  public String toString() {
    return "ImageStore{" + directory + ", " + mapping + "}";
  }
}
