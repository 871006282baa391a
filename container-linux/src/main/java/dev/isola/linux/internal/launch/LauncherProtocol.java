package dev.isola.linux.internal.launch;

/**
 * What the JVM and the native launcher agree on, in one place: the launch plan's header and op
 * numbers, the descriptors a container arrives with, and the status messages the launcher
 * writes back. The names are the C side's own ({@code launcher.h}: {@code PLAN_MAGIC}, {@code
 * enum op}, {@code enum msg}, {@code enum limit}, {@code enum usage_format}); {@code LauncherProtocolTest}
 * compares the two.
 */
public final class LauncherProtocol {
  /** The first word of a launch plan, "ISOL" in little-endian order. */
  public static final int PLAN_MAGIC = 0x4c4f5349;
  public static final int PLAN_VERSION = 1;

  // enum op: the kinds of plan step
  public static final int OP_CLONE = 1;
  public static final int OP_WRITE_PROC = 2;
  public static final int OP_RUN_HELPER = 3;
  public static final int OP_SYNC = 4;
  public static final int OP_JOIN_CGROUP = 5;
  public static final int OP_WALL_LIMIT = 6;
  public static final int OP_CPU_LIMIT = 7;
  public static final int OP_ENTER = 8;
  public static final int OP_NET_HELPER = 9;
  public static final int OP_MOUNT = 10;
  public static final int OP_REMOUNT = 11;
  public static final int OP_MKDIR = 13;
  public static final int OP_MKFILE = 14;
  public static final int OP_SYMLINK = 15;
  public static final int OP_PIVOT_ROOT = 16;
  public static final int OP_CHDIR = 17;
  public static final int OP_SET_ROOT = 18;
  public static final int OP_HOSTNAME = 19;
  public static final int OP_LOOPBACK_UP = 20;
  public static final int OP_SETSID = 21;
  public static final int OP_NO_NEW_PRIVS = 22;
  public static final int OP_DROP_CAPS = 23;
  public static final int OP_INIT = 24;
  public static final int OP_CLOSE_FDS = 25;
  public static final int OP_EXEC = 26;
  public static final int OP_SET_IDS = 27;
  public static final int OP_SECCOMP = 28;
  public static final int OP_MASK = 29;
  public static final int OP_READ_ONLY = 30;
  public static final int OP_UNSHARE = 31;
  public static final int OP_RLIMIT = 32;
  public static final int OP_WRITE = 33;
  public static final int OP_OPEN_PATH = 34;
  public static final int OP_CLOSE = 35;
  public static final int OP_TTY = 36;
  public static final int OP_LANDLOCK = 40;
  public static final int OP_BIND_FILE = 41;
  public static final int OP_NET_FORWARD = 42;

  // A container's descriptors as the launch server receives them: 0-2 its stdio, then these.
  public static final int FD_PLAN = 3;
  public static final int FD_STATUS = 4;
  public static final int FD_CONTROL = 5;
  /** How many descriptors travel with each container. */
  public static final int LAUNCH_FDS = 6;
  /** The launch server's end of its socket to the JVM. */
  public static final int SERVER_SOCKET_FD = 3;

  // enum msg: the status messages, 16 bytes each (type and three ints); TEXT and USAGE carry
  // the length of their payload in the last int, and the payload after
  public static final int WIRE_MSG_SIZE = 16;
  public static final int MSG_STARTED = 1;
  public static final int MSG_FAILED = 2;
  public static final int MSG_EXITED = 3;
  public static final int MSG_TEXT = 4;
  public static final int MSG_LIMIT = 5;
  public static final int MSG_USAGE = 6;
  public static final int MSG_HELPER_ENDED = 7;

  // enum limit: which limit MSG_LIMIT reports
  public static final int LIMIT_WALL = 1;
  public static final int LIMIT_CPU = 2;

  // enum usage_format: how OP_CPU_LIMIT's usage file counts
  public static final int USAGE_NANOSECONDS = 1;
  public static final int USAGE_CPU_STAT = 2;

  private LauncherProtocol() {}
}
