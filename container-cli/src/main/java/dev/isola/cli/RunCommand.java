package dev.isola.cli;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.ContainerSpec;
import dev.isola.ExitReason;
import dev.isola.ExitStatus;
import dev.isola.Image;
import dev.isola.Limits;
import dev.isola.Mount;
import dev.isola.Stdio;
import dev.isola.TerminalSize;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code isola run}: like {@code docker run}, in the foreground. The container's output goes
 * straight to this process's (its descriptors are handed over, nothing is copied); the exit code
 * is the command's ({@code 128 + n} after signal {@code n}); a verdict other than "exited" (an
 * OOM kill, a time limit) is written to standard error.
 */
final class RunCommand {
  static final String USAGE = String.join("\n",
      "usage: isola run [FLAG...] [--] COMMAND [ARG...]",
      "",
      "Runs COMMAND in a new container and waits for it; exits with its exit code",
      "(128+n when signal n ended it, 125 when the container could not be started).",
      "",
      "flags:",
      "  --rootfs DIR        root file system: a directory (default: a read-only view of the host's /usr)",
      "  --image IMAGE       root file system and defaults from an image: a path (an OCI layout or",
      "                      docker-archive tar), else a reference pulled from its registry (busybox:1.36)",
      "  -v, --volume HOST:CONTAINER[:ro]   bind a host path (writable unless :ro)",
      "  -e, --env NAME=VALUE   set an environment variable (repeatable)",
      "  -w, --workdir DIR   working directory inside the container",
      "  --hostname NAME     host name inside the container (default: isola)",
      "  --memory SIZE       memory limit, e.g. 256m or 1g",
      "  --cpus N            CPU limit in CPUs, e.g. 0.5",
      "  --pids N            most processes and threads at once",
      "  --timeout DURATION  wall-time limit, e.g. 10s, 500ms, 2m",
      "  -i, --interactive   keep standard input open (default: /dev/null)",
      "  -t, --tty           run the command on a terminal of its own, which gets the keys typed here,",
      "                      when this is a terminal (-it: an interactive shell); pipes otherwise",
      "  -h, --help          this text",
      "");

  private RunCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> flags = Arrays.asList(args).subList(0, commandStart(args));
    if (flags.contains("--help") || flags.contains("-h")) {
      out.print(USAGE);
      return 0;
    }
    ContainerSpec spec;
    try {
      spec = parse(args);
    } catch (ContainerException e) { // the image could not be loaded or pulled
      err.println("isola: " + e.getMessage());
      return Isola.FAILURE;
    }
    try (Container c = Container.start(spec)) {
      if (spec.tty().isPresent()) {
        try (TerminalSession terminal = TerminalSession.raw()) {
          terminal.attach(c);
        }
      }
      ExitStatus status = c.waitFor();
      if (status.reason() != ExitReason.EXITED) {
        err.println("isola: " + status);
      }
      return status.exitCode();
    } catch (ContainerException e) {
      err.println("isola: " + e.getMessage());
      return Isola.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("isola: interrupted while waiting for the container");
      return Isola.FAILURE;
    } catch (java.io.IOException e) {
      err.println("isola: the terminal: " + e.getMessage());
      return Isola.FAILURE;
    }
  }

  /** Where the command begins: after {@code --}, or at the first argument that is not a flag or a flag's value. */
  private static int commandStart(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--")) {
        return i;
      }
      if (!args[i].startsWith("-")) {
        return i;
      }
      if (takesValue(args[i]) && !args[i].contains("=")) {
        i++;
      }
    }
    return args.length;
  }

  private static boolean takesValue(String flag) {
    String name = flag.contains("=") ? flag.substring(0, flag.indexOf('=')) : flag;
    switch (name) {
      case "--rootfs": case "--image": case "-v": case "--volume": case "-e": case "--env": case "-w": case "--workdir":
      case "--hostname": case "--memory": case "--cpus": case "--pids": case "--timeout":
        return true;
      default:
        return false;
    }
  }

  /** The spec the flags ask for; a bad flag or value throws {@link UsageException} naming it. */
  static ContainerSpec parse(String[] args) {
    ContainerSpec.Builder spec = Container.builder().stdout(Stdio.inherit()).stderr(Stdio.inherit()).stdin(Stdio.discard());
    Limits.Builder limits = Limits.builder();
    boolean anyLimit = false;
    boolean interactive = false;
    boolean tty = false;
    Path rootfs = null;
    String image = null;
    List<String> command = new ArrayList<>();
    int i = 0;
    for (; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--")) {
        i++;
        break;
      }
      if (!arg.startsWith("-") || arg.equals("-")) {
        break;
      }
      String flag = arg.contains("=") && arg.startsWith("--") ? arg.substring(0, arg.indexOf('=')) : arg;
      String value = null;
      if (takesValue(flag)) {
        if (!flag.equals(arg)) {
          value = arg.substring(flag.length() + 1);
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new UsageException("flag " + flag + " needs a value");
        }
      } else if (!flag.equals(arg)) {
        throw new UsageException("flag " + flag + " takes no value");
      }
      try {
        switch (flag) {
          case "--rootfs":
            rootfs = existing(flag, value);
            break;
          case "--image":
            image = value;
            break;
          case "-v":
          case "--volume":
            spec.mount(volume(value));
            break;
          case "-e":
          case "--env":
            int eq = value.indexOf('=');
            if (eq <= 0) {
              throw new UsageException(flag + " takes NAME=VALUE, not \"" + value + "\"");
            }
            spec.env(value.substring(0, eq), value.substring(eq + 1));
            break;
          case "-w":
          case "--workdir":
            spec.workingDirectory(value);
            break;
          case "--hostname":
            spec.hostname(value);
            break;
          case "--memory":
            limits.memory(Units.bytes(flag, value));
            anyLimit = true;
            break;
          case "--cpus":
            limits.cpus(Units.cpus(flag, value));
            anyLimit = true;
            break;
          case "--pids":
            limits.pids(number(flag, value));
            anyLimit = true;
            break;
          case "--timeout":
            limits.wallTime(Units.duration(flag, value));
            anyLimit = true;
            break;
          case "-i":
          case "--interactive":
            interactive = true;
            break;
          case "-t":
          case "--tty":
            tty = true;
            break;
          case "-it":
          case "-ti":
            interactive = true;
            tty = true;
            break;
          default:
            throw new UsageException("unknown flag " + flag);
        }
      } catch (IllegalArgumentException e) {
        throw new UsageException(flag + ": " + e.getMessage());
      }
    }
    command.addAll(Arrays.asList(args).subList(i, args.length));
    if (rootfs != null && image != null) {
      throw new UsageException("--rootfs and --image both give the root; choose one");
    }
    try {
      if (rootfs != null) {
        spec.rootfs(rootfs);
      }
      if (image != null) {
        spec.image(image(image));
      }
      if (!command.isEmpty()) {
        spec.command(command);
      }
      if (anyLimit) {
        spec.limits(limits.build());
      }
      Optional<TerminalSize> terminal = tty ? TerminalSession.ifAvailable() : Optional.empty();
      if (terminal.isPresent()) {
        // the container's terminal carries all three streams, and the keys typed here
        spec.tty(terminal.get().columns(), terminal.get().rows()).stdin(Stdio.pipe()).stdout(Stdio.pipe()).stderr(Stdio.pipe());
      } else if (interactive) {
        spec.stdin(Stdio.inherit());
      }
      return spec.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * The image {@code value} names: a path when it looks like one (it begins with / or . or is
   * there), else a registry reference, pulled (with progress on standard error) unless stored.
   */
  private static Image image(String value) {
    if (value.startsWith("/") || value.startsWith(".") || Files.exists(Path.of(value))) {
      return Image.load(existing("--image", value));
    }
    return PullCommand.pull(value, false, System.err);
  }

  private static Path existing(String flag, String value) {
    Path p = Path.of(value).toAbsolutePath();
    if (!Files.exists(p)) {
      throw new UsageException(flag + ": there is no " + p);
    }
    return p;
  }

  private static Mount volume(String value) {
    String[] parts = value.split(":", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
        || parts.length == 3 && !parts[2].equals("ro") && !parts[2].equals("rw")) {
      throw new UsageException("-v takes HOST:CONTAINER[:ro|rw], not \"" + value + "\"");
    }
    Path host = Path.of(parts[0]).toAbsolutePath();
    if (!Files.exists(host)) {
      throw new UsageException("-v: there is no " + host + " on the host");
    }
    boolean readOnly = parts.length == 3 && parts[2].equals("ro");
    return readOnly ? Mount.bind(host, parts[1]) : Mount.bindWritable(host, parts[1]);
  }

  private static long number(String flag, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " takes a whole number, not \"" + value + "\"");
    }
  }
}
