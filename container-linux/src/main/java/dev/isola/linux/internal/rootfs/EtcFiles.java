package dev.isola.linux.internal.rootfs;

import dev.isola.ContainerSpec;
import dev.isola.Mount;
import dev.isola.Network;
import dev.isola.linux.internal.net.UserModeHelper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files of {@code /etc} Isola writes for a container, as Docker and podman do: its hostname,
 * its hosts (localhost, its own name, the host's loopback when the network maps it), its resolver
 * when it has a network; and, in the default root, a {@code passwd} and {@code group} that hold
 * root, nobody and the container's user instead of the host's accounts.
 */
public final class EtcFiles {
  private EtcFiles() {}

  /** Path inside the container to content, leaving out those the caller mounts something on. */
  public static Map<String, String> of(ContainerSpec spec, Path hostRoot) {
    Map<String, String> files = new LinkedHashMap<>();
    if (spec.etcFiles()) {
      spec.hostname().ifPresent(h -> files.put("/etc/hostname", h + "\n"));
      files.put("/etc/hosts", hosts(spec, hostRoot));
      resolver(spec, hostRoot).ifPresent(r -> files.put("/etc/resolv.conf", r));
    }
    if (spec.rootfs().isEmpty() && spec.overlay().isEmpty()) {
      files.put("/etc/passwd", String.join("\n", passwd(spec, hostRoot)) + "\n");
      files.put("/etc/group", group(spec, hostRoot));
    }
    files.keySet().removeIf(path -> spec.mounts().stream().map(Mount::target)
        .anyMatch(t -> path.equals(t) || t.equals("/") || path.startsWith(t + "/")));
    return files;
  }

  /**
   * The default root's accounts: root, nobody, and the container's user under the host's name
   * for that uid (else {@code isola}), whose home is {@code /tmp}, the one directory it can write.
   */
  static List<String> passwd(ContainerSpec spec, Path hostRoot) {
    String root = "root:x:0:0:root:/root:/bin/sh";
    String nobody = "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";
    if (spec.uid() == 0 || spec.uid() == 65534) {
      return List.of(root, nobody);
    }
    String name = nameOf(hostRoot.resolve("etc/passwd"), spec.uid()).orElse("isola");
    return List.of(root, nobody, name + ":x:" + spec.uid() + ":" + spec.gid() + "::/tmp:/bin/sh");
  }

  private static String group(ContainerSpec spec, Path hostRoot) {
    StringBuilder group = new StringBuilder("root:x:0:\nnogroup:x:65534:\n");
    if (spec.gid() != 0 && spec.gid() != 65534) {
      group.append(nameOf(hostRoot.resolve("etc/group"), spec.gid()).orElse("isola")).append(":x:").append(spec.gid()).append(":\n");
    }
    return group.toString();
  }

  /** The name of the entry with this id (the third field) in a passwd or group file. */
  private static Optional<String> nameOf(Path file, long id) {
    try {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split(":", -1);
        if (f.length > 2 && f[2].equals(Long.toString(id)) && !f[0].isEmpty()) {
          return Optional.of(f[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // no such file on this host: the default name
    }
    return Optional.empty();
  }

  private static String hosts(ContainerSpec spec, Path hostRoot) {
    StringBuilder hosts = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    // with the UTS namespace shared, the name the container sees is the host's
    Optional<String> name = spec.hostname().isPresent() ? spec.hostname() : firstLine(hostRoot.resolve("proc/sys/kernel/hostname"));
    name.ifPresent(h -> hosts.append("127.0.1.1\t").append(h).append('\n'));
    if (spec.network().hostLoopbackAllowed()) {
      UserModeHelper.find().hostLoopbackAddress(hostRoot.resolve("proc/net/route"))
          .ifPresent(gw -> hosts.append(gw).append('\t').append(Network.HOST_NAME).append('\n'));
    }
    return hosts.toString();
  }

  /** pasta's resolver for a user-mode network, the host's for the host's network, none without one. */
  private static Optional<String> resolver(ContainerSpec spec, Path hostRoot) {
    switch (spec.network().mode()) {
      case USER_MODE:
        return Optional.of("nameserver " + UserModeHelper.find().dnsAddress() + "\n");
      case HOST:
        try {
          return Optional.of(Files.readString(hostRoot.resolve("etc/resolv.conf")));
        } catch (IOException | RuntimeException e) {
          return Optional.empty(); // the host has none: nor has the container
        }
      default:
        return Optional.empty();
    }
  }

  private static Optional<String> firstLine(Path file) {
    try {
      return Files.readAllLines(file).stream().findFirst().map(String::trim).filter(s -> !s.isEmpty());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
