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

  /**
   * {@code text} fit for an error message: control characters, backslashes and quotes escaped
   * ({@code \\n}, {@code \\0}, {@code \\x1b}), and past 200 characters cut with an ellipsis, so
   * that a hostile value can neither forge lines of a log nor flood it.
   */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    int limit = Math.min(text.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\': out.append("\\\\"); break;
        case '"': out.append("\\\""); break;
        case '\n': out.append("\\n"); break;
        case '\t': out.append("\\t"); break;
        case '\r': out.append("\\r"); break;
        case '\0': out.append("\\0"); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\x%02x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    if (text.length() > limit) {
      out.append("…(").append(text.length()).append(" characters)");
    }
    return out.toString();
  }

  /** Whether {@code path} is {@code dir} or lies beneath it; both normalized. */
  static boolean isWithin(String path, String dir) {
    return path.equals(dir) || dir.equals("/") || path.startsWith(dir + "/");
  }
}
