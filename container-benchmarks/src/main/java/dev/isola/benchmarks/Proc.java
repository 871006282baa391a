package dev.isola.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** Small readers of {@code /proc} and of the host. */
final class Proc {
  private Proc() {}

  static String read(String path) {
    try {
      return Files.readString(Path.of(path), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The value in kB of a "Name:   123 kB" line of a /proc file (status, smaps_rollup, meminfo). */
  static OptionalLong kib(String path, String name) {
    for (String line : read(path).split("\n")) {
      if (line.startsWith(name + ":")) {
        String[] f = line.substring(name.length() + 1).trim().split("\\s+");
        try {
          return OptionalLong.of(Long.parseLong(f[0]));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }

  /** The parent's pid, from /proc/pid/stat (field 4, after the command name in parentheses). */
  static long ppid(long pid) {
    String stat = read("/proc/" + pid + "/stat");
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return -1;
    }
    String[] f = stat.substring(close + 2).split(" ");
    return Long.parseLong(f[1]);
  }

  static String comm(long pid) {
    return read("/proc/" + pid + "/comm").strip();
  }

  /** The children of a process: /proc/pid/task/pid/children, else a scan of /proc. */
  static List<Long> children(long pid) {
    List<Long> kids = new ArrayList<>();
    Path file = Path.of("/proc/" + pid + "/task/" + pid + "/children");
    if (Files.exists(file)) {
      for (String s : read(file.toString()).trim().split("\\s+")) {
        if (!s.isEmpty()) {
          kids.add(Long.parseLong(s));
        }
      }
      return kids;
    }
    try (Stream<Path> all = Files.list(Path.of("/proc"))) {
      all.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
          .map(Long::parseLong).filter(p -> ppid(p) == pid).forEach(kids::add);
    } catch (IOException e) {
      // no children found
    }
    return kids;
  }

  /** Number of open descriptors of this JVM. */
  static int openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count() - 1; // the directory stream's own descriptor
    } catch (IOException e) {
      return -1;
    }
  }

  /** This JVM's threads as the kernel counts them (Java threads plus the JVM's own). */
  static long osThreads() {
    for (String line : read("/proc/self/status").split("\n")) {
      if (line.startsWith("Threads:")) {
        return Long.parseLong(line.substring(8).trim());
      }
    }
    return -1;
  }

  /** An executable named {@code name} on the PATH, if any. */
  static Path which(String name) {
    String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Runs a short command and returns its first line of output (stdout and stderr), or "". */
  static String firstLine(String... argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return out.lines().findFirst().orElse("").strip();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** Whether an ELF file asks for a program interpreter (is dynamically linked). */
  static boolean isDynamicElf(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    if (b.length < 64 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' || b[4] != 2) {
      return true; // not a 64-bit ELF file: assume the worst
    }
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(b[5] == 1 ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
    long phoff = buf.getLong(0x20);
    int phentsize = buf.getShort(0x36) & 0xffff;
    int phnum = buf.getShort(0x38) & 0xffff;
    for (int i = 0; i < phnum; i++) {
      long off = phoff + (long) i * phentsize;
      if (off + 4 > b.length) {
        return true;
      }
      if (buf.getInt((int) off) == 3) { // PT_INTERP
        return true;
      }
    }
    return false;
  }
}
