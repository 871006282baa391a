package dev.isola.junit;

import dev.isola.ContainerException;

/**
 * A fixture did not become ready: it ended first, or its wait timed out. The message says which,
 * and holds the last lines of the container's output.
 */
public final class FixtureException extends ContainerException {
  private static final long serialVersionUID = 1L;

  public FixtureException(String message) {
    super(message);
  }

  public FixtureException(String message, Throwable cause) {
    super(message, cause);
  }
}
