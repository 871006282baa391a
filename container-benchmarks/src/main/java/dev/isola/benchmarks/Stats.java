package dev.isola.benchmarks;

import java.util.Arrays;

/** Order statistics of a series of durations, in nanoseconds. */
final class Stats {
  private long[] values = new long[64];
  private int size;

  void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  int count() {
    return size;
  }

  /** The median (the mean of the two middle values for an even count), in milliseconds. */
  double medianMs() {
    long[] s = sorted();
    double m = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    return m / 1e6;
  }

  /** The nearest-rank percentile {@code p} (0 to 100), in milliseconds. */
  double percentileMs(double p) {
    long[] s = sorted();
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))] / 1e6;
  }

  double minMs() {
    return sorted()[0] / 1e6;
  }

  double maxMs() {
    long[] s = sorted();
    return s[s.length - 1] / 1e6;
  }

  private long[] sorted() {
    if (size == 0) {
      throw new IllegalStateException("no values");
    }
    long[] s = Arrays.copyOf(values, size);
    Arrays.sort(s);
    return s;
  }
}
