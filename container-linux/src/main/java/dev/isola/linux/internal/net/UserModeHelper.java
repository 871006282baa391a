package dev.isola.linux.internal.net;

import dev.isola.Network;
import dev.isola.UnsupportedFeatureException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The user-mode network stack a {@link Network#userMode()} container gets: pasta where it is
 * installed, else slirp4netns; the system property {@value #PROPERTY} ({@code pasta} or {@code
 * slirp4netns}) names one. Each answers DNS and reaches the host's loopback at addresses of its own.
 */
public final class UserModeHelper {
  /** The system property that picks the helper. */
  public static final String PROPERTY = "isola.network.helper";
  private static final String NETWORK = "a user-mode network (Network.userMode())";
  private static final String INSTALL = "install the passt package (Debian, Ubuntu: apt install passt; Fedora: dnf"
      + " install passt), or slirp4netns";

  /** The two stacks. */
  public enum Kind {
    PASTA, SLIRP4NETNS
  }

  public final Kind kind;
  public final Path binary;

  private UserModeHelper(Kind kind, Path binary) {
    this.kind = kind;
    this.binary = binary;
  }

  /** The helper to start; or why there is none, and what to install. */
  public static UserModeHelper find() {
    String wanted = System.getProperty(PROPERTY, "");
    Optional<Path> pasta = Pasta.locate();
    switch (wanted) {
      case "":
        return pasta.map(p -> new UserModeHelper(Kind.PASTA, p)).orElseGet(() -> slirp4netns()
            .map(p -> new UserModeHelper(Kind.SLIRP4NETNS, p))
            .orElseThrow(() -> new UnsupportedFeatureException(NETWORK, "there is no pasta nor slirp4netns on this host; " + INSTALL)));
      case "pasta":
        return new UserModeHelper(Kind.PASTA, pasta.orElseThrow(() -> new UnsupportedFeatureException(NETWORK,
            "-D" + PROPERTY + "=pasta, and there is no pasta on this host; " + INSTALL)));
      case "slirp4netns":
        return new UserModeHelper(Kind.SLIRP4NETNS, slirp4netns().orElseThrow(() -> new UnsupportedFeatureException(
            NETWORK, "-D" + PROPERTY + "=slirp4netns, and there is no slirp4netns on this host (apt install slirp4netns)")));
      default:
        throw new UnsupportedFeatureException(NETWORK, "-D" + PROPERTY + "=" + wanted + " names no network helper Isola"
            + " drives; say pasta or slirp4netns");
    }
  }

  /** Where slirp4netns was found; looked for again only while it is not, as pasta is. */
  private static volatile Path slirp;

  static Optional<Path> slirp4netns() {
    if (slirp == null) {
      Pasta.onPath("slirp4netns").ifPresent(p -> slirp = p);
    }
    return Optional.ofNullable(slirp);
  }

  /** The resolver the container asks. */
  public String dnsAddress() {
    return kind == Kind.PASTA ? Network.DNS_ADDRESS : Slirp4netns.DNS_ADDRESS;
  }

  /**
   * Where the container reaches the host's loopback, when allowed: pasta maps the host's default
   * gateway there (read from {@code routes}, the host's /proc/net/route); slirp4netns its own 10.0.2.2.
   */
  public Optional<String> hostLoopbackAddress(Path routes) {
    return kind == Kind.PASTA ? Pasta.defaultGateway(routes) : Optional.of(Slirp4netns.HOST_ADDRESS);
  }
}
