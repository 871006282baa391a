package dev.isola.junit;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.Network;

/** The fixtures' server: busybox's httpd from the host view, serving one page. */
final class Web {
  private Web() {}

  static ContainerSpec server(String page) {
    return Container.builder().command("sh", "-c", "mkdir /tmp/www && echo " + page + " > /tmp/www/index.html"
        + " && echo serving && exec busybox httpd -f -vv -p 8080 -h /tmp/www")
        .network(Network.userMode().publish(8080)).build();
  }
}
