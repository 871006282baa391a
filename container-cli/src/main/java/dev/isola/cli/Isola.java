package dev.isola.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code isola} command. Each subcommand parses its own flags; a bad flag or value is a usage
 * error (exit code 2, one line naming it), so scripts can tell it from the container's own codes.
 */
public final class Isola {
  static final int USAGE_ERROR = 2;
  static final int FAILURE = 125; // docker run's code for "the container could not be run"

  static final String USAGE = String.join("\n",
      "usage: isola COMMAND [ARG...]",
      "",
      "Runs isolated processes (containers) with no daemon.",
      "",
      "commands:",
      "  run      run a command in a new container, in the foreground",
      "  pull     fetch an image from its registry into the image store",
      "  doctor   what this host will enforce for containers, and why not",
      "",
      "Run 'isola COMMAND --help' for a command's flags.",
      "");

  private Isola() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line {@code args}; returns the process's exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.print(USAGE);
      return USAGE_ERROR;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (args[0]) {
        case "-h":
        case "--help":
        case "help":
          out.print(USAGE);
          return 0;
        case "run":
          return RunCommand.run(rest, out, err);
        case "pull":
          return PullCommand.run(rest, out, err);
        case "doctor":
          return DoctorCommand.run(rest, out, err);
        default:
          throw new UsageException("unknown command \"" + args[0] + "\" (commands: run, pull, doctor)");
      }
    } catch (UsageException e) {
      err.println("isola: " + e.getMessage() + "; see 'isola " + (java.util.List.of("run", "pull", "doctor").contains(args[0]) ? args[0] + " " : "")
          + "--help'");
      return USAGE_ERROR;
    }
  }
}
