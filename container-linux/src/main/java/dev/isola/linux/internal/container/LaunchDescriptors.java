package dev.isola.linux.internal.container;

import com.sun.jna.Memory;
import dev.isola.ContainerStartException;
import dev.isola.Stdio;
import dev.isola.linux.internal.launch.LauncherProtocol;
import dev.isola.linux.internal.plan.LaunchPlan;
import dev.isola.linux.internal.sys.Errno;
import dev.isola.linux.internal.sys.FdPassing;
import dev.isola.linux.internal.sys.LibC;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The descriptors a container is sent to the launch server with: the child's ends (the server
 * gets copies; ours are closed once sent) and the JVM's, each collected in a list so that a
 * failure part way closes them all.
 */
final class LaunchDescriptors {
  private LaunchDescriptors() {}

  /** [child side, our side or -1] for one standard stream. */
  static int[] stdio(Stdio s, int number, List<Integer> childSide, List<Integer> ours) throws IOException {
    switch (s.kind()) {
      case PIPE: {
        int[] p = pipe(childSide, ours, number != 0);
        return number == 0 ? new int[] {p[0], p[1]} : new int[] {p[1], p[0]};
      }
      case INHERIT:
        return new int[] {number, -1};
      case DISCARD:
        return new int[] {open("/dev/null", LibC.O_RDWR, childSide), -1};
      case FILE:
        return new int[] {stdioFile(s, number, number == 0 ? LibC.O_RDONLY : LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, childSide), -1};
      case APPEND:
        return new int[] {stdioFile(s, number, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, childSide), -1};
      default:
        throw new AssertionError(s.kind());
    }
  }

  /**
   * A pipe; which end is the child's: the write end when {@code childWrites}. Both ends are
   * close-on-exec and above the launcher's fixed descriptors.
   */
  static int[] pipe(List<Integer> childSide, List<Integer> ours, boolean childWrites) throws IOException {
    int[] p = new int[2];
    if (LibC.pipe2(p, LibC.O_CLOEXEC) < 0) {
      throw Errno.last("pipe2");
    }
    p[0] = high(p[0]);
    p[1] = high(p[1]);
    childSide.add(childWrites ? p[1] : p[0]);
    ours.add(childWrites ? p[0] : p[1]);
    return p;
  }

  /** A stdio file, opened by the JVM as its user: a failure names the stream and the file. */
  private static int stdioFile(Stdio s, int number, int flags, List<Integer> childSide) throws IOException {
    String path = s.file().orElseThrow().toString();
    try {
      return open(path, flags, childSide);
    } catch (Errno.Failure e) {
      String stream = List.of("stdin", "stdout", "stderr").get(number);
      throw new ContainerStartException("open the " + stream + " file " + path, Errno.describe(e.errno())
          + (e.errno() == Errno.EACCES ? "; this user (uid " + LibC.geteuid() + ") may not " + (number == 0 ? "read" : "write") + " it"
              : ""), e.errno());
    }
  }

  static int open(String path, int flags, List<Integer> childSide) throws IOException {
    // O_NOCTTY: a terminal given as a stdio file must not become the JVM's controlling terminal
    int fd = LibC.open(path, flags | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0644);
    if (fd < 0) {
      throw Errno.last("open " + path);
    }
    fd = high(fd);
    childSide.add(fd);
    return fd;
  }

  static int planMemfd(LaunchPlan plan, List<Integer> childSide) throws IOException {
    int fd = LibC.memfd_create("isola-plan", LibC.MFD_CLOEXEC);
    if (fd < 0) {
      throw Errno.last("memfd_create for the launch plan");
    }
    fd = high(fd);
    childSide.add(fd);
    try (Memory m = plan.copy()) { // freed at once, like every block of the C heap a start takes
      if (LibC.pwrite(fd, m, m.size(), 0) != m.size()) {
        throw Errno.last("write the launch plan");
      }
    }
    return fd;
  }

  /** Moves a descriptor above the launcher's fixed ones (only when the JVM's 0-2 were closed). */
  static int high(int fd) throws IOException {
    if (fd > LauncherProtocol.FD_CONTROL) {
      return fd;
    }
    int moved = LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, LauncherProtocol.FD_CONTROL + 1);
    LibC.close(fd);
    if (moved < 0) {
      throw Errno.last("fcntl F_DUPFD_CLOEXEC");
    }
    return moved;
  }

  /** Closes the JVM's own streams of a process; their descriptors are ours, so nothing is to be reported. */
  static void closeQuietly(AutoCloseable... streams) {
    for (AutoCloseable s : streams) {
      try {
        s.close();
      } catch (Exception e) {
        // our own descriptors: nothing to report
      }
    }
  }

  /**
   * A socket pair for a terminal's master to come over: [child side, our side], both
   * close-on-exec and above the launcher's fixed descriptors.
   */
  static int[] socketPair(List<Integer> childSide, List<Integer> ours) throws IOException {
    int[] p = new int[2];
    if (LibC.socketpair(FdPassing.AF_UNIX, FdPassing.SOCK_STREAM | FdPassing.SOCK_CLOEXEC, 0, p) < 0) {
      throw Errno.last("socketpair for the container's terminal");
    }
    p[0] = high(p[0]);
    p[1] = high(p[1]);
    childSide.add(p[0]);
    ours.add(p[1]);
    return p;
  }

  /** A second descriptor of {@code fd}, close-on-exec. */
  static int duplicate(int fd) throws IOException {
    int copy = LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, LauncherProtocol.FD_CONTROL + 1);
    if (copy < 0) {
      throw Errno.last("fcntl F_DUPFD_CLOEXEC");
    }
    return copy;
  }

  static void closeAll(List<Integer> fds) {
    fds.forEach(LibC::close);
    fds.clear();
  }

  static OutputStream closedOutput() {
    OutputStream out = OutputStream.nullOutputStream();
    try {
      out.close();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
