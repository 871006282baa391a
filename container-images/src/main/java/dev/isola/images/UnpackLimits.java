package dev.isola.images;

/** What one layer may unpack to, and whether its device nodes are made (see {@link ImageStore#withUnpackLimits}). */
record UnpackLimits(long maxBytes, long maxEntries, int maxDepth, boolean deviceNodes) {
  static final UnpackLimits DEFAULTS = new UnpackLimits(ImageStore.DEFAULT_MAX_LAYER_BYTES, ImageStore.DEFAULT_MAX_LAYER_ENTRIES,
      ImageStore.DEFAULT_MAX_PATH_DEPTH, false);

  UnpackLimits {
    if (maxBytes < 1 || maxEntries < 1 || maxDepth < 1) {
      throw new IllegalArgumentException("unpack limits must be positive: " + maxBytes + " bytes, " + maxEntries + " entries, depth "
          + maxDepth);
    }
  }
}
