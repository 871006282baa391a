package dev.isola.linux.internal.net;

import dev.isola.HostReport;
import dev.isola.Network;
import dev.isola.UnsupportedFeatureException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * pasta (passt project), the user-mode network stack of a {@link Network#userMode()} container:
 * where it is, the command line the launch server starts it with, and the host ports it binds.
 */
public final class Pasta {
  private static final List<String> DIRS = List.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin");

  private Pasta() {}

  /** Where pasta was found; looked for again only while it is not (it may be installed meanwhile). */
  private static volatile Path found;

  /** The pasta binary on this host, if there is one. */
  static Optional<Path> locate() {
    Path known = found;
    if (known == null) {
      onPath("pasta").ifPresent(p -> found = p);
    }
    return Optional.ofNullable(found);
  }

  /** For {@code Container.doctor()}: the helper a user-mode network gets, /dev/net/tun, and each stack. */
  public static List<HostReport.Check> checks(int euid) {
    List<HostReport.Check> checks = new ArrayList<>();
    String network = "user-mode network";
    try {
      UserModeHelper helper = UserModeHelper.find();
      checkTun(euid);
      checks.add(new HostReport.Check(network, HostReport.Status.AVAILABLE, helper.binary + ", /dev/net/tun usable"));
    } catch (UnsupportedFeatureException e) {
      checks.add(new HostReport.Check(network, HostReport.Status.UNAVAILABLE, e.getMessage()));
    }
    Optional<Path> pasta = locate();
    checks.add(new HostReport.Check("pasta", pasta.isPresent() ? HostReport.Status.AVAILABLE : HostReport.Status.UNAVAILABLE,
        pasta.map(p -> p + ", the first choice").orElse("not installed (Debian, Ubuntu: apt install passt)")));
    Optional<Path> slirp = UserModeHelper.slirp4netns();
    checks.add(new HostReport.Check("slirp4netns", slirp.isPresent() ? HostReport.Status.AVAILABLE : HostReport.Status.UNAVAILABLE,
        slirp.map(p -> p + ", used where pasta is missing or -D" + UserModeHelper.PROPERTY + "=slirp4netns says so")
            .orElse("not installed; the fallback where pasta is missing (apt install slirp4netns)")));
    return checks;
  }

  /** A user-mode network needs /dev/net/tun, which pasta opens as the caller. */
  public static void checkTun(int euid) {
    Path tun = Path.of("/dev/net/tun");
    if (!Files.exists(tun)) {
      throw new UnsupportedFeatureException("a user-mode network (Network.userMode())",
          "this host has no /dev/net/tun (the tun module: modprobe tun)");
    }
    if (euid != 0 && !(Files.isReadable(tun) && Files.isWritable(tun))) {
      throw new UnsupportedFeatureException("a user-mode network (Network.userMode())", "/dev/net/tun cannot be opened"
          + " for reading and writing by uid " + euid + "; make it so as distributions ship it: chmod 0666 /dev/net/tun");
    }
  }

  static Optional<Path> onPath(String name) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(DIRS);
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
  }

  /** {@code ports}, each host port 0 replaced by a port that is free now. */
  public static List<Network.Port> resolve(List<Network.Port> ports) {
    List<Network.Port> bound = new ArrayList<>();
    for (Network.Port p : ports) {
      bound.add(p.hostPort() != 0 ? p : new Network.Port(p.protocol(), p.hostAddress(), freePort(p), p.containerPort()));
    }
    return bound;
  }

  private static int freePort(Network.Port p) {
    try {
      InetSocketAddress any = new InetSocketAddress(InetAddress.getByName(p.hostAddress()), 0);
      if (p.protocol() == Network.Protocol.TCP) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(any);
          return s.getLocalPort();
        }
      }
      try (DatagramSocket s = new DatagramSocket(any)) {
        return s.getLocalPort();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("find a free " + p.protocol() + " port on " + p.hostAddress() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The command line: the namespaces come as the launch server's descriptors (%netns, %userns),
   * readiness as its pid written to %ready. No port is forwarded but the published ones, none from
   * the container to the host's, and the gateway leads to the host's loopback only when allowed.
   * As root pasta would drop to nobody, who may not enter the namespace: it stays the caller.
   */
  public static List<String> argv(Path pasta, Network network, List<Network.Port> ports, boolean root) {
    List<String> argv = new ArrayList<>(List.of(pasta.toString(), "--config-net", "--foreground", "--quiet"));
    if (root) {
      argv.addAll(List.of("--runas", "0"));
    } else {
      argv.addAll(List.of("--userns", "%userns"));
    }
    argv.addAll(List.of("--netns", "%netns", "--pid", "%ready",
        "--tcp-ports", spec(ports, Network.Protocol.TCP), "--udp-ports", spec(ports, Network.Protocol.UDP),
        "--tcp-ns", "none", "--udp-ns", "none", "--dns-forward", Network.DNS_ADDRESS));
    if (!network.hostLoopbackAllowed()) {
      argv.add("--no-map-gw");
    }
    return argv;
  }

  private static String spec(List<Network.Port> ports, Network.Protocol protocol) {
    String spec = ports.stream().filter(p -> p.protocol() == protocol)
        .map(p -> (p.hostAddress().contains(":") ? "[" + p.hostAddress() + "]" : p.hostAddress()) + "/" + p.hostPort() + ":" + p.containerPort())
        .collect(Collectors.joining(","));
    return spec.isEmpty() ? "none" : spec;
  }

  /** The host's IPv4 default gateway, which pasta gives the container too, and maps to the host's loopback. */
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
