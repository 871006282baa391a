package dev.isola;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A container's network ({@link ContainerSpec.Builder#network(Network)}). Immutable: each {@code
 * publish} returns a new value.
 *
 * <ul>
 *   <li>{@link #none()}: a network namespace of its own with loopback alone (the default).
 *   <li>{@link #host()}: the host's network namespace, as {@code share(Namespace.NETWORK)}.
 *   <li>{@link #userMode()}: a namespace of its own with outbound TCP, UDP and DNS through a
 *       user-mode network stack ({@code pasta} of the passt project), as root and rootless;
 *       ports reach it only where published, and the host's loopback only after {@link
 *       #allowHostLoopback()}.
 * </ul>
 *
 * <pre>{@code
 * Container.builder().network(Network.userMode().publish(8080))…start();
 * int port = container.publishedPort(8080);   // an ephemeral port on the host's 127.0.0.1
 * }</pre>
 */
public final class Network {
  /**
   * The address of the DNS server inside a {@link #userMode()} container: the user-mode stack
   * forwards it to the host's first resolver. Isola writes it to the {@code /etc/resolv.conf} it
   * generates; a root without one can bind its own.
   */
  public static final String DNS_ADDRESS = "169.254.1.53";
  /** The name that reaches the host's loopback from a container that {@link #allowHostLoopback() may}. */
  public static final String HOST_NAME = "host.isola.internal";

  /** How the container reaches the network. */
  public enum Mode {
    NONE,
    HOST,
    USER_MODE
  }

  /** Which transport a published port carries. */
  public enum Protocol {
    TCP,
    UDP
  }

  /**
   * A published port: the host's {@code hostAddress:hostPort} leads to the container's {@code
   * containerPort}. A host port of 0 is chosen at start, from the free ones.
   */
  public record Port(Protocol protocol, String hostAddress, int hostPort, int containerPort) {
    public Port {
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(hostAddress, "hostAddress");
      if (containerPort < 1 || containerPort > 65535) {
        throw new IllegalArgumentException("container port must be within 1..65535: " + containerPort);
      }
      if (hostPort < 0 || hostPort > 65535) {
        throw new IllegalArgumentException("host port must be within 0..65535 (0: any free one): " + hostPort);
      }
      try {
        if (!isLiteral(hostAddress)) {
          throw new IllegalArgumentException("host address must be an IP address, not \"" + ContainerPaths.printable(hostAddress) + "\"");
        }
        InetAddress.getByName(hostAddress);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("host address must be an IP address, not \"" + ContainerPaths.printable(hostAddress) + "\"");
      }
    }

    private static boolean isLiteral(String address) {
      return address.matches("[0-9.]+") && address.split("\\.", -1).length == 4 || address.contains(":");
    }
  }

  private static final Network NONE = new Network(Mode.NONE, List.of(), false);
  private static final Network HOST = new Network(Mode.HOST, List.of(), false);

  private final Mode mode;
  private final List<Port> ports;
  private final boolean hostLoopback;

  private Network(Mode mode, List<Port> ports, boolean hostLoopback) {
    this.mode = mode;
    this.ports = List.copyOf(ports);
    this.hostLoopback = hostLoopback;
  }

  /** A network namespace of its own with loopback alone: nothing outside can be reached. */
  public static Network none() {
    return NONE;
  }

  /** The host's network namespace: everything the host reaches, and its ports. */
  public static Network host() {
    return HOST;
  }

  /** Outbound TCP, UDP and DNS through a user-mode network stack; no port published yet. */
  public static Network userMode() {
    return new Network(Mode.USER_MODE, List.of(), false);
  }

  public Mode mode() {
    return mode;
  }

  /** The published ports, in the order they were published. */
  public List<Port> ports() {
    return ports;
  }

  /** Whether the container may reach the host's loopback, as {@value #HOST_NAME}. */
  public boolean hostLoopbackAllowed() {
    return hostLoopback;
  }

  /** Publishes the container's TCP port on a free port of the host's 127.0.0.1. */
  public Network publish(int containerPort) {
    return publish("127.0.0.1", 0, containerPort);
  }

  /** Publishes the container's TCP port on {@code hostPort} of the host's 127.0.0.1. */
  public Network publish(int hostPort, int containerPort) {
    return publish("127.0.0.1", hostPort, containerPort);
  }

  /** Publishes the container's TCP port on {@code hostAddress:hostPort} (port 0: any free one). */
  public Network publish(String hostAddress, int hostPort, int containerPort) {
    return with(new Port(Protocol.TCP, hostAddress, hostPort, containerPort));
  }

  /** Publishes the container's UDP port on a free port of the host's 127.0.0.1. */
  public Network publishUdp(int containerPort) {
    return publishUdp(0, containerPort);
  }

  /** Publishes the container's UDP port on {@code hostPort} of the host's 127.0.0.1. */
  public Network publishUdp(int hostPort, int containerPort) {
    return with(new Port(Protocol.UDP, "127.0.0.1", hostPort, containerPort));
  }

  /**
   * Lets the container reach the host's loopback: {@value #HOST_NAME} (in the {@code /etc/hosts}
   * Isola generates) leads to the host's 127.0.0.1. Off by default: servers that listen on the
   * host's loopback trust it.
   */
  public Network allowHostLoopback() {
    requireUserMode("allowHostLoopback()");
    return new Network(mode, ports, true);
  }

  private Network with(Port port) {
    requireUserMode("publishing a port");
    for (Port p : ports) {
      if (p.protocol() == port.protocol() && p.containerPort() == port.containerPort()) {
        throw new IllegalArgumentException(port.protocol() + " port " + port.containerPort() + " of the container is published twice");
      }
      if (p.protocol() == port.protocol() && port.hostPort() != 0 && p.hostPort() == port.hostPort()
          && p.hostAddress().equals(port.hostAddress())) {
        throw new IllegalArgumentException(port.protocol() + " host port " + port.hostAddress() + ":" + port.hostPort()
            + " is published twice");
      }
    }
    List<Port> more = new ArrayList<>(ports);
    more.add(port);
    return new Network(mode, more, hostLoopback);
  }

  private void requireUserMode(String what) {
    if (mode != Mode.USER_MODE) {
      throw new IllegalArgumentException(what + " needs Network.userMode(), not " + this);
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Network && ((Network) o).mode == mode && ((Network) o).ports.equals(ports)
        && ((Network) o).hostLoopback == hostLoopback;
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, ports, hostLoopback);
  }

  @Override
  public String toString() {
    return "Network." + (mode == Mode.NONE ? "none()" : mode == Mode.HOST ? "host()" : "userMode()"
        + (ports.isEmpty() ? "" : " publishing " + ports) + (hostLoopback ? " with the host's loopback" : ""));
  }
}
