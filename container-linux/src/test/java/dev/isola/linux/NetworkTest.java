package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ContainerStartException;
import dev.isola.Network;
import dev.isola.linux.internal.net.UserModeHelper;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.Run;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A user-mode network (pasta): published ports reached from the JVM, the host's loopback shut
 * unless allowed, DNS inside, and no helper left. The containers use the default root, the host's
 * view, whose busybox and python3 serve.
 */
class NetworkTest {
  private Leftovers before;

  @BeforeEach
  void snapshot() {
    before = Leftovers.snapshot();
  }

  @AfterEach
  void nothingLeft() throws Exception {
    // the helper is killed as the container ends, and reaped by the server soon after
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!pastas().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(pastas()).as("network helper processes left").isEmpty();
    before.assertNoneSince();
  }

  private static ContainerSpec.Builder sh(String script) {
    return Container.builder().command("sh", "-c", script);
  }

  /** Reads the first line of the container's output: it says when its server listens. */
  private static String firstLine(Container c) throws IOException {
    return new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine();
  }

  @Test
  void aPublishedPortReachesTheContainersServer() throws Exception {
    try (Container c = sh("mkdir /tmp/www && echo hello from the container > /tmp/www/index.html && echo ready"
        + " && exec busybox httpd -f -p 8080 -h /tmp/www").network(Network.userMode().publish(8080)).start()) {
      assertThat(firstLine(c)).isEqualTo("ready");
      InetSocketAddress address = c.publishedAddress(8080);
      assertThat(address.getAddress().isLoopbackAddress()).isTrue();
      assertThat(c.publishedPort(8080)).isEqualTo(address.getPort()).isPositive();
      assertThat(httpGet(address)).contains("200 OK").contains("hello from the container");
      assertThatThrownBy(() -> c.publishedPort(9090)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("9090").hasMessageContaining("not published");
    }
  }

  /** The server may not listen yet when the first connection comes: it is tried again for a while. */
  private static String httpGet(InetSocketAddress address) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(address, 2000);
        s.setSoTimeout(5000);
        s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!answer.isEmpty() || System.nanoTime() > deadline) {
          return answer;
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(100);
    }
  }

  /**
   * A datagram to the published port reaches the container's server. (Its answer is not checked:
   * the pasta of Debian 12, 0.0~git20230309, drops the replies to forwarded UDP; later ones do not.)
   */
  @Test
  void aPublishedUdpPortReachesTheContainer() throws Exception {
    String server = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5353));"
        + " print('ready', flush=True); d, a = s.recvfrom(100); print('got', d.decode(), flush=True)";
    int hostPort;
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      hostPort = probe.getLocalPort();
    }
    try (Container c = Container.builder().command("python3", "-c", server).network(Network.userMode().publishUdp(hostPort, 5353)).start();
        DatagramSocket client = new DatagramSocket()) {
      BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
      client.send(new DatagramPacket(hello, hello.length, InetAddress.getByName("127.0.0.1"), hostPort));
      assertThat(out.readLine()).isEqualTo("got hello");
    }
  }

  /** A server on the host's loopback trusts its callers: a container reaches it only when allowed, by name. */
  @Test
  void theHostsLoopbackIsShutUnlessAllowed() throws Exception {
    try (ServerSocket host = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = host.getLocalPort();
      String tryAll = "for a in 127.0.0.1 $(ip route 2>/dev/null | awk '/default/ { print $3 }') host.isola.internal; do"
          + " echo knock | busybox nc -w 2 $a " + port + " >/dev/null 2>&1 && echo reached $a; done; echo done";
      Run shut = Run.of(sh(tryAll).network(Network.userMode()), Duration.ofSeconds(30));
      assertThat(shut.stdout).isEqualTo("done\n");
      host.setSoTimeout(10000);
      try (Container c = sh("grep host.isola.internal /etc/hosts >&2; echo knock | busybox nc -w 5 host.isola.internal " + port
          + " && echo sent").network(Network.userMode().allowHostLoopback()).start()) {
        try (Socket accepted = host.accept()) {
          assertThat(new String(accepted.getInputStream().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("knock\n");
        }
        assertThat(c.waitFor(Duration.ofSeconds(10)).orElseThrow().exitCode()).isZero();
      }
    }
  }

  @Test
  void dnsResolvesInsideAsOnTheHost() throws Exception {
    String name = "deb.debian.org";
    String onHost;
    try {
      onHost = InetAddress.getByName(name).getHostAddress();
    } catch (IOException e) {
      org.junit.jupiter.api.Assumptions.abort("this host cannot resolve " + name + " itself: " + e);
      return;
    }
    Run r = Run.of(sh("cat /etc/resolv.conf; busybox nslookup " + name).network(Network.userMode()), Duration.ofSeconds(30));
    assertThat(r.stdout).startsWith("nameserver " + UserModeHelper.find().dnsAddress() + "\n").contains("Address: " + onHost);
  }

  @Test
  void aHostPortInUseIsNamedBeforeTheCommandRuns() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> sh("echo ran").network(Network.userMode().publish(taken.getLocalPort(), 80)).start())
          .isInstanceOf(ContainerStartException.class).hasMessageContaining("network helper")
          .hasMessageContaining(Integer.toString(taken.getLocalPort()));
    }
  }

  @Test
  void aKilledHelperLeavesTheContainerRunningWithoutANetwork() throws Exception {
    try (Container c = sh("echo ready; sleep 60").network(Network.userMode().publish(8080)).start()) {
      assertThat(firstLine(c)).isEqualTo("ready");
      List<Long> helpers = pastas();
      assertThat(helpers).hasSize(1);
      LibC.kill(helpers.get(0).intValue(), 9);
      Thread.sleep(300);
      assertThat(c.isAlive()).isTrue();
    }
  }

  @Test
  void badNetworksAreRefusedAtOnce() {
    assertThatThrownBy(() -> Network.userMode().publish(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..65535");
    assertThatThrownBy(() -> Network.userMode().publish(70000, 80)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Network.userMode().publish(80).publish(80)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("published twice");
    assertThatThrownBy(() -> Network.userMode().publish(9000, 80).publish(9000, 81)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("published twice");
    assertThatThrownBy(() -> Network.none().publish(80)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userMode");
    assertThatThrownBy(() -> Network.userMode().publish("localhost", 0, 80)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("IP address");
    assertThatThrownBy(() -> sh("true").network(Network.userMode()).share(dev.isola.Namespace.NETWORK).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NETWORK is shared");
    assertThat(sh("true").network(Network.host()).build().namespaces()).doesNotContain(dev.isola.Namespace.NETWORK);
  }

  /** A JVM killed with SIGKILL leaves no network helper: it has the parent-death signal of the server, which dies with the JVM. */
  @Test
  void noHelperOutlivesAKilledJvm() throws Exception {
    Process jvm = new ProcessBuilder(ChildJvm.command(ChildJvm.classPath(), WithNetwork.class,
        System.getProperty(UserModeHelper.PROPERTY, ""))).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("started");
      List<Long> helpers = pastasOf(jvm.pid());
      assertThat(helpers).hasSize(1);
      jvm.destroyForcibly();
      jvm.waitFor();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (helpers.stream().anyMatch(Leftovers::processExists) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(helpers).noneMatch(Leftovers::processExists);
    } finally {
      jvm.destroyForcibly();
    }
  }

  /** Run in a child JVM that the test kills: one container with a user-mode network, through the helper named. */
  public static final class WithNetwork {
    public static void main(String[] args) throws Exception {
      System.setProperty(UserModeHelper.PROPERTY, args[0]);
      Container.builder().command("sleep", "600").network(Network.userMode().publish(8080)).start();
      System.out.println("started");
      System.out.flush();
      Thread.sleep(600_000);
    }
  }

  /** The network helpers (pasta, slirp4netns) whose parent is this JVM's launch server. */
  static List<Long> pastas() throws IOException {
    return pastasOf(ProcessHandle.current().pid());
  }

  /** The network helpers whose parent is the launch server of the JVM {@code jvm}. */
  static List<Long> pastasOf(long jvm) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
        try {
          String comm = Files.readString(p.resolve("comm")).trim();
          // Debian's pasta execs passt.avx2
          if (!comm.startsWith("pasta") && !comm.startsWith("passt") && !comm.startsWith("slirp4netns")) {
            return false;
          }
          String ppid = Files.readAllLines(p.resolve("status")).stream().filter(l -> l.startsWith("PPid:")).findFirst()
              .orElse("PPid:\t0").split("\\s+")[1];
          return Files.readString(Path.of("/proc", ppid, "comm")).trim().equals("isola-server")
              && ProcessHandle.of(Long.parseLong(ppid)).flatMap(ProcessHandle::parent).map(ProcessHandle::pid)
                  .orElse(-1L) == jvm;
        } catch (IOException | RuntimeException e) {
          return false; // gone meanwhile
        }
      }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
    }
  }
}
