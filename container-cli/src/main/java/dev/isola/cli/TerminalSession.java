package dev.isola.cli;

import dev.isola.Container;
import dev.isola.TerminalSize;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import sun.misc.Signal;

/**
 * The caller's terminal while a container runs on a terminal of its own ({@code isola run -it}):
 * in raw mode, so that every key (Ctrl-C among them) goes to the container, and restored on every
 * way out, a shutdown hook included; its size followed on SIGWINCH. The terminal is driven with
 * {@code stty} on {@code /dev/tty}, as a shell script would: the JDK has no termios.
 */
final class TerminalSession implements AutoCloseable {
  private static final File TTY = new File("/dev/tty");
  /** What a terminal that reports no size (0 0) gets, as docker does. */
  private static final TerminalSize FALLBACK = new TerminalSize(80, 24);

  private final String saved;
  private final Thread restoreAtExit;
  private boolean restored;

  private TerminalSession(String saved) {
    this.saved = saved;
    this.restoreAtExit = new Thread(this::restore, "isola-restore-terminal");
    Runtime.getRuntime().addShutdownHook(restoreAtExit);
  }

  /** Whether this process runs at a terminal: its standard input and output are one. */
  static boolean available() {
    return System.console() != null;
  }

  /** The caller's terminal size, when this process runs at a terminal. */
  static Optional<TerminalSize> ifAvailable() {
    return available() ? Optional.of(size()) : Optional.empty();
  }

  /** The caller's terminal size; 80x24 if it says 0 0. */
  static TerminalSize size() {
    try {
      String[] rowsColumns = stty("size").trim().split("\\s+");
      int rows = Integer.parseInt(rowsColumns[0]);
      int columns = Integer.parseInt(rowsColumns[1]);
      return rows > 0 && columns > 0 ? new TerminalSize(columns, rows) : FALLBACK;
    } catch (IOException | RuntimeException e) {
      return FALLBACK;
    }
  }

  /** Puts the caller's terminal in raw mode without echo, until {@link #close()}. */
  static TerminalSession raw() throws IOException {
    TerminalSession session = new TerminalSession(stty("-g").trim());
    stty("raw", "-echo");
    return session;
  }

  /**
   * Runs {@code c} at this terminal: keys to its stdin, its terminal's output to ours, our size to
   * its terminal; returns when its output ends.
   */
  void attach(Container c) throws IOException {
    Signal.handle(new Signal("WINCH"), s -> {
      if (c.isAlive()) {
        c.resizeTty(size().columns(), size().rows());
      }
    });
    Thread keys = new Thread(() -> copy(System.in, c.stdin()), "isola-keys");
    keys.setDaemon(true); // blocked in a read of our terminal when the container ends
    keys.start();
    copy(c.stdout(), System.out);
  }

  private static void copy(InputStream in, OutputStream out) {
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one end closed: the container ended, or our terminal went away
    }
  }

  @Override
  public void close() {
    restore();
    try {
      Runtime.getRuntime().removeShutdownHook(restoreAtExit);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs restore() too, which is idempotent
    }
  }

  private synchronized void restore() {
    if (!restored) {
      restored = true;
      try {
        stty(saved);
      } catch (IOException e) {
        System.err.println("isola: cannot restore the terminal (" + e.getMessage() + "); run: stty sane");
      }
    }
  }

  private static String stty(String... args) throws IOException {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "stty";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException("stty " + String.join(" ", args) + " failed with exit code " + p.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }
}
