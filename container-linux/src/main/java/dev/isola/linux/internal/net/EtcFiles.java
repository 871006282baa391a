package dev.isola.linux.internal.net;

import dev.isola.ContainerSpec;
import dev.isola.Network;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The name service files a container with a user-mode network gets: its resolver, and its hosts. */
public final class EtcFiles {
  private EtcFiles() {}

  /** Path inside the container to content: {@code /etc/resolv.conf} and {@code /etc/hosts}. */
  public static Map<String, String> of(ContainerSpec spec) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("/etc/resolv.conf", "nameserver " + Network.DNS_ADDRESS + "\n");
    StringBuilder hosts = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    spec.hostname().ifPresent(h -> hosts.append("127.0.1.1\t").append(h).append('\n'));
    if (spec.network().hostLoopbackAllowed()) {
      // with its gateway mapped, pasta takes what the container sends there to the host's loopback
      defaultGateway(Path.of("/proc/net/route")).ifPresent(gw -> hosts.append(gw).append('\t').append(Network.HOST_NAME).append('\n'));
    }
    files.put("/etc/hosts", hosts.toString());
    return files;
  }

  /** The host's IPv4 default gateway, which pasta gives the container too. */
  static Optional<String> defaultGateway(Path routes) {
    try {
      List<String> lines = Files.readAllLines(routes);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 2 && f[1].equals("00000000")) {
          long gw = Long.parseLong(f[2], 16); // little-endian on every architecture Isola runs on
          return Optional.of((gw & 0xff) + "." + (gw >> 8 & 0xff) + "." + (gw >> 16 & 0xff) + "." + (gw >> 24 & 0xff));
        }
      }
    } catch (IOException | RuntimeException e) {
      // no route: the name is left out, and the container cannot reach the host's loopback
    }
    return Optional.empty();
  }
}
