package dev.isola.cli;

import dev.isola.PullListener;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A pull's progress on standard error: on a terminal one bar for all blobs, redrawn in place; else
 * (a log, a pipe) a line as each blob completes, so that logs stay readable.
 */
final class PullProgress implements PullListener {
  private static final int BAR = 30;

  private final PrintStream err;
  private final boolean terminal;
  private final Map<String, long[]> blobs = new LinkedHashMap<>();
  private long lastDraw;

  PullProgress(PrintStream err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  @Override
  public synchronized void progress(String digest, long bytesDone, long bytesTotal) {
    blobs.put(digest, new long[] {bytesDone, bytesTotal});
    boolean finished = bytesTotal >= 0 ? bytesDone >= bytesTotal : false;
    if (!terminal) {
      if (finished) {
        err.println(short12(digest) + ": " + size(bytesDone) + " done");
      }
      return;
    }
    long now = System.nanoTime();
    if (finished || now - lastDraw > 100_000_000L) {
      lastDraw = now;
      err.print("\r" + line());
      err.flush();
    }
  }

  /** Ends the bar's line; a no-op when nothing was downloaded or not on a terminal. */
  synchronized void finish() {
    if (terminal && !blobs.isEmpty()) {
      err.print("\r" + line() + "\n");
      err.flush();
    }
  }

  /** {@code [#########-----]  60%  12.0 MiB / 20.0 MiB  2/3 layers}. */
  synchronized String line() {
    long done = 0;
    long total = 0;
    int complete = 0;
    for (long[] b : blobs.values()) {
      done += b[0];
      total += Math.max(b[1], b[0]);
      if (b[1] >= 0 && b[0] >= b[1]) {
        complete++;
      }
    }
    int filled = total == 0 ? 0 : (int) (BAR * done / total);
    return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + String.format(Locale.ROOT, "%3d%%",
        total == 0 ? 0 : 100 * done / total) + "  " + size(done) + " / " + size(total) + "  " + complete + "/" + blobs.size()
        + " layers";
  }

  private static String short12(String digest) {
    return digest.length() > 19 ? digest.substring(0, 19) : digest;
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double kib = bytes / 1024.0;
    return kib < 1024 ? String.format(Locale.ROOT, "%.1f KiB", kib) : String.format(Locale.ROOT, "%.1f MiB", kib / 1024);
  }
}
