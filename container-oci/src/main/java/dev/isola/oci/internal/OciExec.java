package dev.isola.oci.internal;

import dev.isola.ContainerStartException;
import dev.isola.ExecSpec;
import dev.isola.ExitStatus;
import dev.isola.Signal;
import dev.isola.TerminalSize;
import dev.isola.UnsupportedFeatureException;
import dev.isola.spi.RunningExec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A process run in an OCI container by the runtime's {@code exec}, whose streams are its own. */
final class OciExec implements RunningExec {
  private final Process process;
  private final long pid;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

  private OciExec(Process process, long pid, long startNanos) {
    this.process = process;
    this.pid = pid;
    process.onExit().thenRun(() -> {
      ExitStatus.Builder b = RuntimeExitCodes.of(process.exitValue())
          .wallTime(Duration.ofNanos(System.nanoTime() - startNanos)).accounting(ExitStatus.Accounting.NONE);
      exit.complete(b.build());
    });
  }

  static OciExec start(OciContainer c, ExecSpec exec) {
    List<String> command = c.execCommand();
    Path pidFile;
    try {
      pidFile = Files.createTempFile("isola-oci-exec-", ".pid");
      Files.delete(pidFile);
    } catch (IOException e) {
      throw new ContainerStartException("exec in " + c.id(), e.toString(), -1);
    }
    command.addAll(List.of("--pid-file", pidFile.toString()));
    exec.workingDirectory().ifPresent(cwd -> command.addAll(List.of("--cwd", cwd)));
    if (exec.uid().isPresent() || exec.gid().isPresent()) {
      command.addAll(List.of("--user", exec.uid().orElse(c.spec().uid()) + ":" + exec.gid().orElse(c.spec().gid())));
    }
    exec.env().forEach((k, v) -> command.addAll(List.of("--env", k + "=" + v)));
    command.add(c.id());
    command.addAll(exec.command());
    long t0 = System.nanoTime();
    try {
      Process p = new ProcessBuilder(command).start();
      long pid = -1;
      while (p.isAlive() && !Files.exists(pidFile)) {
        Thread.onSpinWait();
      }
      if (Files.exists(pidFile)) {
        String text = Files.readString(pidFile).trim();
        pid = text.isEmpty() ? -1 : Long.parseLong(text);
        Files.deleteIfExists(pidFile);
      }
      return new OciExec(p, pid, t0);
    } catch (IOException e) {
      throw new ContainerStartException("exec in " + c.id(), e.toString(), -1);
    }
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public OutputStream stdin() {
    return process.getOutputStream();
  }

  @Override
  public InputStream stdout() {
    return process.getInputStream();
  }

  @Override
  public InputStream stderr() {
    return process.getErrorStream();
  }

  @Override
  public CompletableFuture<ExitStatus> exit() {
    return exit;
  }

  @Override
  public void kill(Signal signal) {
    if (pid > 0 && process.isAlive()) {
      ProcessHandle.of(pid).ifPresent(h -> {
        if (signal == Signal.KILL) {
          h.destroyForcibly();
        } else {
          h.destroy();
        }
      });
    }
  }

  @Override
  public void resizeTty(TerminalSize size) {
    throw new UnsupportedFeatureException("a terminal for an exec on an OCI runtime", "execs run without one");
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill(Signal.KILL);
      process.destroyForcibly();
    }
    exit.join();
  }
}
