package dev.isola.linux.internal.rootfs;

import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.FileCopy;
import dev.isola.Overlay;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.ProcessStart;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host side of a container whose root is an overlay: its lower directories, and a private
 * directory that holds the layer of {@linkplain ContainerSpec#files() copied files} and, for an
 * ephemeral overlay, the upper layer and overlayfs's work directory. Everything Isola makes here
 * belongs to the container's root, and is removed when the container is closed; what the
 * container wrote stays readable until then, for {@link #view()}.
 *
 * <p>The private directory lies on {@code /dev/shm} (a tmpfs: the container's writes cost memory charged to its cgroup,
 * and nothing reaches a disk) when the host has one; as root it is a {@link LayerTmpfs} of {@link
 * dev.isola.Limits#writableRootBytes()}, bounded, which leaves the host's mount table once the
 * container runs ({@link #detachFromHost()}). An ordinary user whose containers map more
 * ids than his own could not remove what they write there, so for them an ephemeral upper layer is
 * a tmpfs of that size inside the container, gone with it ({@link #upperInContainer}).
 *
 * <p>Directories are named {@code root-<jvm pid>-<jvm start time>-<n>}, so that the next JVM
 * removes those a killed one left ({@link #sweepStale}).
 */
public final class RootLayers {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static final Path BASE = base();
  private static final Set<PosixFilePermission> OWNER_ALL = PosixFilePermissions.fromString("rwx------");

  /** The lower directories, lowest first; the copied files' layer, if any, is the last. */
  public final List<Path> lower;
  /**
   * The directory holding {@code upper/} and {@code work/}; empty for a read-only root, or an
   * upper layer inside the container.
   */
  public final Optional<Path> upperParent;
  /** The upper layer is a tmpfs the launcher mounts inside the container. */
  public final boolean upperInContainer;
  private final Optional<Path> own;
  private final Optional<LayerTmpfs> tmpfs;

  private RootLayers(List<Path> lower, Optional<Path> upperParent, boolean upperInContainer, Optional<Path> own,
      Optional<LayerTmpfs> tmpfs) {
    this.lower = List.copyOf(lower);
    this.upperParent = upperParent;
    this.upperInContainer = upperInContainer;
    this.own = own;
    this.tmpfs = tmpfs;
  }

  /** Whether {@code spec}'s root is an overlay (an image, an overlay, or a rootfs under copied files). */
  public static boolean needed(ContainerSpec spec) {
    return spec.overlay().isPresent() || !spec.files().isEmpty();
  }

  /**
   * Makes the host side of {@code spec}'s overlay root: copies its files, creates its upper layer.
   * {@code rootIds} are the host uid and gid of the container's root, who must own them.
   */
  public static RootLayers prepare(ContainerSpec spec, long[] rootIds, boolean manyIdsRootless) {
    List<Path> lower = new ArrayList<>(spec.overlay().map(Overlay::lower).orElseGet(() -> List.of(spec.rootfs().orElseThrow())));
    boolean writable = !spec.readOnlyRootfs();
    Optional<Path> persistent = spec.overlay().flatMap(Overlay::upper);
    boolean upperInContainer = writable && persistent.isEmpty() && manyIdsRootless;
    boolean ownDir = !spec.files().isEmpty() || writable && persistent.isEmpty() && !upperInContainer;
    Path own = null;
    LayerTmpfs tmpfs = null;
    try {
      if (ownDir) {
        // the caller's alone: the container reaches the layers inside through descriptors
        own = Files.createDirectory(privateBase().resolve("root-" + ProcessStart.THIS_JVM + "-" + SEQUENCE.incrementAndGet()),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (LibC.geteuid() == 0) {
          tmpfs = LayerTmpfs.mount(own, spec.limits().writableRootBytes()); // only root may mount one
        }
      }
      if (!spec.files().isEmpty()) {
        Path files = makeDir(own.resolve("files"), "rwxr-xr-x", rootIds);
        RootView below = new RootView(reversed(lower));
        for (FileCopy f : spec.files()) {
          copyIn(f, files, below, rootIds);
        }
        lower.add(files);
      }
      Optional<Path> upperParent = Optional.empty();
      if (writable && !upperInContainer) {
        Path parent = persistent.orElse(own);
        Files.createDirectories(parent);
        Path top = lower.get(lower.size() - 1);
        // the upper layer's root is the container's "/": it takes the mode of the highest layer's
        makeDir(parent.resolve("upper"), PosixFilePermissions.toString(Files.getPosixFilePermissions(top)), rootIds);
        makeDir(parent.resolve("work"), "rwx------", rootIds);
        upperParent = Optional.of(parent);
      }
      return new RootLayers(lower, upperParent, upperInContainer, Optional.ofNullable(own), Optional.ofNullable(tmpfs));
    } catch (IOException | RuntimeException e) {
      if (tmpfs != null) {
        tmpfs.close();
      }
      if (own != null && Files.exists(own, NOFOLLOW)) {
        removeTree(own);
      }
      // the JDK keeps no errno: ENOSPC is known by strerror's words
      if (e instanceof IOException && e.getMessage() != null && e.getMessage().contains("No space left")) {
        throw new ContainerException("cannot copy the files into the container's root: together they are more than its"
            + " writable root holds (" + spec.limits().writableRootBytes() + " bytes); raise Limits.writableRootBytes", e);
      }
      throw e instanceof ContainerException ? (ContainerException) e
          : new ContainerException("cannot prepare the container's root layers: " + e.getMessage(), e);
    }
  }

  /**
   * Once the container runs (its mount namespace holds the layers), takes their tmpfs out of the
   * host's mount table; the JVM reads it on through its descriptor.
   */
  public void detachFromHost() {
    tmpfs.ifPresent(LayerTmpfs::detach);
  }

  /** The container's root as the host reads it: the upper layer over the lower ones. */
  public RootView view() {
    List<Path> layers = new ArrayList<>();
    upperParent.ifPresent(p -> layers.add(live(p.resolve("upper"))));
    reversed(lower).forEach(p -> layers.add(live(p)));
    return new RootView(layers);
  }

  /** Where the JVM reads a layer now: through the tmpfs's descriptor once it is detached. */
  private Path live(Path layer) {
    if (tmpfs.isPresent() && own.isPresent() && layer.startsWith(own.get())) {
      return tmpfs.get().root().resolve(own.get().relativize(layer).toString());
    }
    return layer;
  }

  /** Removes what Isola made for the container; the caller's persistent upper layer stays. */
  public void remove() {
    tmpfs.ifPresent(LayerTmpfs::close); // the kernel frees it all, once no overlay holds it
    own.filter(p -> Files.exists(p, NOFOLLOW)).ifPresent(RootLayers::removeTree); // a tmpfs's went with it
  }

  /** Removes the directories of JVMs that died without removing theirs. */
  public static void sweepStale() {
    Path dir = ownDirectory();
    if (!Files.isDirectory(dir, NOFOLLOW)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "root-*")) {
      for (Path e : entries) {
        String[] f = e.getFileName().toString().split("-");
        if (f.length == 4 && !f[2].equals(ProcessStart.of(Long.parseLong(f[1])))) {
          LayerTmpfs.unmountStale(e); // a JVM killed while it started a container, as root
          removeTree(e);
        }
      }
    } catch (IOException | RuntimeException e) {
      // another JVM's sweep, or not ours: the next sweep tries again
    }
  }

  /** Where this user's containers keep their root layers (made on first use). */
  public static Path ownDirectory() {
    return BASE.resolve("isola-" + LibC.geteuid());
  }

  private static Path privateBase() {
    return PrivateDir.in(BASE, "a container's overlay root");
  }

  private static Path base() {
    Path shm = Path.of("/dev/shm");
    try {
      if (Files.isDirectory(shm, NOFOLLOW) && Files.getFileStore(shm).type().equals("tmpfs")) {
        return shm;
      }
    } catch (IOException e) {
      // no /dev/shm to use
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /**
   * Copies {@code f} into the layer {@code layer}, which lies over {@code below}. A directory on
   * the way takes the mode and owner of the one it covers, so that the merged root looks the same
   * but for the copy; a file or link on the way is refused, since the directory made in its place
   * would hide it.
   */
  private static void copyIn(FileCopy f, Path layer, RootView below, long[] rootIds) throws IOException {
    String target = f.target();
    Path dir = layer;
    String inside = "";
    String[] names = target.substring(1).split("/");
    for (int i = 0; i < names.length - 1; i++) {
      inside += "/" + names[i];
      dir = dir.resolve(names[i]);
      if (Files.isDirectory(dir, NOFOLLOW)) {
        continue;
      }
      Optional<List<Path>> covered = below.find(inside);
      if (covered.isPresent() && !Files.isDirectory(covered.get().get(0), NOFOLLOW)) {
        throw new ContainerException("cannot copy to " + target + ": " + inside
            + " is a file or symbolic link in the root, not a directory; copy to the path it leads to");
      }
      if (covered.isPresent()) {
        PosixFileAttributes a = Files.readAttributes(covered.get().get(0), PosixFileAttributes.class, NOFOLLOW);
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, a.permissions());
        chown(dir, new long[] {(Integer) Files.getAttribute(covered.get().get(0), "unix:uid", NOFOLLOW),
            (Integer) Files.getAttribute(covered.get().get(0), "unix:gid", NOFOLLOW)});
      } else {
        makeDir(dir, "rwxr-xr-x", rootIds);
      }
    }
    Path to = dir.resolve(names[names.length - 1]);
    if (Files.exists(to, NOFOLLOW)) {
      removeTree(to); // a later copy to the same target wins
    }
    if (f.content().isPresent()) {
      Files.write(to, f.content().get(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      chown(to, rootIds);
      Files.setAttribute(to, "unix:mode", f.mode(), NOFOLLOW);
    } else {
      copyTree(f.source().orElseThrow(), to, rootIds);
    }
  }

  /** Copies a host tree without following its symbolic links; permission bits kept, owned by {@code ids}. */
  public static void copyTree(Path source, Path target, long[] ids) throws IOException {
    if (!Files.exists(source, NOFOLLOW)) {
      throw new ContainerException("cannot copy " + source + " into the container: it does not exist");
    }
    Files.walkFileTree(source, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Path to = target.resolve(source.relativize(dir).toString());
        Files.createDirectory(to);
        chown(to, ids);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Path to = target.resolve(source.relativize(file).toString());
        if (attrs.isSymbolicLink()) {
          Files.createSymbolicLink(to, Files.readSymbolicLink(file));
        } else if (attrs.isRegularFile()) {
          Files.copy(file, to, LinkOption.NOFOLLOW_LINKS);
        } else {
          throw new ContainerException("cannot copy " + file + " into the container: it is a device, socket or pipe");
        }
        chown(to, ids);
        if (!attrs.isSymbolicLink()) {
          Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(file, NOFOLLOW));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        // last, so that a read-only directory could still be filled
        Files.setPosixFilePermissions(target.resolve(source.relativize(dir).toString()), Files.getPosixFilePermissions(dir, NOFOLLOW));
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static Path makeDir(Path dir, String mode, long[] ids) throws IOException {
    Files.createDirectories(dir);
    chown(dir, ids);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
    return dir;
  }

  /** Only root changes owners; an ordinary user's files already belong to the container's root. */
  private static void chown(Path p, long[] ids) throws IOException {
    if (LibC.geteuid() == 0) {
      Files.setAttribute(p, "unix:uid", (int) ids[0], NOFOLLOW);
      Files.setAttribute(p, "unix:gid", (int) ids[1], NOFOLLOW);
    }
  }

  /**
   * Deletes a tree the container wrote into: never through a symbolic link, and never across a
   * mount (there are none here: the overlay lives in the container's mount namespace only). A
   * directory the container left without write permission is opened up first.
   */
  static void removeTree(Path root) {
    try {
      delete(root);
    } catch (IOException e) {
      throw new ContainerException("cannot remove " + root + ": " + e, e);
    }
  }

  private static void delete(Path p) throws IOException {
    if (Files.isDirectory(p, NOFOLLOW)) {
      // overlayfs leaves its work/work at mode 000: the owner opens it up to empty it
      if (!Files.getPosixFilePermissions(p, NOFOLLOW).containsAll(OWNER_ALL)) {
        Files.setPosixFilePermissions(p, OWNER_ALL);
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
        for (Path e : entries) {
          delete(e);
        }
      }
    }
    Files.delete(p);
  }

  public static List<Path> reversed(List<Path> lowestFirst) {
    List<Path> r = new ArrayList<>(lowestFirst);
    Collections.reverse(r);
    return r;
  }
}
