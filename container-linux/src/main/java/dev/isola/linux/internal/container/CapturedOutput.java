package dev.isola.linux.internal.container;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.Fd;
import dev.isola.linux.internal.sys.LibC;
import dev.isola.linux.internal.sys.Supervisor;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Standard output or error of a container with an output limit: the {@link Supervisor} thread
 * reads the pipe as data arrives (so the container never blocks on a full pipe) into a buffer
 * that the caller reads through {@link #stream()}. Both streams of a container share one {@link
 * Budget}; past it, output is thrown away and the budget's owner is told once.
 */
public final class CapturedOutput implements Supervisor.Watched {
  /** The bytes both streams may still keep, shared. */
  static final class Budget {
    private long left;
    private boolean exceeded;
    private final Runnable onExceeded;

    Budget(long bytes, Runnable onExceeded) {
      this.left = bytes;
      this.onExceeded = onExceeded;
    }

    /** How many of {@code n} new bytes may be kept. */
    long take(long n) {
      boolean first;
      long kept;
      synchronized (this) {
        kept = Math.min(n, left);
        left -= kept;
        first = kept < n && !exceeded;
        exceeded |= kept < n;
      }
      if (first) {
        onExceeded.run();
      }
      return kept;
    }

    synchronized boolean exceeded() {
      return exceeded;
    }
  }

  private final Supervisor supervisor;
  private final int fd;
  private final Budget budget;
  private byte[] buffer = new byte[4096];
  private int start;
  private int end;
  private boolean eof;
  private boolean closedByReader;

  CapturedOutput(Supervisor supervisor, int fd, Budget budget) {
    this.supervisor = supervisor;
    this.fd = fd;
    this.budget = budget;
    LibC.fcntl(fd, LibC.F_SETFL, LibC.O_NONBLOCK);
    supervisor.watch(fd, this);
  }

  /** Reads what the pipe holds now; on the supervisor thread, and once more at the container's end. */
  @Override
  public void onReadable() {
    while (true) {
      long n;
      synchronized (this) {
        if (eof) {
          return;
        }
        Memory chunk = Fd.transferBuffer();
        n = LibC.read(fd, chunk, chunk.size());
        if (n < 0 && Native.getLastError() == Errno.EINTR) {
          continue;
        }
        if (n < 0) {
          return; // EAGAIN: nothing more for now
        }
        if (n == 0) {
          finish();
          return;
        }
        int kept = (int) budget.take(n);
        if (kept > 0 && !closedByReader) {
          append(chunk, kept);
        }
      }
    }
  }

  @Override
  public void onFailure(Throwable failure) {
    synchronized (this) {
      finish();
    }
  }

  private void append(Memory chunk, int n) {
    if (end + n > buffer.length) {
      int live = end - start;
      byte[] next = live + n > buffer.length ? new byte[Math.max(buffer.length * 2, live + n)] : buffer;
      System.arraycopy(buffer, start, next, 0, live);
      buffer = next;
      start = 0;
      end = live;
    }
    chunk.read(0, buffer, end, n);
    end += n;
    notifyAll();
  }

  private void finish() {
    if (!eof) {
      eof = true;
      supervisor.unwatch(fd);
      LibC.close(fd);
      notifyAll();
    }
  }

  InputStream stream() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        synchronized (CapturedOutput.this) {
          while (start == end && !eof && !closedByReader) {
            try {
              CapturedOutput.this.wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new java.io.InterruptedIOException("interrupted while reading the container's output");
            }
          }
          if (start == end) {
            return -1;
          }
          if (len == 0) {
            return 0;
          }
          int n = Math.min(len, end - start);
          System.arraycopy(buffer, start, b, off, n);
          start += n;
          return n;
        }
      }

      @Override
      public int available() {
        synchronized (CapturedOutput.this) {
          return end - start;
        }
      }

      /** The caller wants no more: what comes is read and thrown away until the end. */
      @Override
      public void close() {
        synchronized (CapturedOutput.this) {
          closedByReader = true;
          buffer = new byte[0];
          start = end = 0;
          CapturedOutput.this.notifyAll();
        }
      }
    };
  }

  @Override
  public String toString() {
    return "CapturedOutput{fd " + fd + ", " + Arrays.toString(new int[] {start, end}) + (eof ? ", at end" : "") + "}";
  }
}
