package dev.isola;

/**
 * Told how an image pull downloads its blobs, for a progress display. Layers are fetched in
 * parallel, so calls for different blobs may come from several threads at once; calls for one blob
 * come from one thread, in order. Blobs already in the store are not downloaded and not reported.
 */
@FunctionalInterface
public interface PullListener {
  /**
   * {@code bytesDone} of the blob {@code digest} ({@code sha256:…}) have arrived, of {@code
   * bytesTotal} (-1 when the registry did not say). Called at the start with 0 and at the end with
   * the total; an exception thrown here fails the pull.
   */
  void progress(String digest, long bytesDone, long bytesTotal);

  /** A listener that ignores progress. */
  static PullListener none() {
    return (digest, done, total) -> {};
  }
}
