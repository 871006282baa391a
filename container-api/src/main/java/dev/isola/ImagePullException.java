package dev.isola;

/**
 * An image could not be pulled from its registry: the reference is malformed, the registry is
 * unreachable, has no such repository or tag, refused the credentials, or sent content that fails
 * verification. The message names the reference, gives the registry's own words and what to do;
 * nothing of the failed pull is left in the image store.
 */
public final class ImagePullException extends ContainerException {
  private static final long serialVersionUID = 1L;

  private final String reference;
  private final int httpStatus;

  public ImagePullException(String reference, int httpStatus, String message) {
    super(message);
    this.reference = reference;
    this.httpStatus = httpStatus;
  }

  public ImagePullException(String reference, int httpStatus, String message, Throwable cause) {
    super(message, cause);
    this.reference = reference;
    this.httpStatus = httpStatus;
  }

  /** The reference as the caller gave it. */
  public String reference() {
    return reference;
  }

  /** The HTTP status of the registry's refusal (404, 401, …), or 0 when no HTTP answer was at fault. */
  public int httpStatus() {
    return httpStatus;
  }
}
