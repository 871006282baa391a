package dev.isola.linux.internal.plan;

import com.sun.jna.Memory;
import dev.isola.Network;
import dev.isola.linux.internal.launch.LauncherProtocol;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/**
 * The flat list of steps the native launcher carries out, with each step's description for error
 * messages. Immutable once built; {@link #bytes()} is the wire form that {@code plan.c} reads
 * (the format is described at the top of that file, and the op numbers must match its {@code enum
 * op}).
 */
public final class LaunchPlan {
  /** The kinds of step; the numbers are the launcher's ({@link LauncherProtocol}). */
  public enum Op {
    CLONE(LauncherProtocol.OP_CLONE),
    WRITE_PROC(LauncherProtocol.OP_WRITE_PROC),
    RUN_HELPER(LauncherProtocol.OP_RUN_HELPER),
    SYNC(LauncherProtocol.OP_SYNC),
    JOIN_CGROUP(LauncherProtocol.OP_JOIN_CGROUP),
    WALL_LIMIT(LauncherProtocol.OP_WALL_LIMIT),
    CPU_LIMIT(LauncherProtocol.OP_CPU_LIMIT),
    ENTER(LauncherProtocol.OP_ENTER),
    NET_HELPER(LauncherProtocol.OP_NET_HELPER),
    MOUNT(LauncherProtocol.OP_MOUNT),
    REMOUNT(LauncherProtocol.OP_REMOUNT),
    MKDIR(LauncherProtocol.OP_MKDIR),
    MKFILE(LauncherProtocol.OP_MKFILE),
    SYMLINK(LauncherProtocol.OP_SYMLINK),
    PIVOT_ROOT(LauncherProtocol.OP_PIVOT_ROOT),
    CHDIR(LauncherProtocol.OP_CHDIR),
    SET_ROOT(LauncherProtocol.OP_SET_ROOT),
    HOSTNAME(LauncherProtocol.OP_HOSTNAME),
    LOOPBACK_UP(LauncherProtocol.OP_LOOPBACK_UP),
    SETSID(LauncherProtocol.OP_SETSID),
    NO_NEW_PRIVS(LauncherProtocol.OP_NO_NEW_PRIVS),
    DROP_CAPS(LauncherProtocol.OP_DROP_CAPS),
    INIT(LauncherProtocol.OP_INIT),
    CLOSE_FDS(LauncherProtocol.OP_CLOSE_FDS),
    EXEC(LauncherProtocol.OP_EXEC),
    SET_IDS(LauncherProtocol.OP_SET_IDS),
    SECCOMP(LauncherProtocol.OP_SECCOMP),
    MASK(LauncherProtocol.OP_MASK),
    READ_ONLY(LauncherProtocol.OP_READ_ONLY),
    UNSHARE(LauncherProtocol.OP_UNSHARE),
    RLIMIT(LauncherProtocol.OP_RLIMIT),
    WRITE(LauncherProtocol.OP_WRITE),
    OPEN_PATH(LauncherProtocol.OP_OPEN_PATH),
    CLOSE(LauncherProtocol.OP_CLOSE),
    TTY(LauncherProtocol.OP_TTY),
    LANDLOCK(LauncherProtocol.OP_LANDLOCK),
    BIND_FILE(LauncherProtocol.OP_BIND_FILE),
    NET_FORWARD(LauncherProtocol.OP_NET_FORWARD);

    final int code;

    Op(int code) {
      this.code = code;
    }
  }

  /** One step: what it does, its arguments, and how an error message names it. */
  public static final class Step {
    public final Op op;
    /** A read-only view of {@link #values}: a seccomp program has hundreds, not worth boxing. */
    public final List<Long> ints;
    public final List<String> strings;
    final String description;
    private final long[] values;

    Step(Op op, long[] ints, List<String> strings, String description) {
      this.op = op;
      this.values = ints.clone();
      this.ints = new AbstractList<>() {
        @Override
        public Long get(int index) {
          return values[index];
        }

        @Override
        public int size() {
          return values.length;
        }
      };
      this.strings = List.copyOf(strings);
      this.description = description;
    }

    @Override
    public String toString() {
      return op + " " + ints + " " + strings + " (" + description + ")";
    }
  }

  private final List<Step> steps;
  private final byte[] bytes;
  private final List<Network.Port> published;

  LaunchPlan(List<Step> steps, List<Network.Port> published) {
    this.steps = List.copyOf(steps);
    this.bytes = encode(this.steps);
    this.published = List.copyOf(published);
  }

  public List<Step> steps() {
    return steps;
  }

  byte[] bytes() {
    return bytes.clone();
  }

  /** The wire form in a new block of the C heap, for the launcher's memfd; the caller frees it. */
  public Memory copy() {
    Memory m = new Memory(bytes.length);
    m.write(0, bytes, 0, bytes.length);
    return m;
  }

  int size() {
    return bytes.length;
  }

  /** The ports the plan's network helper publishes, each with the host port it binds. */
  public List<Network.Port> published() {
    return published;
  }

  /** The Landlock ABI the plan enforces, 0 for none. */
  public int landlockAbi() {
    return steps.stream().filter(s -> s.op == Op.LANDLOCK).mapToInt(s -> s.ints.get(0).intValue()).findFirst().orElse(0);
  }

  /** What step {@code index} did, for an error message; the plan itself for index -1. */
  public String describe(int index) {
    return index >= 0 && index < steps.size() ? steps.get(index).description : "read the launch plan";
  }

  private static byte[] encode(List<Step> steps) {
    List<byte[]> strings = new ArrayList<>();
    int size = 12;
    for (Step s : steps) {
      size += 12 + 8 * s.values.length;
      for (String str : s.strings) {
        byte[] utf8 = str.getBytes(StandardCharsets.UTF_8);
        strings.add(utf8);
        size += 4 + utf8.length + 1;
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    b.putInt(LauncherProtocol.PLAN_MAGIC).putInt(LauncherProtocol.PLAN_VERSION).putInt(steps.size());
    int next = 0;
    for (Step s : steps) {
      b.putInt(s.op.code).putInt(s.values.length).putInt(s.strings.size());
      b.asLongBuffer().put(s.values);
      b.position(b.position() + 8 * s.values.length);
      for (int i = 0; i < s.strings.size(); i++) {
        byte[] utf8 = strings.get(next++);
        b.putInt(utf8.length + 1).put(utf8).put((byte) 0);
      }
    }
    return b.array();
  }

  /** Collects steps in order. */
  public static final class Builder {
    private final List<Step> steps = new ArrayList<>();
    private List<Network.Port> published = List.of();

    public Builder add(Op op, List<Long> ints, List<String> strings, String description) {
      long[] values = new long[ints.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = ints.get(i);
      }
      return add(op, values, strings, description);
    }

    public Builder add(Op op, long[] ints, List<String> strings, String description) {
      for (String s : strings) {
        if (s.indexOf('\0') >= 0) {
          throw new IllegalArgumentException("NUL in launch plan argument of step \"" + description + "\"");
        }
      }
      steps.add(new Step(op, ints, strings, description));
      return this;
    }

    public Builder add(Op op, String description, String... strings) {
      return add(op, List.of(), List.of(strings), description);
    }

    public Builder add(Op op, long value, String description, String... strings) {
      return add(op, List.of(value), List.of(strings), description);
    }

    /** The ports the plan publishes (see {@link LaunchPlan#published()}). */
    public Builder published(List<Network.Port> ports) {
      published = List.copyOf(ports);
      return this;
    }

    public LaunchPlan build() {
      return new LaunchPlan(steps, published);
    }
  }
}
