package dev.isola.cli;

import dev.isola.ContainerException;
import dev.isola.Image;
import java.io.PrintStream;

/**
 * {@code isola pull}: fetches an image from its registry into the image store and prints its id;
 * exits 1 when the pull fails (the reason on standard error), 2 on a usage error.
 */
final class PullCommand {
  static final String USAGE = String.join("\n",
      "usage: isola pull [-q] REFERENCE",
      "",
      "Pulls the image REFERENCE ([registry[:port]/]repository[:tag|@sha256:digest]; busybox:1.36 is",
      "docker.io/library/busybox:1.36) into the image store and prints its id. Layers already in the",
      "store are not downloaded again. Credentials come from ~/.docker/config.json (docker login);",
      "plain HTTP is used only for a registry on localhost.",
      "",
      "flags:",
      "  -q, --quiet   no progress on standard error",
      "  -h, --help    this text",
      "");

  private PullCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    boolean quiet = false;
    String reference = null;
    for (String arg : args) {
      switch (arg) {
        case "-h":
        case "--help":
          out.print(USAGE);
          return 0;
        case "-q":
        case "--quiet":
          quiet = true;
          break;
        default:
          if (arg.startsWith("-")) {
            throw new UsageException("unknown flag " + arg);
          }
          if (reference != null) {
            throw new UsageException("pull takes one reference, not also \"" + arg + "\"");
          }
          reference = arg;
      }
    }
    if (reference == null) {
      throw new UsageException("pull needs an image reference, e.g. isola pull busybox:1.36");
    }
    try {
      out.println(pull(reference, quiet, err).id());
      return 0;
    } catch (ContainerException e) {
      err.println("isola: " + e.getMessage());
      return 1;
    }
  }

  /** Pulls {@code reference}, drawing progress on {@code err} unless {@code quiet}. */
  static Image pull(String reference, boolean quiet, PrintStream err) {
    if (quiet) {
      return Image.pull(reference);
    }
    PullProgress progress = new PullProgress(err, System.console() != null);
    try {
      return Image.pull(reference, progress);
    } finally {
      progress.finish();
    }
  }
}
