package dev.isola.images;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.isola.ContainerException;
import dev.isola.IdMapping;
import dev.isola.Image;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the store remembers of a loaded image, as {@code images/<config hex>.json}: its layers
 * (diff ids, lowest first) and the defaults its config gives, already resolved.
 */
final class ImageRecord {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();

  // Fields are written and read by gson.
  String id = "";
  List<String> layers = List.of();
  List<String> entrypoint = List.of();
  List<String> cmd = List.of();
  List<String> env = List.of();
  @Nullable String workingDir;
  long uid;
  long gid;

  static ImageRecord of(String configDigest, ImageConfig config, ImageUser user) {
    ImageRecord r = new ImageRecord();
    r.id = "sha256:" + configDigest;
    r.layers = config.diffIds;
    r.entrypoint = config.entrypoint;
    r.cmd = config.cmd;
    r.env = config.env;
    r.workingDir = config.workingDir;
    r.uid = user.uid;
    r.gid = user.gid;
    return r;
  }

  static ImageRecord read(Path file) throws IOException {
    try {
      ImageRecord r = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), ImageRecord.class);
      if (r == null || r.layers == null || r.layers.isEmpty()) {
        throw new ContainerException("image record " + file + " lists no layers");
      }
      for (String layer : r.layers) {
        Sha256.hexOf("image record " + file, "sha256:" + layer);
      }
      return r;
    } catch (JsonParseException e) {
      throw new ContainerException("image record " + file + " is not valid: " + e.getMessage(), e);
    }
  }

  /** Writes the record whole or not at all: readers never see half of it. */
  void write(Path file, Path tmp) throws IOException {
    Path partial = Files.createTempFile(tmp, "record-", ".json");
    Files.writeString(partial, GSON.toJson(this), StandardCharsets.UTF_8);
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
  }

  Image toImage(Path layersDir, IdMapping owner, @org.jspecify.annotations.Nullable String reference) {
    Image.Builder b = Image.builder().id(id).idMapping(owner).entrypoint(entrypoint).cmd(cmd).user(uid, gid);
    if (reference != null) {
      b.reference(reference);
    }
    // overlayfs refuses a directory twice; the highest occurrence re-applies all of the layer
    // above the layers between, so the lower ones change nothing
    for (int i = 0; i < layers.size(); i++) {
      if (layers.lastIndexOf(layers.get(i)) == i) {
        b.layer(layersDir.resolve(layers.get(i)));
      }
    }
    for (String kv : env) {
      int eq = kv.indexOf('=');
      // Docker takes "NAME" without "=" as an empty value, so does this.
      b.env(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
    }
    if (workingDir != null) {
      b.workingDirectory(workingDir);
    }
    return b.build();
  }
}
