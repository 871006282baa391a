package dev.isola;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** Checks of a command line and environment, shared by {@link ContainerSpec} and {@link ExecSpec}. */
final class Arguments {
  private static final Pattern PORTABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private Arguments() {}

  static List<String> command(List<String> argv) {
    Objects.requireNonNull(argv, "command");
    for (String arg : argv) {
      Objects.requireNonNull(arg, "command contains null");
      if (arg.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("command argument contains a NUL character: \"" + arg.replace("\0", "\\0") + "\"");
      }
    }
    return List.copyOf(argv);
  }

  static String portableEnvName(String name) {
    Objects.requireNonNull(name, "name");
    if (!PORTABLE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid environment variable name \"" + ContainerPaths.printable(name)
          + "\": not portable; a name is letters, digits and '_', not starting with a digit;"
          + " use envNonPortable(name, value) for a name a program needs anyway");
    }
    return name;
  }

  static String envValue(String name, String value) {
    Objects.requireNonNull(value, "value");
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("value of environment variable " + name + " contains a NUL character");
    }
    return value;
  }
}
