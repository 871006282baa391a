package dev.isola.linux.internal.rootfs;

import dev.isola.ContainerSpec;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@linkplain ContainerSpec#loginEnv() login variables} of a container, as {@code login} or
 * runc would set them: from the user's entry in the root's {@code /etc/passwd}, the root's
 * locales, whether there is a terminal.
 */
public final class LoginEnv {
  /** Where glibc looks for the compiled C.UTF-8 locale (Debian, Ubuntu, Fedora name it so). */
  private static final List<String> C_UTF8 = List.of("/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8");

  private LoginEnv() {}

  /**
   * The value of each of {@code spec}'s login variables this container can be given; {@code
   * hostRoot} is the host's root, whose directories the default root shows.
   */
  public static Map<String, String> of(ContainerSpec spec, Path hostRoot, boolean tty) {
    Map<String, String> env = new LinkedHashMap<>();
    if (spec.loginEnv().isEmpty()) {
      return env;
    }
    boolean defaultRoot = spec.rootfs().isEmpty() && spec.overlay().isEmpty();
    Optional<RootFiles> root = defaultRoot ? Optional.empty() : Optional.of(RootFiles.of(spec));
    List<String> passwd = root.map(r -> r.readLines("/etc/passwd").orElse(List.of()))
        .orElseGet(() -> EtcFiles.passwd(spec, hostRoot));
    Optional<String[]> entry = passwd.stream().map(l -> l.split(":", -1))
        .filter(f -> f.length >= 7 && f[2].equals(Long.toString(spec.uid())) && !f[0].isEmpty()).findFirst();
    // a home the root lacks is no home: /tmp is a directory every container can write; the
    // default root has /root too (a tmpfs of its own, see RootPhase)
    String home = entry.map(f -> f[5]).filter(h -> h.startsWith("/"))
        .filter(h -> root.map(r -> r.isDirectory(h)).orElse(h.equals("/root"))).orElse("/tmp");
    put(env, spec, "HOME", home);
    entry.ifPresent(f -> {
      put(env, spec, "USER", f[0]);
      put(env, spec, "LOGNAME", f[0]);
    });
    boolean utf8 = C_UTF8.stream().anyMatch(l -> root.map(r -> r.isDirectory(l))
        .orElseGet(() -> Files.isDirectory(hostRoot.resolve(l.substring(1)), LinkOption.NOFOLLOW_LINKS)));
    if (utf8) {
      put(env, spec, "LANG", "C.UTF-8");
    }
    if (tty) {
      put(env, spec, "TERM", "xterm"); // what a program on a terminal looks for, as docker run -t sets it
    }
    return env;
  }

  private static void put(Map<String, String> env, ContainerSpec spec, String name, String value) {
    if (spec.loginEnv().contains(name)) {
      env.put(name, value);
    }
  }
}
