package dev.isola.linux.internal.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;

/**
 * Descriptors passed over a Unix socket (SCM_RIGHTS): a container's to the launch server, a
 * terminal's master back from the container. The structures of one message share one block of
 * the C heap, freed at once: a block per start left for the garbage collector grew the heap into
 * fresh pages, a page fault each.
 */
public final class FdPassing {
  public static final int AF_UNIX = 1;
  public static final int SOCK_STREAM = 1;
  public static final int SOCK_SEQPACKET = 5;
  public static final int SOCK_CLOEXEC = LibC.O_CLOEXEC;
  private static final int SOL_SOCKET = 1;
  private static final int SCM_RIGHTS = 1;
  private static final int MSG_NOSIGNAL = 0x4000;
  private static final int MSG_CMSG_CLOEXEC = 0x40000000;
  /** struct msghdr, struct iovec and the one data byte on LP64, then the control message. */
  private static final int MSGHDR = 56;
  private static final int IOV = 16;
  private static final int DATA = 8;

  private FdPassing() {}

  /** Sends {@code fds} with one byte; false with errno set when the other end is gone. */
  public static boolean send(int socket, int[] fds) {
    try (Message m = new Message(fds.length)) {
      for (int i = 0; i < fds.length; i++) {
        m.control.setInt(16 + 4L * i, fds[i]);
      }
      long sent;
      do {
        sent = LibC.sendmsg(socket, m.msg, MSG_NOSIGNAL);
      } while (sent < 0 && Native.getLastError() == Errno.EINTR);
      return sent == 1;
    }
  }

  /** Receives one descriptor (close-on-exec) sent with one byte; blocks until it comes. */
  public static int receiveOne(int socket, String what) throws IOException {
    try (Message m = new Message(1)) {
      long got;
      do {
        got = LibC.recvmsg(socket, m.msg, MSG_CMSG_CLOEXEC);
      } while (got < 0 && Native.getLastError() == Errno.EINTR);
      if (got < 0) {
        throw Errno.last("receive " + what);
      }
      if (got == 0 || m.msg.getLong(40) < m.cmsgLen || m.control.getInt(8) != SOL_SOCKET || m.control.getInt(12) != SCM_RIGHTS) {
        throw new IOException("receive " + what + ": no descriptor came");
      }
      return m.control.getInt(16);
    }
  }

  /** One message of one data byte and room for {@code count} descriptors. */
  private static final class Message implements AutoCloseable {
    final Memory block;
    final Pointer msg;
    final Pointer control;
    final int cmsgLen;

    Message(int count) {
      cmsgLen = 16 + 4 * count; // CMSG_LEN: struct cmsghdr {size_t len; int level; int type}, then the fds
      int cmsgSpace = (cmsgLen + 7) & ~7;
      block = new Memory(MSGHDR + IOV + DATA + cmsgSpace);
      block.clear();
      msg = block;
      Pointer iov = block.share(MSGHDR); // struct iovec {void *base; size_t len}
      Pointer data = block.share(MSGHDR + IOV);
      control = block.share(MSGHDR + IOV + DATA);
      data.setByte(0, (byte) 'c');
      iov.setPointer(0, data);
      iov.setLong(8, 1);
      control.setLong(0, cmsgLen);
      control.setInt(8, SOL_SOCKET);
      control.setInt(12, SCM_RIGHTS);
      msg.setPointer(16, iov);
      msg.setLong(24, 1);
      msg.setPointer(32, control);
      msg.setLong(40, cmsgSpace);
    }

    @Override
    public void close() {
      block.close();
    }
  }
}
