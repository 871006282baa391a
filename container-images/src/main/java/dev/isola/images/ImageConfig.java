package dev.isola.images;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.isola.ContainerException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** What the image's configuration blob says: the layers' diff ids and a container's defaults. */
final class ImageConfig {
  final List<String> diffIds;
  final List<String> entrypoint;
  final List<String> cmd;
  final List<String> env;
  final @Nullable String workingDir;
  final String user;

  private ImageConfig(List<String> diffIds, List<String> entrypoint, List<String> cmd, List<String> env,
      @Nullable String workingDir, String user) {
    this.diffIds = diffIds;
    this.entrypoint = entrypoint;
    this.cmd = cmd;
    this.env = env;
    this.workingDir = workingDir;
    this.user = user;
  }

  /** {@code what} names the config in errors. */
  static ImageConfig parse(String what, JsonObject json) {
    JsonElement rootfs = json.get("rootfs");
    if (!(rootfs instanceof JsonObject) || !(((JsonObject) rootfs).get("diff_ids") instanceof JsonArray)) {
      throw new ContainerException(what + " has no rootfs.diff_ids");
    }
    List<String> diffIds = new ArrayList<>();
    for (String id : strings(what, "rootfs.diff_ids", ((JsonObject) rootfs).get("diff_ids"))) {
      diffIds.add(Sha256.hexOf(what + " diff_id", id));
    }
    JsonObject config = json.get("config") instanceof JsonObject ? json.getAsJsonObject("config") : new JsonObject();
    String workingDir = ImageManifest.optionalString(config, "WorkingDir");
    String user = ImageManifest.optionalString(config, "User");
    return new ImageConfig(List.copyOf(diffIds), strings(what, "Entrypoint", config.get("Entrypoint")),
        strings(what, "Cmd", config.get("Cmd")), strings(what, "Env", config.get("Env")),
        workingDir == null || workingDir.isEmpty() ? null : workingDir, user == null ? "" : user);
  }

  /** A list of strings; absent or null is empty, as writers leave unset fields. */
  private static List<String> strings(String what, String key, @Nullable JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (e.isJsonArray()) {
      for (JsonElement s : e.getAsJsonArray()) {
        if (!s.isJsonPrimitive() || !s.getAsJsonPrimitive().isString()) {
          throw new ContainerException(what + ": " + key + " holds a value that is not a string: " + s);
        }
        out.add(s.getAsString());
      }
      return List.copyOf(out);
    }
    throw new ContainerException(what + ": " + key + " is not a list of strings: " + e);
  }
}
