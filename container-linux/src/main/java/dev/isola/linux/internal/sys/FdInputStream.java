package dev.isola.linux.internal.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** Reads a pipe, or a terminal's master, from the container. */
public final class FdInputStream extends InputStream {
  private static final int CHUNK = Fd.TRANSFER;

  private final Fd fd;
  private final boolean terminal;

  public FdInputStream(Fd fd) {
    this(fd, false);
  }

  /**
   * {@code terminal}: {@code fd} is a pseudo-terminal's master, whose read fails with EIO once
   * the last descriptor of its slave is closed: the end of its output, as a pipe's end of file.
   */
  public FdInputStream(Fd fd, boolean terminal) {
    this.fd = fd;
    this.terminal = terminal;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    int n = fd.acquire();
    try {
      synchronized (this) {
        Memory buffer = Fd.transferBuffer();
        long got;
        do {
          got = LibC.read(n, buffer, Math.min(len, CHUNK));
        } while (got < 0 && Native.getLastError() == Errno.EINTR);
        if (got < 0 && terminal && Native.getLastError() == Errno.EIO) {
          return -1;
        }
        if (got < 0) {
          throw Errno.last("read from the container");
        }
        if (got == 0) {
          return -1;
        }
        buffer.read(0, b, off, (int) got);
        return (int) got;
      }
    } finally {
      fd.release();
    }
  }

  @Override
  public void close() {
    fd.close();
  }
}
