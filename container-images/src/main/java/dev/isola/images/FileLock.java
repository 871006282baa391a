package dev.isola.images;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;

/**
 * An exclusive lock on a file, between threads and between processes. A file lock alone is not
 * enough: the JVM holds file locks per process and throws when a second thread asks for one it
 * already holds, so threads queue on a semaphore of their own first. Not reentrant: a thread that
 * holds a lock and asks for it again is told it is taken (tryAcquire), as another process would be.
 */
final class FileLock implements AutoCloseable {
  private static final ConcurrentMap<Path, Semaphore> THREAD_LOCKS = new ConcurrentHashMap<>();

  private final Semaphore threadLock;
  private final FileChannel channel;

  private FileLock(Semaphore threadLock, FileChannel channel) {
    this.threadLock = threadLock;
    this.channel = channel;
  }

  /** Waits for the lock on {@code file}, creating the file if missing. */
  static FileLock acquire(Path file) throws IOException {
    Semaphore threadLock = threadLock(file);
    threadLock.acquireUninterruptibly();
    try {
      FileChannel channel = open(file);
      try {
        channel.lock();
        return new FileLock(threadLock, channel);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      threadLock.release();
      throw e;
    }
  }

  /** The lock on {@code file} if nobody holds it now. */
  static Optional<FileLock> tryAcquire(Path file) throws IOException {
    Semaphore threadLock = threadLock(file);
    if (!threadLock.tryAcquire()) {
      return Optional.empty();
    }
    try {
      FileChannel channel = open(file);
      if (channel.tryLock() == null) {
        channel.close();
        threadLock.release();
        return Optional.empty();
      }
      return Optional.of(new FileLock(threadLock, channel));
    } catch (IOException | RuntimeException e) {
      threadLock.release();
      throw e;
    }
  }

  private static Semaphore threadLock(Path file) {
    return THREAD_LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), f -> new Semaphore(1));
  }

  private static FileChannel open(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  }

  /** The locked file's channel, for a holder that writes into it. */
  FileChannel channel() {
    return channel;
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      threadLock.release();
    }
  }
}
