package dev.isola.linux.internal.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One daemon thread for every container of the JVM: it waits with epoll on the launchers' status
 * pipes and hands each readable one to its container. A container costs a descriptor here, not
 * a thread.
 */
public final class Supervisor {
  /** Something the supervisor watches. */
  public interface Watched {
    /** The status descriptor is readable (or at end of file); read without blocking. */
    void onReadable();

    /** {@link #onReadable()} threw: the watch is over, and the failure must reach the caller. */
    void onFailure(Throwable failure);
  }

  // struct epoll_event is packed on x86_64 only
  private static final int EVENT_SIZE = Platform.isIntel() ? 12 : 16;
  private static final int DATA_OFFSET = Platform.isIntel() ? 4 : 8;
  private static final int MAX_EVENTS = 64;

  private final int epoll;
  private final Map<Integer, Watched> watched = new ConcurrentHashMap<>();

public   Supervisor() {
    epoll = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
    if (epoll < 0) {
      throw new UncheckedIOException(Errno.last("epoll_create1"));
    }
    Thread t = new Thread(this::run, "isola-supervisor");
    t.setDaemon(true);
    t.start();
  }

  public void watch(int fd, Watched w) {
    watched.put(fd, w);
    try (Memory event = new Memory(EVENT_SIZE)) { // freed at once: one per container would wait for the collector
      event.clear();
      event.setInt(0, LibC.EPOLLIN);
      event.setLong(DATA_OFFSET, fd);
      if (LibC.epoll_ctl(epoll, LibC.EPOLL_CTL_ADD, fd, event) < 0) {
        watched.remove(fd);
        throw new UncheckedIOException(Errno.last("epoll_ctl ADD"));
      }
    }
  }

  /** Stops watching; call before closing the descriptor, so its number can be reused. */
  public void unwatch(int fd) {
    LibC.epoll_ctl(epoll, LibC.EPOLL_CTL_DEL, fd, null);
    watched.remove(fd);
  }

  int watchedCount() {
    return watched.size();
  }

  private void run() {
    Memory events = new Memory((long) EVENT_SIZE * MAX_EVENTS);
    while (true) {
      int n = LibC.epoll_wait(epoll, events, MAX_EVENTS, -1);
      if (n < 0) {
        if (Native.getLastError() != Errno.EINTR) {
          throw new IllegalStateException("isola supervisor: " + Errno.describe(Native.getLastError()));
        }
        continue;
      }
      for (int i = 0; i < n; i++) {
        int fd = (int) events.getLong((long) i * EVENT_SIZE + DATA_OFFSET);
        Watched w = watched.get(fd);
        if (w != null) {
          try {
            w.onReadable();
          } catch (RuntimeException | Error e) {
            unwatch(fd);
            w.onFailure(e);
          }
        }
      }
    }
  }
}
