package dev.isola.images;

import dev.isola.linux.testing.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Images made by real tools, once per test JVM: a busybox root file system and a user {@code app}
 * (uid 1000), turned into an OCI layout by umoci, a docker-archive by skopeo and an OCI tar by tar.
 *
 * <p>Image {@code img} has three layers: the root file system; a whiteout of {@code /etc/gone};
 * {@code /data} replaced by an opaque directory holding {@code newf}. Image {@code base} is its
 * first layer alone.
 */
final class TestImages {
  static final Path DIR;
  static final Path OCI;
  static final Path OCI_TAR;
  static final Path DOCKER_TAR;
  /** The layout of image {@code base} alone. */
  static final Path BASE;

  static {
    try {
      DIR = Files.createTempDirectory("isola-images-test-");
      OCI = DIR.resolve("oci");
      OCI_TAR = DIR.resolve("oci.tar");
      DOCKER_TAR = DIR.resolve("docker.tar");
      BASE = DIR.resolve("oci-base");
      build();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(DIR)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TestImages() {}

  private static void build() throws IOException {
    Path busybox = Path.of("/bin/busybox");
    if (!Files.isExecutable(busybox)) {
      throw new IllegalStateException("these tests need /bin/busybox: run scripts/install-test-deps");
    }
    String img = OCI + ":img";
    Path bundle = DIR.resolve("bundle");
    run("umoci", "init", "--layout", OCI.toString());
    run("umoci", "new", "--image", img);
    run("umoci", "unpack", "--image", img, bundle.toString());
    Path rootfs = bundle.resolve("rootfs");
    Path bin = Files.createDirectories(rootfs.resolve("bin"));
    Files.copy(busybox, bin.resolve("busybox"));
    for (String applet : run("/bin/busybox", "--list").split("\n")) {
      if (!applet.isBlank() && !applet.equals("busybox")) {
        Files.createSymbolicLink(bin.resolve(applet.trim()), Path.of("busybox"));
      }
    }
    Path etc = Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
    Files.writeString(etc.resolve("group"), "root:x:0:\napp:x:1000:\nstaff:x:50:app\n");
    Files.writeString(etc.resolve("gone"), "deleted by the second layer\n");
    Files.writeString(Files.createDirectories(rootfs.resolve("data/old")).resolve("f"), "hidden by the opaque layer\n");
    Path home = Files.createDirectories(rootfs.resolve("home/app"));
    Files.writeString(home.resolve("f"), "the app's\n");
    run("chown", "-R", "1000:1000", home.toString());
    Files.writeString(bin.resolve("setuid"), "#!/bin/sh\n");
    run("chmod", "4755", bin.resolve("setuid").toString());
    // umoci 0.4.7's insert writes tars without their end (GNU tar: "Unexpected EOF"); repack does not.
    run("umoci", "repack", "--refresh-bundle", "--image", img, bundle.toString());
    run("umoci", "tag", "--image", img, "base");
    Files.delete(etc.resolve("gone"));
    run("umoci", "repack", "--refresh-bundle", "--image", img, bundle.toString());
    // umoci writes a removed directory as whiteouts of its entries; GNU tar makes the opaque one.
    Path opaque = Files.createDirectories(DIR.resolve("opaque/data"));
    Files.createFile(opaque.resolve(".wh..wh..opq"));
    Files.writeString(opaque.resolve("newf"), "new\n");
    run("tar", "-C", opaque.getParent().toString(), "-cf", DIR.resolve("opaque.tar").toString(), "data");
    run("umoci", "raw", "add-layer", "--image", img, DIR.resolve("opaque.tar").toString());
    run("umoci", "config", "--image", img, "--config.entrypoint", "/bin/sh", "--config.cmd", "-c",
        "--config.cmd", "echo hi", "--config.env", "A=1", "--config.env", "B=two",
        "--config.workingdir", "/home/app", "--config.user", "app");
    run("skopeo", "--insecure-policy", "copy", "oci:" + img, "docker-archive:" + DOCKER_TAR + ":img:latest");
    // An OCI tar holds only the image it was made for: another layout, with img alone.
    Path only = ociImg();
    run("skopeo", "--insecure-policy", "copy", "oci:" + img, "oci:" + only + ":img");
    run("skopeo", "--insecure-policy", "copy", "oci:" + OCI + ":base", "oci:" + BASE + ":base");
    run("tar", "-C", only.toString(), "-cf", OCI_TAR.toString(), ".");
    // The rootless test's JVM reads these as uid 65534; umoci writes blobs 0600.
    run("chmod", "-R", "a+rX", DIR.toString());
  }

  /** A copy of the OCI layout, for a test that damages it. */
  static Path copyOfOci(Path dir) throws IOException {
    run("cp", "-a", ociImg().toString(), dir.toString());
    return dir;
  }

  static String run(String... command) {
    return ChildJvm.runOrFail(List.of(command));
  }

  static Path ociImg() {
    return DIR.resolve("oci-img");
  }

  static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new ArrayList<>(s.sorted().toList());
    }
  }

  static void deleteTree(Path dir) {
    try {
      Trees.delete(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
