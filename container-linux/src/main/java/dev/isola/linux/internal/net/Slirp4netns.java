package dev.isola.linux.internal.net;

import dev.isola.Network;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.sys.ProcessStart;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * slirp4netns, the user-mode network stack a {@link Network#userMode()} container falls back on
 * where there is no pasta: its command line, and the requests of its API socket that publish
 * ports (it has no option for them). Its network is slirp's: the container is 10.0.2.100, the
 * host (its loopback, where allowed) 10.0.2.2, the resolver 10.0.2.3.
 */
public final class Slirp4netns {
  /** The resolver slirp4netns answers on inside the container. */
  public static final String DNS_ADDRESS = "10.0.2.3";
  /** Where the container reaches the host's loopback, when it may. */
  public static final String HOST_ADDRESS = "10.0.2.2";

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private Slirp4netns() {}

  /**
   * A fresh path for a container's API socket, in the JVM's temporary directory: the launch
   * server removes it once the ports are published (the socket goes on listening), or the start
   * failed.
   */
  public static Path apiSocket() {
    return Path.of(System.getProperty("java.io.tmpdir"), "isola-slirp-" + ProcessStart.THIS_JVM + "-" + SEQUENCE.incrementAndGet() + ".sock");
  }

  /**
   * The command line: the namespaces come as the launch server's descriptors (%netns, %userns),
   * readiness as "1" on descriptor 5 (net.c's HELPER_READY_FD), written once the API socket
   * {@code api} listens (slirp4netns 0.4 and later); the host's loopback shut unless allowed.
   */
  public static List<String> argv(Path slirp, Network network, Path api, boolean root) {
    List<String> argv = new ArrayList<>(List.of(slirp.toString(), "--configure", "--mtu=65520", "--ready-fd=5",
        "--api-socket=" + api, "--netns-type=path"));
    if (!root) {
      argv.addAll(List.of("--userns-path", "%userns")); // the launcher replaces whole arguments
    }
    if (!network.hostLoopbackAllowed()) {
      argv.add("--disable-host-loopback");
    }
    argv.addAll(List.of("%netns", "tap0"));
    return argv;
  }

  /** One {@code add_hostfwd} request per published port (host port 0 already resolved). */
  public static List<String> forwards(List<Network.Port> ports) {
    List<String> requests = new ArrayList<>();
    for (Network.Port p : ports) {
      if (p.hostAddress().contains(":")) {
        throw new UnsupportedFeatureException("publishing port " + p.containerPort() + " on " + p.hostAddress(),
            "slirp4netns, the network helper here, publishes on IPv4 host addresses only; install pasta (the passt"
                + " package), or publish on 127.0.0.1");
      }
      requests.add("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"" + p.protocol().name().toLowerCase()
          + "\",\"host_addr\":\"" + p.hostAddress() + "\",\"host_port\":" + p.hostPort() + ",\"guest_port\":"
          + p.containerPort() + "}}");
    }
    return requests;
  }
}
