package dev.isola;

/**
 * The spec asks for something this host or runtime cannot do: the message names the feature and
 * why (no runtime on the class path, kernel too old, not permitted for an ordinary user…).
 */
public final class UnsupportedFeatureException extends ContainerException {
  private static final long serialVersionUID = 1L;

  private final String feature;

  public UnsupportedFeatureException(String feature, String reason) {
    super(feature + " is not available: " + reason);
    this.feature = feature;
  }

  /** The feature that is missing, in words. */
  public String feature() {
    return feature;
  }
}
