package dev.isola.linux.internal.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/** Writes a pipe to the container; closing it gives the container end of file. */
public final class FdOutputStream extends OutputStream {
  private static final int CHUNK = Fd.TRANSFER;

  private final Fd fd;

public   FdOutputStream(Fd fd) {
    this.fd = fd;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    int n = fd.acquire();
    try {
      synchronized (this) {
        Memory buffer = Fd.transferBuffer();
        while (len > 0) {
          int chunk = Math.min(len, CHUNK);
          buffer.write(0, b, off, chunk);
          long done = 0;
          while (done < chunk) {
            long w = LibC.write(n, buffer.share(done), chunk - done);
            if (w < 0 && Native.getLastError() == Errno.EINTR) {
              continue;
            }
            if (w < 0) {
              throw Errno.last("write to the container's stdin");
            }
            done += w;
          }
          off += chunk;
          len -= chunk;
        }
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
