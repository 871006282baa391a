package dev.isola.linux;

import java.io.Closeable;
import java.io.IOException;

/**
 * A file descriptor owned by the JVM. It is closed only when no call is using it, so that a
 * {@link #close()} racing a blocked {@code read} never lets the number be reused underneath it.
 */
final class Fd implements Closeable {
  private final int fd;
  private int users;
  private boolean closed;

  Fd(int fd) {
    this.fd = fd;
  }

  /** The number, for a call that ends with {@link #release()}. */
  synchronized int acquire() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    users++;
    return fd;
  }

  synchronized void release() {
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
