package dev.isola.images;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The calls Java has no API for: mknod (overlay whiteouts, FIFOs, devices), chmod by path, geteuid.
 * Not container-linux's binding: images serve every runtime (the OCI ones, Kubernetes' nodes), so
 * this module depends on the API alone, never on an engine; three calls do not earn a shared module.
 */
interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int S_IFIFO = 0010000;
  int S_IFCHR = 0020000;
  int S_IFBLK = 0060000;

  int mknod(String path, int mode, long dev) throws LastErrorException;

  /** By path: Java's chmod opens the file, which blocks on a FIFO and may act on a device. */
  int chmod(String path, int mode) throws LastErrorException;

  int geteuid();

  /** glibc's {@code makedev}: the device number of {@code major:minor}. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
        | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }
}
