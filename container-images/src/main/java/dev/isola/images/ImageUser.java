package dev.isola.images;

import dev.isola.ContainerException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The image's {@code User} ("", "name", "uid", "uid:gid", "name:group"…) as numbers, with the
 * {@code /etc/passwd} and {@code /etc/group} a container of the image sees: the file of the
 * topmost layer that has it, unless a whiteout or an opaque directory above hides it.
 */
final class ImageUser {
  final long uid;
  final long gid;

  private ImageUser(long uid, long gid) {
    this.uid = uid;
    this.gid = gid;
  }

  /** {@code layers} lowest first. */
  static ImageUser resolve(String user, List<Path> layers, String image) throws IOException {
    if (user.isEmpty()) {
      return new ImageUser(0, 0);
    }
    int colon = user.indexOf(':');
    String name = colon < 0 ? user : user.substring(0, colon);
    Optional<String[]> passwd = find(layers, "passwd", name, 4);
    long uid = passwd.isPresent() ? id(passwd.get()[2], user, image) : numeric(name, "user", user, image);
    if (colon < 0) {
      // A numeric uid that /etc/passwd does not list runs with gid 0, as Docker does.
      return new ImageUser(uid, passwd.isPresent() ? id(passwd.get()[3], user, image) : 0);
    }
    String group = user.substring(colon + 1);
    Optional<String[]> entry = find(layers, "group", group, 3);
    return new ImageUser(uid, entry.isPresent() ? id(entry.get()[2], user, image) : numeric(group, "group", user, image));
  }

  private static long numeric(String name, String what, String user, String image) {
    if (!name.matches("[0-9]{1,10}")) {
      throw new ContainerException(image + ": its config's User \"" + user + "\" names the " + what + " \"" + name
          + "\", which the image's /etc/" + (what.equals("user") ? "passwd" : "group") + " does not list");
    }
    return id(name, user, image);
  }

  private static long id(String number, String user, String image) {
    try {
      long id = Long.parseLong(number);
      if (id >= 0 && id < 0xFFFF_FFFFL) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below, with the rest
    }
    throw new ContainerException(image + ": its config's User \"" + user + "\" has the invalid id \"" + number + "\"");
  }

  /** The line of /etc/{@code file} whose first field is {@code name}, split on ':'. */
  private static Optional<String[]> find(List<Path> layers, String file, String name, int fieldsNeeded) throws IOException {
    Optional<Path> path = mergedFile(layers, List.of("etc", file));
    if (path.isEmpty()) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(path.get(), StandardCharsets.UTF_8)) {
      String[] fields = line.split(":", -1);
      if (fields.length >= fieldsNeeded && fields[0].equals(name)) {
        return Optional.of(fields);
      }
    }
    return Optional.empty();
  }

  /** The regular file at {@code parts} in the merged layers, never through a link. */
  static Optional<Path> mergedFile(List<Path> layers, List<String> parts) throws IOException {
    for (int i = layers.size() - 1; i >= 0; i--) {
      Path p = layers.get(i);
      for (int k = 0; k < parts.size(); k++) {
        p = p.resolve(parts.get(k));
        BasicFileAttributes a = attributes(p);
        if (a == null) {
          if (k > 0 && isOpaque(p.getParent())) {
            return Optional.empty();
          }
          break; // not in this layer: look in the one below
        }
        if (a.isOther() || a.isSymbolicLink() || (k < parts.size() - 1 && !a.isDirectory())) {
          return Optional.empty(); // a whiteout, a link we will not follow, or a file hiding the path
        }
        if (k == parts.size() - 1) {
          return a.isRegularFile() ? Optional.of(p) : Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private static @Nullable BasicFileAttributes attributes(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static boolean isOpaque(Path dir) throws IOException {
    UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    if (!xattrs.list().contains("overlay.opaque")) {
      return false;
    }
    ByteBuffer value = ByteBuffer.allocate(xattrs.size("overlay.opaque"));
    xattrs.read("overlay.opaque", value);
    return new String(value.array(), 0, value.position(), StandardCharsets.US_ASCII).equals("y");
  }
}
