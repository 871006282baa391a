package dev.isola.oci.internal;

import dev.isola.ContainerException;
import dev.isola.ExecSpec;
import dev.isola.ExitStatus;
import dev.isola.FileCopy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * copyIn and copyOut on OCI runtimes, through the container's own view: {@code cat} run by exec
 * in it, so that every path the container sees (its tmpfs, its binds, gVisor's own file system)
 * is reached as the container reaches it, and no host path is ever opened for it. The image must
 * have {@code sh} and {@code cat}.
 */
final class CopyByExec {
  private CopyByExec() {}

  static void in(OciContainer c, FileCopy copy) {
    byte[] content;
    try {
      content = copy.content().isPresent() ? copy.content().get() : Files.readAllBytes(copy.source().orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + copy.source().orElseThrow() + " to copy it in", e);
    }
    String mode = Integer.toOctalString(copy.mode() & 0777);
    OciExec exec = OciExec.start(c, ExecSpec.of("sh", "-c", "cat > \"$1\" && chmod \"$2\" \"$1\"", "sh", copy.target(), mode));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(exec.stderr()));
    try (OutputStream in = exec.stdin()) {
      in.write(content);
    } catch (IOException e) {
      // the shell ended early: its status and error say why
    }
    ExitStatus s = exec.exit().join();
    if (!s.isSuccess()) {
      throw new ContainerException("cannot copy into " + copy.target() + " of the container: " + err.join().strip() + " (" + s + ")");
    }
  }

  static void out(OciContainer c, String source, Path hostTarget, long maxBytes) {
    if (Files.exists(hostTarget, LinkOption.NOFOLLOW_LINKS)) {
      throw new ContainerException("cannot copy " + source + " out to " + hostTarget + ": it exists");
    }
    OciExec exec = OciExec.start(c, ExecSpec.of("cat", "--", source));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(exec.stderr()));
    Path partial = hostTarget.resolveSibling(hostTarget.getFileName() + ".isola-partial");
    try (InputStream out = exec.stdout(); OutputStream file = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW)) {
      byte[] buffer = new byte[1 << 16];
      long copied = 0;
      for (int n; (n = out.read(buffer)) > 0; ) {
        copied += n;
        if (copied > maxBytes) {
          exec.close();
          throw new ContainerException("cannot copy " + source + " out: it is larger than " + maxBytes + " bytes");
        }
        file.write(buffer, 0, n);
      }
      ExitStatus s = exec.exit().join();
      if (!s.isSuccess()) {
        throw new ContainerException("cannot copy " + source + " out of the container: " + err.join().strip());
      }
      file.close();
      Files.move(partial, hostTarget, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + source + " out to " + hostTarget, e);
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException e) {
        // nothing was written
      }
    }
  }

  private static String text(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
