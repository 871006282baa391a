package dev.isola.images;

import dev.isola.ContainerException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * The files of an image source by their path inside it ({@code index.json}, {@code
 * blobs/sha256/…}): a directory, a tar read in place without extracting it, or a registry.
 */
abstract class ImageArchive implements AutoCloseable {
  /** Manifests, indexes and configs are small; a larger one is refused rather than read into memory. */
  static final int MAX_METADATA_BYTES = 8 << 20;

  /** What the source is called in messages: its path, or the image reference. */
  final String source;

  ImageArchive(String source) {
    this.source = source;
  }

  static ImageArchive open(Path source) throws IOException {
    if (Files.isDirectory(source)) {
      return new Directory(source);
    }
    if (!Files.isRegularFile(source)) {
      throw new ContainerException("image source " + source + " is neither a directory nor a file");
    }
    try (InputStream in = Files.newInputStream(source)) {
      byte[] magic = in.readNBytes(2);
      if (magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
        throw new ContainerException("image source " + source + " is gzip-compressed; decompress it first (gunzip)");
      }
    }
    return new Tar(source);
  }

  abstract boolean has(String path) throws IOException;

  /** @throws NoSuchFileException if there is no file at {@code path} */
  abstract InputStream open(String path) throws IOException;

  /** The whole file at {@code path}, which must be small. */
  byte[] read(String path) throws IOException {
    try (InputStream in = open(path)) {
      return readSmall(in, path);
    }
  }

  byte[] readSmall(InputStream in, String what) throws IOException {
    byte[] bytes = in.readNBytes(MAX_METADATA_BYTES + 1);
    if (bytes.length > MAX_METADATA_BYTES) {
      throw new ContainerException("image " + source + ": " + what + " is larger than " + MAX_METADATA_BYTES + " bytes");
    }
    return bytes;
  }

  /** The manifest or index {@code digest} (hex), unverified: a layout keeps it as a blob. */
  byte[] manifest(String digest) throws IOException {
    return read(ImageManifest.blobPath(digest));
  }

  /** How many layers may be fetched from this source at once. */
  int parallelism() {
    return 1;
  }

  @Override
  public abstract void close() throws IOException;

  private static final class Directory extends ImageArchive {
    private final Path root;

    Directory(Path root) {
      super(root.toString());
      this.root = root;
    }

    @Override
    boolean has(String path) {
      return Files.isRegularFile(root.resolve(path));
    }

    @Override
    InputStream open(String path) throws IOException {
      return Files.newInputStream(root.resolve(path));
    }

    @Override
    public void close() {}
  }

  private static final class Tar extends ImageArchive {
    /** docker save writes a layer shared by two images once, and a symlink to it for the other. */
    private static final int MAX_SYMLINKS = 8;

    private final TarFile tar;
    private final Map<String, TarArchiveEntry> entries = new HashMap<>();

    Tar(Path source) throws IOException {
      super(source.toString());
      try {
        this.tar = new TarFile(source);
      } catch (IOException e) {
        throw new ContainerException("image source " + source + " is not a tar archive (" + e.getMessage() + ")", e);
      }
      for (TarArchiveEntry e : tar.getEntries()) {
        if (e.isFile() || e.isSymbolicLink()) {
          entries.put(normalize(e.getName()), e);
        }
      }
    }

    /**
     * The archive path as a key: leading "./" and "/" gone, ".." taken back. These names only
     * look up entries of this archive; they never become host paths.
     */
    private static String normalize(String name) {
      Deque<String> parts = new ArrayDeque<>();
      for (String part : name.split("/")) {
        if (part.equals("..")) {
          parts.pollLast();
        } else if (!part.isEmpty() && !part.equals(".")) {
          parts.addLast(part);
        }
      }
      return String.join("/", parts);
    }

    private TarArchiveEntry entry(String path) throws NoSuchFileException {
      String name = normalize(path);
      for (int i = 0; i <= MAX_SYMLINKS; i++) {
        TarArchiveEntry e = entries.get(name);
        if (e == null) {
          throw new NoSuchFileException(source + "!/" + name);
        }
        if (!e.isSymbolicLink()) {
          return e;
        }
        String link = e.getLinkName();
        int slash = name.lastIndexOf('/');
        name = normalize(link.startsWith("/") || slash < 0 ? link : name.substring(0, slash) + "/" + link);
      }
      throw new ContainerException("image " + source + ": too many symbolic links from " + path);
    }

    @Override
    boolean has(String path) {
      try {
        entry(path);
        return true;
      } catch (NoSuchFileException e) {
        return false;
      }
    }

    @Override
    InputStream open(String path) throws IOException {
      return tar.getInputStream(entry(path));
    }

    @Override
    public void close() throws IOException {
      tar.close();
    }
  }
}
