package dev.isola.images;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.isola.PullListener;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

/**
 * A registry's repository seen as an OCI layout, so that a pull is verified and unpacked by the
 * same code as a loaded image: {@code index.json} names the manifest that the reference resolves
 * to, manifests come from the registry's manifest endpoint, configs and layers from its blobs.
 */
final class RegistryArchive extends ImageArchive {
  /** Layers at once: enough to fill a link, few enough to be polite to the registry. */
  private static final int PARALLEL_LAYERS = 3;

  private final RegistryClient client;
  private final PullListener listener;
  private final RegistryClient.Manifest top;
  private final byte[] index;

  RegistryArchive(Reference ref, RegistryClient client, PullListener listener) {
    super(ref.canonical());
    this.client = client;
    this.listener = listener;
    this.top = client.manifest(ref.manifestReference());
    JsonObject descriptor = new JsonObject();
    descriptor.addProperty("mediaType", top.mediaType());
    descriptor.addProperty("digest", "sha256:" + top.digest());
    descriptor.addProperty("size", top.bytes().length);
    JsonArray manifests = new JsonArray();
    manifests.add(descriptor);
    JsonObject layout = new JsonObject();
    layout.addProperty("schemaVersion", 2);
    layout.add("manifests", manifests);
    this.index = layout.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  boolean has(String path) {
    return path.equals("oci-layout") || path.equals("index.json") || path.startsWith("blobs/sha256/");
  }

  @Override
  byte[] read(String path) throws IOException {
    if (path.equals("index.json")) {
      return index.clone();
    }
    if (path.equals("oci-layout")) {
      return "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
    }
    try (InputStream in = client.blob(digestOf(path)).body()) {
      return readSmall(in, path);
    }
  }

  @Override
  byte[] manifest(String digest) {
    return digest.equals(top.digest()) ? top.bytes().clone() : client.manifest("sha256:" + digest).bytes();
  }

  @Override
  InputStream open(String path) throws IOException {
    String digest = digestOf(path);
    RegistryClient.Blob blob = client.blob(digest);
    return new Progress(blob.body(), "sha256:" + digest, blob.length(), listener);
  }

  @Override
  int parallelism() {
    return PARALLEL_LAYERS;
  }

  private static String digestOf(String path) throws NoSuchFileException {
    if (!path.startsWith("blobs/sha256/")) {
      throw new NoSuchFileException(path);
    }
    return path.substring("blobs/sha256/".length());
  }

  @Override
  public void close() {}

  /** Tells the listener how much of a blob has been read, at most every 256 KiB and at the end. */
  private static final class Progress extends FilterInputStream {
    private static final long STEP = 256 << 10;
    private final String digest;
    private final long total;
    private final PullListener listener;
    private long done;
    private long reported;
    private boolean ended;

    Progress(InputStream in, String digest, long total, PullListener listener) {
      super(in);
      this.digest = digest;
      this.total = total;
      this.listener = listener;
      listener.progress(digest, 0, total);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      count(b < 0 ? -1 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      count(n);
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count(skipped);
      return skipped;
    }

    private void count(long n) {
      if (n < 0) {
        if (!ended) {
          ended = true;
          listener.progress(digest, done, total);
        }
        return;
      }
      done += n;
      if (done - reported >= STEP) {
        reported = done;
        listener.progress(digest, done, total);
      }
    }
  }
}
