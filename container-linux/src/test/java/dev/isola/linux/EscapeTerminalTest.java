package dev.isola.linux;

import static dev.isola.linux.testing.EscapeProbe.EPERM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Container;
import dev.isola.ExitStatus;
import dev.isola.SeccompPolicy;
import dev.isola.Stdio;
import dev.isola.linux.testing.ChildJvm;
import dev.isola.linux.testing.EscapeProbe;
import dev.isola.linux.testing.Run;
import dev.isola.linux.testing.TestRootfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Catalog group E, "Terminals": a container given a terminal of the host as its stdin. CI has no
 * terminal, so each test makes one with the host helper {@code ptyhost} (src/test/c/ptyhost.c):
 * a pty in raw mode, either the controlling terminal of a session of its own, in whose foreground
 * a child JVM runs as if started from a user's shell, or nobody's; at the end the helper says
 * what reached the pty's input queue. Each defence is tested on its own: the new session with a
 * policy that allows every ioctl, the filter with a terminal the container can make its own.
 */
class EscapeTerminalTest {
  private static final List<String> VARIANTS = List.of("0", "1", "ffffffff"); // upper half of the request

  @Test
  void tty01NothingReachesTheTerminalTheCallerRunsOn() throws Exception {
    // the bubblewrap CVE-2017-5226 setting: a JVM started from a shell, on the shell's terminal,
    // gives the container its own stdin (Stdio.inherit)
    String out = inTerminal("default");
    Map<String, String> r = EscapeProbe.parse(out);
    assertThat(r.get("jvm-tty-nr")).as("the JVM's controlling terminal is the pty\n" + out).isNotEqualTo("0");
    assertThat(r.get("stdin-tty-isatty")).as("stdin is the caller's terminal").isEqualTo("1");
    for (String high : VARIANTS) {
      assertThat(r.get("stdin-tty-tiocsti-" + high)).as("TIOCSTI, upper half " + high).isEqualTo(EPERM);
      assertThat(r.get("stdin-tty-tioclinux-setsel-" + high)).as("TIOCLINUX setsel, upper half " + high).isEqualTo(EPERM);
      assertThat(r.get("stdin-tty-tioclinux-pastesel-" + high)).as("TIOCLINUX pastesel, upper half " + high).isEqualTo(EPERM);
    }
    // a session of its own: no controlling terminal, and it cannot take the caller's
    assertThat(r.get("tty-nr")).as("the container's controlling terminal").isEqualTo("0");
    assertThat(r.get("stdin-tty-dev-tty")).as("/dev/tty").isEqualTo("errno 6");
    assertThat(r.get("stdin-tty-setsid")).startsWith("ok ");
    assertThat(r.get("stdin-tty-tiocsctty")).isEqualTo(EPERM);
    assertThat(r.get("stdin-tty-tiocsctty-steal")).isEqualTo(EPERM);
    assertThat(r.get("stdin-tty-after-tiocsti")).isEqualTo(EPERM);
    assertThat(r.get("stdin-tty-after-tiocsti-high")).isEqualTo(EPERM);
    assertThat(r.get("queued")).as("bytes pushed into the caller's terminal").isEqualTo("0 ");
  }

  @Test
  void tty01TheNewSessionAloneKeepsTheCallersTerminalSafe() throws Exception {
    // the second defence on its own: a policy that allows every ioctl leaves only the session
    String out = inTerminal("every-ioctl");
    Map<String, String> r = EscapeProbe.parse(out);
    assertThat(r.get("jvm-tty-nr")).as(out).isNotEqualTo("0");
    for (String high : VARIANTS) {
      assertThat(r.get("stdin-tty-tiocsti-" + high)).as("the kernel: not the container's terminal").isEqualTo(EPERM);
    }
    assertThat(r.get("tty-nr")).isEqualTo("0");
    assertThat(r.get("stdin-tty-tiocsctty")).isEqualTo(EPERM);
    assertThat(r.get("stdin-tty-tiocsctty-steal")).isEqualTo(EPERM);
    assertThat(r.get("stdin-tty-after-tiocsti")).isEqualTo(EPERM);
    assertThat(r.get("queued")).isEqualTo("0 ");
  }

  @Test
  void tty01ATerminalNoSessionControlsIsGuardedByTheFilter() throws Exception {
    // nobody's controlling terminal (a daemon's pty, given as a file): the container may make it
    // its own, and then the kernel would take TIOCSTI from it; the filter must not
    try (PtyHost tty = PtyHost.start("plain")) {
      Map<String, String> r = EscapeProbe.run(EscapeProbe.spec("stdin-tty").stdin(Stdio.file(tty.slave)));
      for (String high : VARIANTS) {
        assertThat(r.get("stdin-tty-tiocsti-" + high)).as("upper half " + high).isEqualTo(EPERM);
      }
      assertThat(r.get("stdin-tty-after-tiocsti")).isEqualTo(EPERM);
      assertThat(r.get("stdin-tty-after-tiocsti-high")).isEqualTo(EPERM);
      assertThat(tty.queued()).isEqualTo("queued 0 ");
    }
  }

  /**
   * Runs {@link InTerminal} in a child JVM in the foreground of a session whose controlling
   * terminal is a new pty, with that pty as its stdin; its output and "queued N HEX".
   */
  private static String inTerminal(String policy) throws Exception {
    EscapeProbe.escape();
    List<String> cmd = new ArrayList<>(List.of(EscapeProbe.hostHelper("ptyhost").toString(), "ctty"));
    cmd.addAll(ChildJvm.command(ChildJvm.classPath(), InTerminal.class, TestRootfs.busybox().toString(), policy));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as(out).contains("selftest 1\n", "container EXITED", "queued ");
    return out;
  }

  @Test
  void tty02And03NoConsoleNoVirtualConsoleAndAPrivateDevpts() throws Exception {
    long hostDevpts = (Long) Files.getAttribute(Path.of("/dev/pts"), "unix:dev");
    try (PtyHost tty = PtyHost.start("ctty")) {
      String hostPty = tty.slave.getFileName().toString();
      Map<String, String> r = EscapeProbe.run(Run.sh("escape open=/dev/console open=/dev/tty0 open=/dev/tty1 new-pty;"
          + " echo \"pts $(ls /dev/pts | tr '\\n' ' ')\"; echo \"devpts-dev $(stat -c %d /dev/pts)\";"
          + " echo \"devpts-options $(awk '$5 == \"/dev/pts\" { print $6, $NF }' /proc/self/mountinfo)\"")
          .stdin(Stdio.file(tty.slave)));
      assertThat(r.get("open=/dev/console")).as("no /dev/console without a terminal of the container's").isEqualTo("errno 2");
      assertThat(r.get("open=/dev/tty0")).as("no virtual console for TIOCLINUX").isEqualTo("errno 2");
      assertThat(r.get("open=/dev/tty1")).isEqualTo("errno 2");
      // its own devpts instance: the host's ptys (the one on its stdin too) are not there
      assertThat(r.get("devpts-dev")).isNotEqualTo(Long.toString(hostDevpts));
      assertThat(r.get("pts")).as("the host's " + hostPty + " is not visible").isEqualTo("ptmx ");
      assertThat(r.get("devpts-options")).isEqualTo("rw,nosuid,noexec,relatime rw,mode=620,ptmxmode=666");
      // a pty it opens is its own: pts 0 of its instance, the container's root's, 0620
      assertThat(r.get("new-pty")).isEqualTo("/dev/pts/0 620 0:0 136:0");
      tty.queued();
    }
  }

  @Test
  void tty03AStdioTerminalNeverBecomesTheControllingTerminalOfTheJvm() throws Exception {
    // a JVM that leads a session and has no terminal (a daemon) acquires the first one it opens
    // without O_NOCTTY: giving a container a terminal must not make it the JVM's
    try (PtyHost tty = PtyHost.start("plain")) {
      List<String> cmd = new ArrayList<>(List.of("setsid"));
      cmd.addAll(ChildJvm.command(ChildJvm.classPath(), SessionLeader.class, tty.slave.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(out).as(out).contains("container EXITED", "session-leader true").contains("jvm-tty-nr 0\n");
      tty.queued();
    }
  }

  /**
   * A child JVM on a terminal: runs the probe's terminal cases in a container whose stdin is the
   * JVM's (Stdio.inherit), with the default policy or one that allows every ioctl.
   */
  public static final class InTerminal {
    private InTerminal() {}

    public static void main(String[] args) throws Exception {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      System.out.println("jvm-tty-nr " + stat.substring(stat.lastIndexOf(')') + 2).split(" ")[4]);
      SeccompPolicy policy = args[1].equals("every-ioctl") ? SeccompPolicy.extendDefault().allow("ioctl").build()
          : SeccompPolicy.defaultPolicy();
      try (Container c = Container.builder().rootfs(Path.of(args[0]))
          .command("sh", "-c", "escape stdin-tty; echo \"tty-nr $(cut -d' ' -f7 /proc/self/stat)\"")
          .stdin(Stdio.inherit()).seccomp(policy).start()) {
        System.out.print(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8));
        System.out.println("container " + c.waitFor().reason());
      }
    }
  }

  /** A child JVM that leads its own session (run with setsid): starts a container on a terminal. */
  public static final class SessionLeader {
    private SessionLeader() {}

    public static void main(String[] args) throws Exception {
      String[] stat = statFields();
      System.out.println("session-leader " + stat[3].equals(Long.toString(ProcessHandle.current().pid())));
      try (Container c = Container.builder().command("true").stdin(Stdio.file(Path.of(args[0]))).start()) {
        ExitStatus s = c.waitFor();
        System.out.println("container " + s.reason());
      }
      System.out.println("jvm-tty-nr " + statFields()[4]);
    }

    /** The fields of /proc/self/stat after the command name: state, ppid, pgrp, session, tty_nr… */
    private static String[] statFields() throws IOException {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
  }

  /** The host's terminal, held by a {@code ptyhost} process. */
  private static final class PtyHost implements AutoCloseable {
    final Process process;
    final BufferedReader out;
    final Path slave;
    final int selftest;
    private String queued;

    private PtyHost(Process process, BufferedReader out, Path slave, int selftest) {
      this.process = process;
      this.out = out;
      this.slave = slave;
      this.selftest = selftest;
    }

    static PtyHost start(String mode) throws IOException {
      Process p = new ProcessBuilder(EscapeProbe.hostHelper("ptyhost").toString(), mode).redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      Path slave = null;
      int selftest = -1;
      for (String line = out.readLine(); line != null && !line.equals("ready"); line = out.readLine()) {
        if (line.startsWith("/dev/pts/")) {
          slave = Path.of(line);
        } else if (line.startsWith("selftest ")) {
          selftest = Integer.parseInt(line.substring(9));
        } else {
          p.destroyForcibly();
          throw new IllegalStateException("ptyhost " + mode + ": " + line);
        }
      }
      if (slave == null) {
        p.destroyForcibly();
        throw new IllegalStateException("ptyhost " + mode + " made no terminal");
      }
      return new PtyHost(p, out, slave, selftest);
    }

    /** Ends the helper; what reached the terminal's input meanwhile, "queued N HEX". */
    String queued() throws IOException, InterruptedException {
      if (queued == null) {
        try (OutputStream in = process.getOutputStream()) {
          in.write("go\n".getBytes(StandardCharsets.UTF_8));
        }
        queued = String.valueOf(out.readLine());
        process.waitFor(10, TimeUnit.SECONDS);
      }
      return queued;
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
