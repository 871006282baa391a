package dev.isola.linux.internal.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** Reads a pipe from the container. */
public final class FdInputStream extends InputStream {
  private static final int CHUNK = Fd.TRANSFER;

  private final Fd fd;

public   FdInputStream(Fd fd) {
    this.fd = fd;
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
