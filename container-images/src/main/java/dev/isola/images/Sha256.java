package dev.isola.images;

import dev.isola.ContainerException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** SHA-256 digests as images name them: {@code sha256:} and 64 lowercase hex digits. */
final class Sha256 {
  private static final Pattern DIGEST = Pattern.compile("sha256:([0-9a-f]{64})");

  private Sha256() {}

  /** The hex part of {@code digest}; anything but a sha256 digest is refused, naming {@code what}. */
  static String hexOf(String what, String digest) {
    Matcher m = DIGEST.matcher(digest);
    if (!m.matches()) {
      throw new ContainerException(what + " has digest \"" + digest + "\"; only sha256:<64 hex digits> is supported");
    }
    return m.group(1);
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  static String of(byte[] bytes) {
    MessageDigest d = newDigest();
    d.update(bytes);
    return hex(d);
  }

  static void verify(String what, String expectedHex, String actualHex) {
    if (!expectedHex.equals(actualHex)) {
      throw new ContainerException(what + " fails verification: expected sha256:" + expectedHex
          + ", but its content has sha256:" + actualHex);
    }
  }
}
