package dev.isola;

import java.util.OptionalInt;

/**
 * A step of setting up the container failed: the message names the step (for example {@code
 * "mount proc on /proc"}) and the operating system's error. Nothing of the container is left
 * running when this is thrown.
 */
public final class ContainerStartException extends ContainerException {
  private static final long serialVersionUID = 1L;

  private final String step;
  private final String error;
  private final int errorNumber;

  /**
   * @param step what was being done, in words
   * @param error the operating system's name and text for the error, or a plain reason
   * @param errorNumber the operating system's error number, or -1 if none
   */
  public ContainerStartException(String step, String error, int errorNumber) {
    super("container setup failed at step \"" + step + "\": " + error);
    this.step = step;
    this.error = error;
    this.errorNumber = errorNumber;
  }

  /** The step that failed, in words. */
  public String step() {
    return step;
  }

  /** The error, for example {@code "Permission denied (EACCES)"}. */
  public String error() {
    return error;
  }

  /** The operating system's error number ({@code errno}), when the failure had one. */
  public OptionalInt errorNumber() {
    return errorNumber < 0 ? OptionalInt.empty() : OptionalInt.of(errorNumber);
  }
}
