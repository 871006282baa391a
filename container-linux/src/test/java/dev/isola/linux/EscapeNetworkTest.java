package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.Namespace;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.Background;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.SandboxProbe;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Catalog group H, from inside containers with the default spec: the network namespace holds
 * only {@code lo}, nothing on the host's side is reachable (TCP, UDP, abstract unix sockets) nor
 * is anything inside reachable from the host or from another container, and the network cannot
 * be reconfigured or sniffed. Each test also looks at the host afterwards.
 */
class EscapeNetworkTest {
  private static final int ECONNREFUSED = 111;
  private static final int ENETUNREACH = 101;
  private static final int EPERM = 1;
  private static final int EACCES = 13;

  /** NET-01: a TCP listener of the host, on loopback and on every host address, cannot be reached. */
  @Test
  void noHostTcpListenerIsReachable() throws IOException {
    try (ServerSocket host = new ServerSocket()) {
      host.bind(new InetSocketAddress(InetAddress.getByName("::"), 0)); // every address, IPv4 and IPv6
      host.setSoTimeout(200);
      int port = host.getLocalPort();
      List<String> addresses = new ArrayList<>(List.of("127.0.0.1", "::1"));
      addresses.addAll(hostAddresses());
      StringBuilder script = new StringBuilder();
      for (String a : addresses) {
        script.append("echo \"").append(a).append(" $(" + SandboxProbe.PROBE + " tcp-connect ").append(a).append(' ')
            .append(port).append(")\"; ");
      }
      Run r = Run.of(SandboxProbe.sh(script.toString()));
      List<String> lines = r.stdout.lines().collect(Collectors.toList());
      assertThat(lines).as(r.toString()).hasSize(addresses.size());
      for (String line : lines) {
        String address = line.substring(0, line.indexOf(' '));
        boolean loopback = address.equals("127.0.0.1") || address.equals("::1");
        // loopback is the container's own, where nothing listens; every other address has no route
        assertThat(line).as(line).endsWith("errno " + (loopback ? ECONNREFUSED : ENETUNREACH));
      }
      assertThatThrownBy(host::accept).as("a connection reached the host").isInstanceOf(SocketTimeoutException.class);

      // the same probe with the host's network reaches the listener: the probe is not what fails
      Run shared = Run.of(SandboxProbe.sh(SandboxProbe.PROBE + " tcp-connect 127.0.0.1 " + port).share(Namespace.NETWORK));
      assertThat(shared.stdout).isEqualTo("ok 0\n");
      host.accept().close();
    }
  }

  /** NET-01: datagrams to the host's loopback and addresses never arrive; there is no route at all. */
  @Test
  void noDatagramReachesTheHostAndThereIsNoRoute() throws IOException {
    try (DatagramSocket host = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::"), 0))) {
      host.setSoTimeout(300);
      int port = host.getLocalPort();
      List<String> addresses = new ArrayList<>(List.of("127.0.0.1", "::1"));
      addresses.addAll(hostAddresses());
      StringBuilder script = new StringBuilder();
      for (String a : addresses) {
        script.append("echo \"").append(a).append(" $(" + SandboxProbe.PROBE + " udp-send ").append(a).append(' ')
            .append(port).append(" leaked)\"; ");
      }
      script.append("echo routes $(tail -n +2 /proc/net/route | wc -l);");
      script.append("echo ipv6-routes $(grep -v ' lo$' /proc/net/ipv6_route | wc -l);");
      script.append("echo interfaces $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ');");
      Run r = Run.of(SandboxProbe.sh(script.toString()));
      assertThat(r.stdout).as(r.toString()).contains("routes 0\n", "ipv6-routes 0\n", "interfaces lo\n");
      for (String line : r.stdout.lines().limit(addresses.size()).collect(Collectors.toList())) {
        String address = line.substring(0, line.indexOf(' '));
        if (!address.equals("127.0.0.1") && !address.equals("::1")) {
          assertThat(line).as(line).endsWith("errno " + ENETUNREACH);
        }
      }
      DatagramPacket packet = new DatagramPacket(new byte[64], 64);
      assertThatThrownBy(() -> host.receive(packet)).as("a datagram reached the host").isInstanceOf(SocketTimeoutException.class);

      Run shared = Run.of(SandboxProbe.sh(SandboxProbe.PROBE + " udp-send 127.0.0.1 " + port + " shared").share(Namespace.NETWORK));
      assertThat(shared.stdout).isEqualTo("ok 6\n");
      host.receive(packet);
      assertThat(new String(packet.getData(), 0, packet.getLength())).isEqualTo("shared");
    }
  }

  /** NET-01: a server inside, on every address of the container, is reachable inside and not from the host. */
  @Test
  void aListenerInsideIsNotReachableFromTheHost() throws IOException {
    int port = freePort();
    String probe = SandboxProbe.PROBE;
    try (Background inside = Background.start(SandboxProbe.sh(serveInBackground("tcp-serve :: " + port)
        + " until " + probe + " tcp-connect 127.0.0.1 " + port + " | grep -q '^ok'; do sleep 0.01; done; echo reached-inside; wait"))) {
      inside.await("ready");
      inside.await("reached-inside");
      List<String> targets = new ArrayList<>(List.of("127.0.0.1", "::1"));
      targets.addAll(hostAddresses());
      for (String a : targets) {
        try (Socket s = new Socket()) {
          assertThatThrownBy(() -> s.connect(new InetSocketAddress(a, port), 1000)).as(a).isInstanceOf(ConnectException.class);
        }
      }
      List<String> out = inside.finish();
      assertThat(Background.count(out, "accepted")).as(out.toString()).isEqualTo(1); // the connection from inside only
    }
  }

  /**
   * NET-02: an abstract unix socket of the host (as {@code @/containerd-shim/...} or X11's) is
   * not reachable and not even listed inside; with the host's network it is (documented risk of
   * {@code share(Namespace.NETWORK)}).
   */
  @Test
  void anAbstractSocketOfTheHostIsNotReachable() throws IOException {
    String name = "isola-test-" + UUID.randomUUID();
    try (Background host = Background.host(SandboxProbe.onHost(), "abstract-serve", name)) {
      host.await("ready");
      assertThat(Files.readString(Path.of("/proc/net/unix"))).contains("@" + name);
      assertThat(ChildJvm.run(List.of(SandboxProbe.onHost(), "abstract-connect", name))).isEqualTo("ok 0\n");
      host.await("accepted");

      Run r = Run.of(SandboxProbe.sh(SandboxProbe.PROBE + " abstract-connect " + name + "; grep -c " + name
          + " /proc/net/unix; tail -n +2 /proc/net/unix | wc -l"));
      assertThat(r.stdout.split("\n")).as(r.toString()).containsExactly("errno " + ECONNREFUSED, "0", "0");

      Run shared = Run.of(SandboxProbe.sh(SandboxProbe.PROBE + " abstract-connect " + name).share(Namespace.NETWORK));
      assertThat(shared.stdout).isEqualTo("ok 0\n");
      host.await("accepted");
      List<String> out = host.finish();
      assertThat(Background.count(out, "accepted")).as("connections the host's socket accepted: the host's own and"
          + " the shared-network container's, none from the default one").isEqualTo(2);
    }
  }

  /**
   * The launch server's spare network namespace (made ahead of time as root; see
   * clone.c) goes to one container only: containers started one after another, running
   * side by side, each have their own, none the host's, each with loopback up.
   */
  @Test
  void everyContainerHasANetworkNamespaceOfItsOwn() throws Exception {
    String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    ContainerSpec.Builder sleeper = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60");
    List<Container> running = new ArrayList<>();
    try {
      List<String> namespaces = new ArrayList<>();
      List<String> owners = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Container c = sleeper.start();
        running.add(c);
        namespaces.add(Files.readSymbolicLink(Path.of("/proc/" + c.pid() + "/ns/net")).toString());
        owners.add(owner("/proc/" + c.pid() + "/ns/net"));
        Thread.sleep(20); // the server idles, and makes a spare
      }
      assertThat(namespaces).doesNotHaveDuplicates().doesNotContain(host);
      if (LibC.geteuid() == 0) { // the later ones are spares: they belong to the host's user namespace
        assertThat(owners.subList(1, 4)).containsOnly(Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString());
      }
    } finally {
      running.forEach(Container::close);
    }
    // loopback is up (it has its address only then)
    assertThat(Run.of("grep -c ' lo$' /proc/net/if_inet6").stdout).isEqualTo("1\n");
  }

  /** The user namespace that owns a namespace (ioctl NS_GET_USERNS), as readlink names it. */
  private static String owner(String namespace) throws IOException {
    int fd = LibC.open(namespace, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
    int user = com.sun.jna.Function.getFunction("c", "ioctl").invokeInt(new Object[] {fd, 0xb701});
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/" + user)).toString();
    } finally {
      LibC.close(user);
      LibC.close(fd);
    }
  }

  /**
   * A container that keeps a network capability gets a network namespace of its own user
   * namespace, where the capability acts: with CAP_NET_BIND_SERVICE it listens on port 80.
   */
  @Test
  void aKeptNetworkCapabilityActsInTheContainersNamespace() throws Exception {
    try (Container c = Container.builder().rootfs(TestRootfs.busybox()).command("sleep", "60")
        .capabilities(Capability.NET_BIND_SERVICE).start()) {
      assertThat(owner("/proc/" + c.pid() + "/ns/net")).isEqualTo(owner("/proc/" + c.pid() + "/ns/uts"))
          .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString());
    }
    // listening until the timeout ends it (143), or refused at once (1)
    String listen = "timeout 1 nc -l -p 80 </dev/null 2>/dev/null; echo $?";
    assertThat(Run.of(Run.sh(listen).capabilities(Capability.NET_BIND_SERVICE)).stdout).isEqualTo("143\n");
    assertThat(Run.of(Run.sh(listen)).stdout).as("without it").isEqualTo("1\n");
  }

  /** NET-02: two concurrent containers cannot reach each other's abstract sockets. */
  @Test
  void twoContainersCannotReachEachOthersAbstractSockets() {
    String name = "isola-test-" + UUID.randomUUID();
    String probe = SandboxProbe.PROBE;
    try (Background a = Background.start(SandboxProbe.sh(serveInBackground("abstract-serve " + name)
        + " until " + probe + " abstract-connect " + name + " | grep -q '^ok'; do sleep 0.01; done; echo reached-inside; wait"))) {
      a.await("ready");
      a.await("reached-inside");
      Run b = Run.of(SandboxProbe.sh(probe + " abstract-connect " + name + "; grep -c " + name + " /proc/net/unix"));
      assertThat(b.stdout.split("\n")).as(b.toString()).containsExactly("errno " + ECONNREFUSED, "0");
      List<String> out = a.finish();
      assertThat(Background.count(out, "accepted")).as(out.toString()).isEqualTo(1);
      assertThat(a.status().isSuccess()).isTrue();
    }
  }

  /**
   * NET-02: Isola's own channels between the JVM, the launch server and the container are pipes
   * and one unnamed socket pair between the JVM and the server, so there is no abstract or path
   * socket of Isola's for a shared-network container to find, and the container holds no socket.
   */
  @Test
  void isolaItselfHoldsNoSocketThatCanBeFound() throws IOException {
    try (Background c = Background.start(SandboxProbe.sh("echo ready; read x"))) {
      c.await("ready");
      long init = c.pid();
      long server = Long.parseLong(SandboxProbe.status(init, "PPid"));
      assertThat(SandboxProbe.status(server, "Name")).isEqualTo("isola-server");
      assertThat(descriptors(init)).as("descriptors of the init").isNotEmpty().noneMatch(f -> f.startsWith("socket:"));
      List<String> sockets = descriptors(server).stream().filter(f -> f.startsWith("socket:")).collect(Collectors.toList());
      assertThat(sockets).as("the server's sockets").hasSize(1);
      String inode = sockets.get(0).replaceAll("\\D", "");
      List<String> unix = Files.readAllLines(Path.of("/proc/net/unix")).stream()
          .map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 7 && f[6].equals(inode))
          .map(f -> String.join(" ", f)).collect(Collectors.toList());
      assertThat(unix).as("the server's socket in /proc/net/unix").hasSize(1)
          .allSatisfy(l -> assertThat(l.split(" ")).as("a socket without a name").hasSize(7));
      c.finish();
    }
  }

  private static List<String> descriptors(long pid) throws IOException {
    List<String> fds = new ArrayList<>();
    try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      for (Path fd : (Iterable<Path>) list::iterator) {
        fds.add(Files.readSymbolicLink(fd).toString());
      }
    }
    return fds;
  }

  /**
   * NET-03: no raw, packet or ping sockets (CAP_NET_RAW is dropped, unlike Docker's default), no
   * interface, address, route or sysctl changes; with the capabilities kept the same calls work,
   * in the container's own namespace only.
   */
  @Test
  void rawSocketsAndNetworkConfigurationAreDenied() throws IOException {
    List<String> hostBefore = hostNetwork();
    String probe = SandboxProbe.PROBE;
    String script = "echo packet-raw $(" + probe + " socket 17 3 768);"     // AF_PACKET, SOCK_RAW, ETH_P_ALL
        + " echo packet-dgram $(" + probe + " socket 17 2 768);"            // AF_PACKET, SOCK_DGRAM
        + " echo inet-raw-icmp $(" + probe + " socket 2 3 1);"             // AF_INET, SOCK_RAW, IPPROTO_ICMP
        + " echo inet6-raw $(" + probe + " socket 10 3 58);"              // AF_INET6, SOCK_RAW, IPPROTO_ICMPV6
        + " echo ping-socket $(" + probe + " socket 2 2 1);"               // AF_INET, SOCK_DGRAM, IPPROTO_ICMP
        + " ip addr add 10.9.9.9/32 dev lo 2>/dev/null; echo addr-add $?;"
        + " ip link set lo down 2>/dev/null; echo link-down $?;"
        + " ip route add 10.0.0.0/8 dev lo 2>/dev/null; echo route-add $?;"
        + " ip link add isola0 type veth peer name isola1 2>/dev/null; echo link-add $?;"
        + " sysctl -w net.ipv4.ip_forward=1 >/dev/null 2>&1; echo sysctl $?;"
        + " ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo ping $?;"
        + " ip -o addr show lo | grep -c 10.9.9.9; ip -o link show lo | grep -c ',UP'";
    Run r = Run.of(SandboxProbe.sh(script));
    assertThat(r.stdout.split("\n")).as(r.toString()).containsExactly(
        "packet-raw errno " + EPERM, "packet-dgram errno " + EPERM, "inet-raw-icmp errno " + EPERM,
        "inet6-raw errno " + EPERM,
        // a new network namespace starts with net.ipv4.ping_group_range "1 0": nobody
        "ping-socket errno " + EACCES,
        "addr-add 2", "link-down 2", "route-add 2", "link-add 2", "sysctl 1", "ping 1", "0", "1");

    // kept capabilities open the same calls: the denials above come from the dropped capabilities
    Run kept = Run.of(SandboxProbe.sh("echo packet-raw $(" + probe + " socket 17 3 768);"
        + " ip addr add 10.9.9.9/32 dev lo; echo addr-add $?; ip -o addr show lo | grep -c 10.9.9.9")
        .capabilities(Capability.NET_RAW, Capability.NET_ADMIN));
    assertThat(kept.stdout.split("\n")).as(kept.toString()).containsExactly("packet-raw ok 3", "addr-add 0", "1");

    assertThat(hostNetwork()).as("the host's interfaces, addresses and routes").isEqualTo(hostBefore);
  }

  // ---- helpers ----

  /** The host's own non-loopback, non-link-local addresses: the targets of a route out. */
  private static List<String> hostAddresses() throws IOException {
    List<String> result = new ArrayList<>();
    for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(i.getInetAddresses())) {
        if (!a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          String s = a.getHostAddress();
          result.add(a instanceof Inet6Address && s.contains("%") ? s.substring(0, s.indexOf('%')) : s);
        }
      }
    }
    return result;
  }

  private static List<String> hostNetwork() throws IOException {
    List<String> state = new ArrayList<>();
    for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      state.add(i.getName() + " up=" + i.isUp() + " " + Collections.list(i.getInetAddresses()));
    }
    state.addAll(Files.readAllLines(Path.of("/proc/net/route")));
    state.add("ip_forward=" + Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).trim());
    state.sort(null);
    return state;
  }

  /**
   * Runs a serving probe in the background until the container's stdin ends. A shell gives a
   * background job /dev/null as stdin before it applies the job's redirections, so the stdin is
   * kept on descriptor 3 first.
   */
  static String serveInBackground(String probeArgs) {
    return "exec 3<&0; " + SandboxProbe.PROBE + " " + probeArgs + " <&3 3<&- &";
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
