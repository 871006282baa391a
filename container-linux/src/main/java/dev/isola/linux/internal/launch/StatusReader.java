package dev.isola.linux.internal.launch;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.Fd;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a container's status pipe: the launcher's {@code struct wire_msg}s, 16 bytes each, a
 * TEXT or USAGE message followed by its payload.
 */
public final class StatusReader {
  private final Fd status;
  private final byte[] pending = new byte[4096];
  private int have;
  private boolean eof;
  private byte[] payload = new byte[0];

  public StatusReader(Fd status) {
    this.status = status;
  }

  /** Whether the writing end is closed: every copy of it, the launcher's and its children's. */
  public boolean eof() {
    return eof;
  }

  /** The last message's payload as text. */
  public String text() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** The last message's payload as native-order 64-bit numbers. */
  public long[] longs() {
    LongBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder()).asLongBuffer();
    long[] v = new long[b.remaining()];
    b.get(v);
    return v;
  }

  /**
   * The next message as {type, step, err, value}, or null at end of file or (not {@code
   * blocking}) when none is complete yet.
   */
  public int[] next(boolean blocking) throws IOException {
    int size = LauncherProtocol.WIRE_MSG_SIZE;
    while (true) {
      if (have >= size) {
        ByteBuffer b = ByteBuffer.wrap(pending, 0, have).order(ByteOrder.nativeOrder());
        int[] msg = {b.getInt(), b.getInt(), b.getInt(), b.getInt()};
        int len = msg[0] == LauncherProtocol.MSG_TEXT || msg[0] == LauncherProtocol.MSG_USAGE ? msg[3] : 0;
        if (have >= size + len) {
          payload = Arrays.copyOfRange(pending, size, size + len);
          System.arraycopy(pending, size + len, pending, 0, have - size - len);
          have -= size + len;
          return msg;
        }
      }
      if (eof) {
        return null;
      }
      int fd = status.acquire();
      Memory buffer = Fd.transferBuffer();
      long n;
      try {
        n = LibC.read(fd, buffer, Math.min(buffer.size(), pending.length - have));
      } finally {
        status.release();
      }
      if (n < 0) {
        int e = Native.getLastError();
        if (e == Errno.EINTR) {
          continue;
        }
        if (e == Errno.EAGAIN && !blocking) {
          return null;
        }
        throw new IOException("read the launcher's status: " + Errno.describe(e));
      }
      if (n == 0) {
        eof = true;
        continue;
      }
      buffer.read(0, pending, have, (int) n);
      have += (int) n;
    }
  }
}
