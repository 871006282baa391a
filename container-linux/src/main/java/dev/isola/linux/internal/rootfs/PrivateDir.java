package dev.isola.linux.internal.rootfs;

import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code isola-<uid>} in a shared directory such as {@code /tmp}: made by this user, mode 0700,
 * and refused when someone else made it first (a planted directory or symlink would let them
 * swap what Isola puts there).
 */
public final class PrivateDir {
  private PrivateDir() {}

  public static Path in(Path shared, String purpose) {
    Path dir = shared.resolve("isola-" + LibC.geteuid());
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
      if (owner != LibC.geteuid() || !perms.endsWith("------")) {
        throw new UnsupportedFeatureException(purpose,
            dir + " is not a private directory of uid " + LibC.geteuid() + " (owner " + owner + ", " + perms + ")");
      }
      return dir;
    } catch (IOException e) {
      throw new UnsupportedFeatureException(purpose, "cannot make the private directory " + dir + ": " + e);
    }
  }
}
