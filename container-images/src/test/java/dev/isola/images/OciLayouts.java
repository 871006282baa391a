package dev.isola.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Hand-made OCI layouts whose layers hold exactly the entries a test wants, good or bad. */
final class OciLayouts {
  private OciLayouts() {}

  /** An uncompressed layer tar; {@code entries} adds to it. */
  static byte[] layer(TarWriter entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      entries.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  interface TarWriter {
    void write(TarArchiveOutputStream tar) throws IOException;
  }

  static void file(TarArchiveOutputStream tar, String name, String content, Consumer<TarArchiveEntry> tweak) throws IOException {
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(data.length);
    e.setMode(0644);
    tweak.accept(e);
    tar.putArchiveEntry(e);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  static void entry(TarArchiveOutputStream tar, String name, byte type, String link) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, type);
    if (!link.isEmpty()) {
      e.setLinkName(link);
    }
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  /** An OCI layout directory in {@code dir} of one image with these layers (uncompressed tars). */
  static Path write(Path dir, List<byte[]> layers, String configExtra) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    List<String> diffIds = new ArrayList<>();
    List<String> descriptors = new ArrayList<>();
    for (byte[] layer : layers) {
      String digest = blob(dir, layer);
      diffIds.add("\"sha256:" + digest + "\"");
      descriptors.add("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" + digest
          + "\",\"size\":" + layer.length + "}");
    }
    String config = blob(dir, ("{\"architecture\":\"amd64\",\"os\":\"linux\"," + configExtra
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + String.join(",", diffIds) + "]}}").getBytes(StandardCharsets.UTF_8));
    String manifest = blob(dir, ("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
        + "\"digest\":\"sha256:" + config + "\",\"size\":1},\"layers\":[" + String.join(",", descriptors) + "]}")
        .getBytes(StandardCharsets.UTF_8));
    Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + manifest + "\",\"size\":1}]}");
    return dir;
  }

  private static String blob(Path dir, byte[] content) throws IOException {
    String digest = Sha256.of(content);
    Files.write(dir.resolve("blobs/sha256/" + digest), content);
    return digest;
  }
}
