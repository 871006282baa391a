package dev.isola;

/**
 * The size of a pseudo-terminal in character cells, as {@code stty size} prints it (rows, then
 * columns). Each is 1 to 65535.
 */
public record TerminalSize(int columns, int rows) {
  public TerminalSize {
    if (columns < 1 || columns > 65535) {
      throw new IllegalArgumentException("terminal columns must be within 1..65535: " + columns);
    }
    if (rows < 1 || rows > 65535) {
      throw new IllegalArgumentException("terminal rows must be within 1..65535: " + rows);
    }
  }

  /** The size a resize of a {@code what} asks for, refused when it has no terminal or has ended. */
  static TerminalSize forResize(int columns, int rows, boolean hasTerminal, boolean alive, String what) {
    TerminalSize size = new TerminalSize(columns, rows);
    if (!hasTerminal) {
      throw new IllegalStateException("the " + what + " has no terminal: give its spec tty(columns, rows)");
    }
    if (!alive) {
      throw new IllegalStateException("the " + what + " has ended; its terminal is gone");
    }
    return size;
  }
}
