package dev.isola.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a one-layer OCI image layout of the host's static busybox, the smallest real image the
 * examples can make without a registry: what {@code skopeo copy … oci:} or {@code umoci} would
 * write for it.
 */
final class BusyboxImage {
  static final Path BUSYBOX = Path.of("/bin/busybox");

  private BusyboxImage() {}

  /** Writes the layout into the new directory {@code layout} and returns it. */
  static Path write(Path layout) throws IOException, InterruptedException {
    if (!Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException("this example needs a static busybox at " + BUSYBOX
          + " (Debian: apt-get install busybox-static)");
    }
    byte[] layer = layer();
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
        + "\"Cmd\":[\"sh\"],\"WorkingDir\":\"/root\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + digest(layer) + "\"]}}";
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", bytes(config)) + ","
        + "\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar", layer) + "]}";
    String index = "{\"schemaVersion\":2,\"manifests\":[" + descriptor("application/vnd.oci.image.manifest.v1+json", bytes(manifest)) + "]}";
    Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
    for (byte[] blob : List.of(layer, bytes(config), bytes(manifest))) {
      Files.write(blobs.resolve(digest(blob).substring("sha256:".length())), blob);
    }
    Files.writeString(layout.resolve("index.json"), index);
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    return layout;
  }

  /** busybox, a link for each of its programs, a root user, and the directories a root needs. */
  private static byte[] layer() throws IOException, InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (String dir : List.of("bin/", "etc/", "root/", "proc/", "dev/", "tmp/")) {
        TarArchiveEntry e = new TarArchiveEntry(dir);
        e.setMode(dir.equals("tmp/") ? 01777 : dir.equals("root/") ? 0700 : 0755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
      file(tar, "bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
      file(tar, "etc/passwd", bytes("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"), 0644);
      file(tar, "etc/group", bytes("root:x:0:\nnogroup:x:65534:\n"), 0644);
      for (String applet : applets()) {
        if (!applet.equals("busybox")) {
          TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
          link.setLinkName("busybox");
          tar.putArchiveEntry(link);
          tar.closeArchiveEntry();
        }
      }
    }
    return out.toByteArray();
  }

  private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(content.length);
    e.setMode(mode);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private static List<String> applets() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(BUSYBOX.toString(), "--list").redirectErrorStream(true).start();
    List<String> names = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
        .filter(n -> n.matches("[a-z0-9_.\\[-]+")).toList();
    if (p.waitFor() != 0) {
      throw new IOException(BUSYBOX + " --list failed");
    }
    return names;
  }

  private static String descriptor(String mediaType, byte[] blob) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest(blob) + "\",\"size\":" + blob.length + "}";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String digest(byte[] blob) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
