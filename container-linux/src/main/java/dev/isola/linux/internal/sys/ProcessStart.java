package dev.isola.linux.internal.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's start time, which tells it from a later process with the same pid: what Isola
 * leaves on the host is named after the JVM that made it, so that the next JVM can tell what a
 * dead one left.
 */
public final class ProcessStart {
  /** This JVM as {@code <pid>-<start time>}, the owner part of those names. */
  public static final String THIS_JVM = ProcessHandle.current().pid() + "-" + of(ProcessHandle.current().pid());

  private ProcessStart() {}

  /** A process's start time in clock ticks since boot, or "gone". */
  public static String of(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
    } catch (IOException e) {
      return "gone";
    }
  }
}
