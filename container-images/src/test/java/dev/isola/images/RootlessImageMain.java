package dev.isola.images;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.Image;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Run by {@link RootlessImageTest} as uid 65534: loads an image into a store of its own and runs
 * containers from it, printing {@code name: result} lines.
 */
public final class RootlessImageMain {
  private RootlessImageMain() {}

  public static void main(String[] args) throws Exception {
    ImageStore store = ImageStore.open(Path.of(args[1]));
    Image image = store.load(Path.of(args[0]));
    Path layer = image.layers().get(0);
    System.out.println("owners: " + Files.getAttribute(layer.resolve("home/app/f"), "unix:uid", LinkOption.NOFOLLOW_LINKS)
        + " " + Files.getAttribute(layer.resolve("bin/setuid"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
    System.out.println("as-root: " + run(Container.builder().image(image).user(0, 0)
        .command("sh", "-c", "cat /home/app/f; ls /etc/gone 2>&1 | grep -c 'No such'; ls /data")));
    try {
      run(Container.builder().image(image));
      System.out.println("image-user: started");
    } catch (ContainerException e) {
      System.out.println("image-user: " + e.getMessage());
    }
  }

  private static String run(dev.isola.ContainerSpec.Builder b) throws Exception {
    try (Container c = b.start()) {
      String out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8).trim().replace('\n', ' ');
      return out + " (" + c.waitFor().exitCode() + ")";
    }
  }
}
