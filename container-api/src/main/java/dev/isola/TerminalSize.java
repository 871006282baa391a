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
}
