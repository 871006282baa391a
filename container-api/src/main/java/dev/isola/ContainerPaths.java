package dev.isola;

import java.util.ArrayDeque;
import java.util.Deque;

/** Checks paths inside a container: absolute, no {@code ..}, normalized. */
final class ContainerPaths {
  private ContainerPaths() {}

  /** Returns {@code path} normalized, or throws naming {@code what} and the bad value. */
  static String requireAbsolute(String what, String path) {
    if (path == null) {
      throw new NullPointerException(what);
    }
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException(what + " must be an absolute path inside the container: \"" + path + "\"");
    }
    if (path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " contains a NUL character: \"" + path.replace("\0", "\\0") + "\"");
    }
    Deque<String> parts = new ArrayDeque<>();
    for (String part : path.split("/")) {
      if (part.equals("..")) {
        throw new IllegalArgumentException(what + " must not contain \"..\" (it could leave the container's root): \"" + path + "\"");
      }
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return "/" + String.join("/", parts);
  }

  /** Whether {@code path} is {@code dir} or lies beneath it; both normalized. */
  static boolean isWithin(String path, String dir) {
    return path.equals(dir) || dir.equals("/") || path.startsWith(dir + "/");
  }
}
