package dev.isola.images;

import com.sun.jna.LastErrorException;
import dev.isola.ContainerException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Unpacks one layer tar into a directory in the form overlayfs takes with {@code userxattr}: a
 * whiteout {@code .wh.NAME} becomes a character device 0/0 named NAME, an opaque marker sets
 * {@code user.overlay.opaque=y} on its directory.
 *
 * <p>Every entry stays inside the directory: names with {@code ..} are refused, a leading {@code
 * /} is taken as relative, no path is resolved through a symbolic link (each existing component is
 * checked without following it), and hard links must point at a regular file unpacked earlier in
 * this layer. Extended attributes in PAX headers (such as {@code security.capability}) are not
 * restored: containers run with {@code no_new_privs}, under which file capabilities grant nothing.
 * Device nodes are created only as root (the overlay is mounted {@code nodev}, and the store is
 * private to its owner); an ordinary user cannot create them, so such a layer is refused.
 *
 * <p>Directories are created writable by their owner, and get their own mode and mtime when the
 * layer is complete, deepest first: a read-only directory would otherwise stop an ordinary user
 * from unpacking into it, and every file created in a directory changes its mtime.
 */
final class LayerUnpacker {
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  private static final int DEFAULT_DIR_MODE = 0755;

  /** The most of an entry's name an error message shows. */
  private static final int NAME_SHOWN = 200;

  private final Path root;
  private final Ownership owner;
  private final UnpackLimits limits;
  private final String layer;
  private long bytes;
  private long entries;
  /** Directories and the mode and mtime they get at the end (mtime null: leave it). */
  private final Map<Path, DirAttributes> directories = new LinkedHashMap<>();

  private static final class DirAttributes {
    final int mode;
    final @Nullable FileTime mtime;

    DirAttributes(int mode, @Nullable FileTime mtime) {
      this.mode = mode;
      this.mtime = mtime;
    }
  }

  private LayerUnpacker(Path root, Ownership owner, UnpackLimits limits, String layer) {
    this.root = root;
    this.owner = owner;
    this.limits = limits;
    this.layer = layer;
  }

  /**
   * Unpacks the layer blob {@code blob} (gzip or plain tar) into the empty directory {@code root}
   * and verifies it: the blob against {@code blobDigest} when known, its tar against {@code
   * diffId}. On failure, {@code root} may hold part of the layer; the caller deletes it.
   */
  static void unpack(InputStream blob, @Nullable String blobDigest, String diffId, Path root, Ownership owner,
      UnpackLimits limits, String layer) throws IOException {
    MessageDigest compressed = Sha256.newDigest();
    MessageDigest uncompressed = Sha256.newDigest();
    InputStream raw = new BufferedInputStream(new Digesting(blob, compressed), 1 << 16);
    InputStream tar = new Digesting(decompressed(raw, layer), uncompressed);
    try {
      new LayerUnpacker(root, owner, limits, layer).unpackAll(new TarArchiveInputStream(tar));
      // The tar reader stops at the end-of-archive marker; the digests cover every byte.
      tar.transferTo(OutputStream.nullOutputStream());
    } catch (IOException | ContainerException e) {
      // A damaged blob is best named by its digest, whatever the tar reader made of it.
      if (blobDigest != null) {
        raw.transferTo(OutputStream.nullOutputStream());
        try {
          Sha256.verify(layer + " (blob)", blobDigest, Sha256.hex(compressed));
        } catch (ContainerException mismatch) {
          mismatch.addSuppressed(e);
          throw mismatch;
        }
      }
      if (e instanceof ContainerException) {
        throw e;
      }
      throw new ContainerException(layer + " is not a valid tar: " + e.getMessage(), e);
    }
    raw.transferTo(OutputStream.nullOutputStream());
    if (blobDigest != null) {
      Sha256.verify(layer + " (blob)", blobDigest, Sha256.hex(compressed));
    }
    Sha256.verify(layer + " (uncompressed, against the config's diff_id)", diffId, Sha256.hex(uncompressed));
  }

  /** Digests every byte, skipped ones too: DigestInputStream lets skip() pass by the digest. */
  private static final class Digesting extends DigestInputStream {
    Digesting(InputStream in, MessageDigest digest) {
      super(in, digest);
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buffer = new byte[8192];
      long skipped = 0;
      while (skipped < n) {
        int read = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
        if (read < 0) {
          break;
        }
        skipped += read;
      }
      return skipped;
    }
  }

  private static InputStream decompressed(InputStream raw, String layer) throws IOException {
    raw.mark(4);
    byte[] magic = raw.readNBytes(4);
    raw.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get();
    }
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      throw new ContainerException(layer + " is zstd-compressed, which is not supported; gzip and plain tar layers are");
    }
    return raw;
  }

  private void unpackAll(TarArchiveInputStream in) throws IOException {
    // The layer's root is the container's "/" when it is the top layer: root's, unless the tar says.
    chown(root, 0, 0, ".");
    directories.put(root, new DirAttributes(DEFAULT_DIR_MODE, null));
    for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
      unpack(in, e);
    }
    List<Path> deepestFirst = new ArrayList<>(directories.keySet());
    deepestFirst.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path dir : deepestFirst) {
      DirAttributes a = directories.get(dir);
      Files.setAttribute(dir, "unix:mode", a.mode, LinkOption.NOFOLLOW_LINKS);
      if (a.mtime != null) {
        setMtime(dir, a.mtime);
      }
    }
  }

  private void unpack(InputStream in, TarArchiveEntry e) throws IOException {
    if (++entries > limits.maxEntries()) {
      throw refuse(e, "is past the store's limit of " + limits.maxEntries() + " entries a layer (ImageStore.withUnpackLimits)");
    }
    bytes += Math.max(0, e.getSize());
    if (bytes > limits.maxBytes()) {
      throw refuse(e, "takes the layer past the store's limit of " + limits.maxBytes() + " bytes (ImageStore.withUnpackLimits)");
    }
    List<String> parts = components(e.getName(), e);
    if (parts.size() > limits.maxDepth()) {
      throw refuse(e, "is " + parts.size() + " directories deep, past the store's limit of " + limits.maxDepth()
          + " (ImageStore.withUnpackLimits)");
    }
    if (parts.isEmpty()) {
      if (!e.isDirectory()) {
        throw refuse(e, "names the layer's root, and is not a directory");
      }
      chown(root, e);
      directories.put(root, new DirAttributes(e.getMode() & 07777, e.getLastModifiedTime()));
      return;
    }
    Path parent = directory(parts.subList(0, parts.size() - 1), e, true);
    String name = parts.get(parts.size() - 1);
    if (name.startsWith(WHITEOUT)) {
      whiteout(parent, name, e);
      return;
    }
    Path target = parent.resolve(name);
    if (e.isDirectory()) {
      if (!isDirectory(target)) {
        removeExisting(target);
        Files.createDirectory(target);
      }
      chown(target, e);
      directories.put(target, new DirAttributes(e.getMode() & 07777, e.getLastModifiedTime()));
      return;
    }
    if (e.isLink()) {
      hardLink(target, e);
      return;
    }
    removeExisting(target);
    if (e.isSymbolicLink()) {
      if (e.getLinkName().isEmpty()) {
        throw refuse(e, "is a symbolic link with an empty target");
      }
      Files.createSymbolicLink(target, Path.of(e.getLinkName()));
      chown(target, e);
      setMtime(target, e.getLastModifiedTime());
      return;
    }
    // Devices and FIFOs first: commons-compress takes any entry not named like a directory as a file.
    if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
      special(target, e);
      return;
    }
    if (!e.isFile()) {
      throw refuse(e, "has a type that is not supported");
    }
    Files.copy(in, target);
    chown(target, e);
    // After chown, which clears the setuid and setgid bits.
    Files.setAttribute(target, "unix:mode", e.getMode() & 07777, LinkOption.NOFOLLOW_LINKS);
    setMtime(target, e.getLastModifiedTime());
  }

  /**
   * A FIFO or device node. Java would open it to set its mode or mtime, which blocks on a FIFO and
   * may act on a device: its mode is set by path, and its mtime is left.
   */
  private void special(Path target, TarArchiveEntry e) throws IOException {
    if (e.isFIFO()) {
      mknod(target, LibC.S_IFIFO, 0, e);
    } else if (!owner.privileged()) {
      throw refuse(e, "is a device node, which an ordinary user cannot create");
    } else if (!limits.deviceNodes()) {
      throw refuse(e, "is a device node (" + (e.isCharacterDevice() ? "character" : "block") + " " + e.getDevMajor() + ":"
          + e.getDevMinor() + "): in the store it would be a live device file on the host, and a container's /dev is Isola's"
          + " own; remove it from the image, or load trusted images with ImageStore.allowingDeviceNodes()");
    } else {
      mknod(target, e.isCharacterDevice() ? LibC.S_IFCHR : LibC.S_IFBLK, LibC.makedev(e.getDevMajor(), e.getDevMinor()), e);
    }
    chown(target, e);
    libc("chmod", target, e, () -> LibC.INSTANCE.chmod(target.toString(), e.getMode() & 07777));
  }

  private void whiteout(Path parent, String name, TarArchiveEntry e) throws IOException {
    if (name.equals(OPAQUE)) {
      UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(parent, UserDefinedFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS);
      // Written as user.overlay.opaque: the name overlayfs reads when mounted with userxattr.
      xattrs.write("overlay.opaque", ByteBuffer.wrap("y".getBytes(StandardCharsets.US_ASCII)));
      return;
    }
    String hidden = name.substring(WHITEOUT.length());
    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..") || hidden.startsWith(WHITEOUT)) {
      throw refuse(e, "is a whiteout of \"" + hidden + "\", which names no entry of its directory");
    }
    Path target = parent.resolve(hidden);
    removeExisting(target);
    mknod(target, LibC.S_IFCHR, 0, e);
  }

  private void hardLink(Path target, TarArchiveEntry e) throws IOException {
    List<String> parts = components(e.getLinkName(), e);
    if (parts.isEmpty()) {
      throw refuse(e, "is a hard link to the layer's root");
    }
    Path existing = directory(parts.subList(0, parts.size() - 1), e, false).resolve(parts.get(parts.size() - 1));
    if (!Files.isRegularFile(existing, LinkOption.NOFOLLOW_LINKS)) {
      throw refuse(e, "is a hard link to \"" + e.getLinkName()
          + "\", which is not a regular file unpacked earlier in this layer");
    }
    if (existing.equals(target)) {
      throw refuse(e, "is a hard link to itself");
    }
    removeExisting(target);
    Files.createLink(target, existing);
  }

  /**
   * The directory at {@code parts} under the root, checked component by component without
   * following links; missing ones are created if {@code create}, else refused.
   */
  private Path directory(List<String> parts, TarArchiveEntry e, boolean create) throws IOException {
    Path dir = root;
    for (String part : parts) {
      dir = dir.resolve(part);
      BasicFileAttributes a = attributes(dir);
      if (a == null && create) {
        Files.createDirectory(dir);
        chown(dir, 0, 0, e.getName());
        directories.put(dir, new DirAttributes(DEFAULT_DIR_MODE, null));
      } else if (a == null) {
        throw refuse(e, "refers to \"" + e.getLinkName() + "\", which does not exist earlier in this layer");
      } else if (a.isSymbolicLink()) {
        throw refuse(e, "has a path through the symbolic link \"" + root.relativize(dir) + "\"");
      } else if (!a.isDirectory()) {
        throw refuse(e, "has a path through \"" + root.relativize(dir) + "\", which is not a directory");
      }
    }
    return dir;
  }

  /** The name's components: "." and empty ones dropped, so a leading "/" is relative. */
  private List<String> components(String name, TarArchiveEntry e) {
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        throw refuse(e, "has \"..\" in \"" + name + "\"");
      }
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return parts;
  }

  private static @Nullable BasicFileAttributes attributes(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static boolean isDirectory(Path p) {
    return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
  }

  /** A later entry replaces an earlier one of the same name, as tar does. */
  private void removeExisting(Path p) throws IOException {
    if (isDirectory(p)) {
      Trees.delete(p);
      directories.keySet().removeIf(d -> d.startsWith(p));
    } else {
      Files.deleteIfExists(p);
    }
  }

  private void chown(Path p, TarArchiveEntry e) throws IOException {
    chown(p, e.getLongUserId(), e.getLongGroupId(), e.getName());
  }

  private void chown(Path p, long uid, long gid, String name) throws IOException {
    if (owner.privileged()) {
      String entry = layer + ": entry \"" + name + "\"";
      Files.setAttribute(p, "unix:uid", (int) owner.hostUid(uid, entry), LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(p, "unix:gid", (int) owner.hostGid(gid, entry), LinkOption.NOFOLLOW_LINKS);
    }
  }

  private static void setMtime(Path p, FileTime mtime) throws IOException {
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(mtime, null, null);
  }

  private void mknod(Path p, int mode, long dev, TarArchiveEntry e) {
    libc("mknod", p, e, () -> LibC.INSTANCE.mknod(p.toString(), mode, dev));
  }

  private void libc(String call, Path p, TarArchiveEntry e, Runnable r) {
    try {
      r.run();
    } catch (LastErrorException x) {
      throw new ContainerException(layer + ": entry \"" + e.getName() + "\": " + call + " " + p + " failed: errno "
          + x.getErrorCode(), x);
    }
  }

  private ContainerException refuse(TarArchiveEntry e, String why) {
    String name = e.getName().length() > NAME_SHOWN ? e.getName().substring(0, NAME_SHOWN) + "…(" + e.getName().length() + " characters)"
        : e.getName();
    return new ContainerException(layer + " is refused: entry \"" + name + "\" " + why);
  }
}
