package dev.isola.examples;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * What the examples share: sections that print rows and fail alone, and containers run to their
 * end with their output read.
 */
final class Report {
  private static final String ROW = "  %-22s %s%n";
  private int failed;

  /** What a finished container printed, and how it ended. */
  record Run(String out, String err, ExitStatus status) {}

  /** A section's body, which may throw. */
  interface Section {
    void run() throws Exception;
  }

  static Run run(ContainerSpec.Builder b) throws Exception {
    try (Container c = b.start()) {
      return finish(c);
    }
  }

  /** Like {@link #run}, but the command must succeed. */
  static Run runOk(ContainerSpec.Builder b) throws Exception {
    Run r = run(b);
    expect(r.status().isSuccess(), r.status() + (r.err().isBlank() ? "" : ": " + r.err().strip()));
    return r;
  }

  /** Reads stdout fully (stderr on the side, so that neither pipe fills up), then waits. */
  static Run finish(Container c) throws Exception {
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(c.stderr()));
    String out = text(c.stdout());
    return new Run(out, err.join(), c.waitFor());
  }

  private static String text(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void expect(boolean ok, String unexpected) {
    if (!ok) {
      throw new Unexpected("unexpected result: " + unexpected);
    }
  }

  static void row(String label, String value) {
    System.out.printf(ROW, label, value);
  }

  void section(String title, Section body) {
    System.out.println();
    System.out.println("== " + title + " " + "=".repeat(Math.max(3, 60 - title.length())));
    try {
      body.run();
    } catch (Exception | LinkageError e) {
      failed++;
      boolean plain = e instanceof ContainerException || e instanceof Unexpected;
      System.out.println("  FAILED: " + (plain ? e.getMessage() : e.toString()));
    }
  }

  /** Prints the tally and exits: 0 when every section passed, else 1. */
  void exit() {
    System.out.println();
    System.out.println(failed == 0 ? "All sections passed." : failed + " section(s) failed.");
    System.exit(failed == 0 ? 0 : 1);
  }

  static final class Unexpected extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unexpected(String message) {
      super(message);
    }
  }
}
