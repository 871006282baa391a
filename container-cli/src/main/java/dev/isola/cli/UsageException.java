package dev.isola.cli;

/** A command line that cannot be run as written: the message names the flag or value. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
