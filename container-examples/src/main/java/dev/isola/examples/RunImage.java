package dev.isola.examples;

import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import dev.isola.Image;
import dev.isola.Stdio;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Runs a command in an imported image, on the terminal:
 *
 * <pre>java -cp container-examples/target/isola-examples.jar dev.isola.examples.RunImage IMAGE [COMMAND...]</pre>
 *
 * IMAGE is an OCI layout (directory or tar, {@code skopeo copy … oci:DIR}) or a docker-archive
 * tar ({@code docker save}); without a command, the image's own. The layers are unpacked once
 * into the default image store; the container's writes go with it.
 */
public final class RunImage {
  private RunImage() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: RunImage IMAGE [COMMAND...]");
      System.exit(2);
    }
    Image image = Image.load(Path.of(args[0]).toAbsolutePath());
    System.err.println("isola: " + image + ", layers in " + image.layers().get(0).getParent());
    ContainerSpec.Builder b = Container.builder().image(image)
        .stdin(Stdio.inherit()).stdout(Stdio.inherit()).stderr(Stdio.inherit());
    if (args.length > 1) {
      b.command(Arrays.asList(args).subList(1, args.length));
    }
    try (Container c = b.start()) {
      ExitStatus status = c.waitFor();
      System.err.println("isola: " + status);
      System.exit(status.exitCode());
    }
  }
}
