package dev.isola;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A command to run in a container that is already running ({@link Container#exec(ExecSpec)}):
 * like {@code docker exec}, it joins every namespace and the cgroup of the container and runs
 * under the container's full confinement (user, capabilities, no_new_privs, filesystem rules,
 * seccomp, rlimits). The environment, working directory and user are the container's unless set
 * here.
 *
 * <pre>{@code
 * ExecSpec spec = ExecSpec.builder().command("sh", "-c", "echo $GREETING").env("GREETING", "hi").build();
 * }</pre>
 */
public final class ExecSpec {
  private final List<String> command;
  private final Map<String, String> env;
  private final @Nullable String workingDirectory;
  private final long uid;
  private final long gid;
  private final @Nullable TerminalSize tty;

  private ExecSpec(Builder b) {
    command = b.command;
    env = Map.copyOf(b.env);
    workingDirectory = b.workingDirectory;
    uid = b.uid;
    gid = b.gid;
    tty = b.tty;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The command and its arguments, run as the container's own command is: found along {@code PATH}. */
  public static ExecSpec of(String... command) {
    return builder().command(command).build();
  }

  public List<String> command() {
    return command;
  }

  /** Variables set over the container's environment. */
  public Map<String, String> env() {
    return env;
  }

  /** The directory the command starts in; the container's working directory when empty. */
  public Optional<String> workingDirectory() {
    return Optional.ofNullable(workingDirectory);
  }

  /** The uid the command runs as; the container's when empty. */
  public OptionalLong uid() {
    return uid < 0 ? OptionalLong.empty() : OptionalLong.of(uid);
  }

  /** The gid the command runs as; the container's when empty. */
  public OptionalLong gid() {
    return gid < 0 ? OptionalLong.empty() : OptionalLong.of(gid);
  }

  /** The pseudo-terminal the command runs on, when set; see {@link ContainerSpec#tty()}. */
  public Optional<TerminalSize> tty() {
    return Optional.ofNullable(tty);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ExecSpec && ((ExecSpec) o).command.equals(command) && ((ExecSpec) o).env.equals(env)
        && Objects.equals(((ExecSpec) o).workingDirectory, workingDirectory) && ((ExecSpec) o).uid == uid && ((ExecSpec) o).gid == gid
        && Objects.equals(((ExecSpec) o).tty, tty);
  }

  @Override
  public int hashCode() {
    return Objects.hash(command, env, workingDirectory, uid, gid, tty);
  }

  @Override
  public String toString() {
    return "ExecSpec{" + command + (env.isEmpty() ? "" : ", env " + env.keySet()) + (workingDirectory == null ? "" : ", in " + workingDirectory)
        + (uid < 0 ? "" : ", as " + uid + ":" + gid) + (tty == null ? "" : ", tty " + tty.columns() + "x" + tty.rows()) + "}";
  }

  /** Builds an {@link ExecSpec}; every setter checks its value at once. */
  public static final class Builder {
    private List<String> command = List.of();
    private final Map<String, String> env = new LinkedHashMap<>();
    private @Nullable String workingDirectory;
    private long uid = -1;
    private long gid = -1;
    private @Nullable TerminalSize tty;

    private Builder() {}

    public Builder command(String... argv) {
      return command(Arrays.asList(argv));
    }

    public Builder command(List<String> argv) {
      this.command = Arguments.command(argv);
      return this;
    }

    /** Sets one environment variable over the container's; the name must be portable. */
    public Builder env(String name, String value) {
      env.put(Arguments.portableEnvName(name), Arguments.envValue(name, value));
      return this;
    }

    /** The absolute directory inside the container where the command starts. */
    public Builder workingDirectory(String pathInside) {
      this.workingDirectory = ContainerPaths.requireAbsolute("working directory", pathInside);
      return this;
    }

    /** The user and group the command runs as inside the container (mapped by its id mapping). */
    public Builder user(long uid, long gid) {
      ContainerSpec.checkId("uid", uid);
      ContainerSpec.checkId("gid", gid);
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    /** Runs the command on a new pseudo-terminal of {@code columns} by {@code rows} cells, like {@code docker exec -t}. */
    public Builder tty(int columns, int rows) {
      this.tty = new TerminalSize(columns, rows);
      return this;
    }

    public ExecSpec build() {
      if (command.isEmpty()) {
        throw new IllegalArgumentException("an exec needs a command");
      }
      return new ExecSpec(this);
    }
  }
}
