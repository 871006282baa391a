package dev.isola.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes ({@code 256m}) and durations ({@code 10s}) as docker's flags write them. */
final class Units {
  private static final Pattern SIZE = Pattern.compile("([0-9]+)([bkmg]?)");
  private static final Pattern DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)?");

  private Units() {}

  /** Bytes: a number with an optional unit {@code b}, {@code k}, {@code m}, {@code g} (powers of 1024). */
  static long bytes(String flag, String value) {
    Matcher m = SIZE.matcher(value.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new UsageException(flag + " takes a size such as 256m or 1g, not \"" + value + "\"");
    }
    int shift = "bkmg".indexOf(m.group(2).isEmpty() ? "b" : m.group(2)) * 10;
    try {
      long n = Long.parseLong(m.group(1));
      if (n > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " is too large: \"" + value + "\"");
    }
  }

  /** A duration: a number with an optional unit {@code ms}, {@code s} (the default), {@code m}, {@code h}. */
  static Duration duration(String flag, String value) {
    Matcher m = DURATION.matcher(value);
    if (!m.matches()) {
      throw new UsageException(flag + " takes a duration such as 10s, 500ms or 2m, not \"" + value + "\"");
    }
    String unit = m.group(2) == null ? "s" : m.group(2);
    double perUnit = unit.equals("ms") ? 1e6 : unit.equals("s") ? 1e9 : unit.equals("m") ? 60e9 : 3600e9;
    double nanos = Double.parseDouble(m.group(1)) * perUnit;
    if (nanos <= 0 || nanos > Long.MAX_VALUE) {
      throw new UsageException(flag + " must be more than 0 and less than 292 years: \"" + value + "\"");
    }
    return Duration.ofNanos((long) nanos);
  }

  /** A positive decimal number of CPUs, such as {@code 0.5}. */
  static double cpus(String flag, String value) {
    try {
      double n = Double.parseDouble(value);
      if (n > 0 && Double.isFinite(n)) {
        return n;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new UsageException(flag + " takes a positive number of CPUs such as 0.5 or 2, not \"" + value + "\"");
  }
}
