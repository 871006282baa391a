package dev.isola.linux.internal.sys;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The C library calls the runtime makes from the JVM, bound with JNA's direct mapping. None of
 * them changes the JVM's credentials, signal state or namespaces: that is the launcher's work.
 * Failing calls return -1; {@link Native#getLastError()} then holds {@code errno}.
 */
public final class LibC {
  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_CREAT = 0100;
  public static final int O_NOCTTY = 0400;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_NONBLOCK = 04000;
  public static final int O_DIRECTORY = 0200000;
  public static final int O_NOFOLLOW = 0400000;
  public static final int O_CLOEXEC = 02000000;
  public static final int O_PATH = 010000000;
  public static final int AT_SYMLINK_NOFOLLOW = 0x100;

  public static final int F_DUPFD_CLOEXEC = 1030;
  public static final int F_SETFL = 4;
  public static final long TIOCSWINSZ = 0x5414;
  public static final int F_ADD_SEALS = 1033;
  public static final int F_SEAL_SEAL = 1;
  public static final int F_SEAL_SHRINK = 2;
  public static final int F_SEAL_GROW = 4;
  public static final int F_SEAL_WRITE = 8;

  public static final int MFD_CLOEXEC = 1;
  public static final int MFD_ALLOW_SEALING = 2;
  public static final int MFD_EXEC = 0x10;

  static final int EPOLL_CLOEXEC = O_CLOEXEC;
  static final int EPOLL_CTL_ADD = 1;
  static final int EPOLL_CTL_DEL = 2;
  static final int EPOLLIN = 1;
  static final int EPOLLHUP = 0x10;

  static {
    Native.register(LibC.class, NativeLibrary.getInstance("c"));
  }

  private LibC() {}

  public static native int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);

  public static native int posix_spawn_file_actions_init(Pointer fileActions);

  public static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

  public static native int posix_spawn_file_actions_destroy(Pointer fileActions);

  public static native int pipe2(int[] fds, int flags);

  public static native int socketpair(int domain, int type, int protocol, int[] fds);

  public static native long sendmsg(int fd, Pointer msg, int flags);

  public static native long recvmsg(int fd, Pointer msg, int flags);

  public static native int ioctl(int fd, long request, Pointer arg);

  public static native int memfd_create(String name, int flags);

  public static native int fcntl(int fd, int cmd, int arg);

  public static native int open(String path, int flags, int mode);

  public static native long read(int fd, Pointer buf, long count);

  public static native long write(int fd, Pointer buf, long count);

  public static native long pwrite(int fd, Pointer buf, long count, long offset);

  public static native long pread(int fd, Pointer buf, long count, long offset);

  public static native int close(int fd);

  public static native int kill(int pid, int sig);

  /** syscall(2) for openat2, which glibc 2.36 has no wrapper for. */
  public static native long syscall(long number, int dirfd, String path, Pointer how, long size);

  public static native int openat(int dirfd, String path, int flags, int mode);

  public static native int mkdirat(int dirfd, String path, int mode);

  public static native int symlinkat(String target, int dirfd, String path);

  public static native int unlinkat(int dirfd, String path, int flags);

  public static native int fchownat(int dirfd, String path, int uid, int gid, int flags);

  public static native int fchown(int fd, int uid, int gid);

  public static native int fchmod(int fd, int mode);

  public static native int mount(String source, String target, String fsType, long flags, String data);

  public static native int umount2(String target, int flags);

  /** syscall(2) with a pointer, a size and flags (landlock_create_ruleset). */
  public static native long syscall(long number, Pointer a, long b, int c);

  static native int poll(Pointer fds, long count, int timeoutMillis);

  public static native int waitpid(int pid, int[] status, int options);

  static native int epoll_create1(int flags);

  static native int epoll_ctl(int epfd, int op, int fd, Pointer event);

  static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMillis);

  /** Changes the file system uid of the calling thread only (the kernel's setfsuid is per thread). */
  public static native int setfsuid(int uid);

  public static native int setfsgid(int gid);

  public static native int geteuid();

  public static native int getegid();

  static native String strerror(int errno);
}
