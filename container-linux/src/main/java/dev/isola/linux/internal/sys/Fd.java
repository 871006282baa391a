package dev.isola.linux.internal.sys;

import com.sun.jna.Memory;
import java.io.Closeable;
import java.io.IOException;

/**
 * A file descriptor owned by the JVM. It is closed only when no call is using it, so that a
 * {@link #close()} racing a blocked {@code read} never lets the number be reused underneath it.
 */
public final class Fd implements Closeable {
  /** The size of {@link #transferBuffer()}. */
  static final int TRANSFER = 16 * 1024;

  /**
   * One per thread rather than one per stream: a container's stdio streams and status reader
   * held 52 KiB of the C heap (180 KiB with an output limit), fresh pages and a fault each for
   * every container, until the collector freed them.
   */
  private static final ThreadLocal<Memory> BUFFER = ThreadLocal.withInitial(() -> new Memory(TRANSFER));

  private final int fd;
  private int users;
  private boolean closed;

public   Fd(int fd) {
    this.fd = fd;
  }

  /** This thread's buffer for moving bytes between a descriptor and the Java heap. */
  public static Memory transferBuffer() {
    return BUFFER.get();
  }

  /** The number, for a call that ends with {@link #release()}. */
  public synchronized int acquire() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    users++;
    return fd;
  }

  public synchronized void release() {
    if (--users == 0 && closed) {
      LibC.close(fd);
    }
  }

  synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      if (users == 0) {
        LibC.close(fd);
      }
    }
  }
}
