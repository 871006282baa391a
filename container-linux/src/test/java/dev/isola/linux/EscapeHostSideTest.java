package dev.isola.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Container;
import dev.isola.ContainerException;
import dev.isola.FileCopy;
import dev.isola.Overlay;
import dev.isola.linux.testing.Leftovers;
import dev.isola.linux.testing.TestRootfs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catalog group L (HOST-01): the host touching what the sandbox wrote. The sandbox lays traps in
 * its root (symlinks to host secrets, a directory swapped for a link, a FIFO, a huge sparse file,
 * links left for the cleanup); {@code copyOut}, {@code copyIn} and {@code close()} must answer
 * with an error or a link, never with host content, never hang, and leave host canaries alone.
 */
class EscapeHostSideTest {
  private static final String SECRET = "host secret\n";

  /** A directory the sandbox can name but must never reach through the host's hands. */
  private static Path canary(Path dir) throws IOException {
    Path canary = Files.createDirectories(dir.resolve("canary"));
    Files.writeString(canary.resolve("secret"), SECRET);
    return canary;
  }

  private static Container start(Path dir, String script) throws IOException {
    Path lower = TestRootfs.ownedCopy(dir);
    return Container.builder().overlay(Overlay.ephemeral(List.of(lower))).command("sh", "-c", script).start();
  }

  @Test
  void host01AnOutputThatIsALinkToAHostSecretIsCopiedAsTheLinkNeverItsTarget(@TempDir Path dir) throws Exception {
    Path secret = canary(dir).resolve("secret");
    try (Container c = start(dir, "mkdir /out && ln -s " + secret + " /out/result && ln -s /etc/shadow /out/shadow")) {
      c.waitFor();
      c.copyOut("/out/result", dir.resolve("result"));
      assertThat(Files.isSymbolicLink(dir.resolve("result"))).isTrue();
      assertThat(Files.readSymbolicLink(dir.resolve("result"))).isEqualTo(secret);
      c.copyOut("/out", dir.resolve("out"));
      assertThat(Files.isSymbolicLink(dir.resolve("out/shadow"))).isTrue();
    }
  }

  @Test
  void host01ADirectorySwappedForALinkLeadsNowhere(@TempDir Path dir) throws Exception {
    Path canary = canary(dir);
    try (Container c = start(dir, "ln -s " + canary + " /out")) {
      c.waitFor();
      assertThatThrownBy(() -> c.copyOut("/out/secret", dir.resolve("got")))
          .isInstanceOf(ContainerException.class).hasMessageContaining("no such file");
      assertThat(dir.resolve("got")).doesNotExist();
    }
  }

  @Test
  void host01AFifoIsRefusedWithoutBlockingTheReader(@TempDir Path dir) throws Exception {
    try (Container c = start(dir, "mkfifo /result")) {
      c.waitFor();
      CompletableFuture<Throwable> copy = CompletableFuture.supplyAsync(() -> {
        try {
          c.copyOut("/result", dir.resolve("got"));
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      assertThat(copy.get(5, TimeUnit.SECONDS)).isInstanceOf(ContainerException.class)
          .hasMessageContaining("pipe");
      assertThat(dir.resolve("got")).doesNotExist();
    }
  }

  @Test
  void host01AHugeSparseFileStopsAtTheLimitAndLeavesNothing(@TempDir Path dir) throws Exception {
    try (Container c = start(dir, "mkdir /out && echo small > /out/a && dd if=/dev/zero of=/out/huge bs=1 count=1 seek=100G 2>/dev/null")) {
      c.waitFor();
      assertThatThrownBy(() -> c.copyOut("/out", dir.resolve("got"), 1 << 20))
          .isInstanceOf(ContainerException.class).hasMessageContaining("more than 1048576 bytes");
      assertThat(dir.resolve("got")).doesNotExist();
    }
  }

  @Test
  void host01TheSameTrapsInARunningContainerLeadNowhere(@TempDir Path dir) throws Exception {
    Path canary = canary(dir);
    Path secret = canary.resolve("secret");
    // a running container reads through its own mounts: the traps lie in its /tmp, a tmpfs
    try (Container c = start(dir, "mkdir /tmp/out && ln -s " + secret + " /tmp/out/result && ln -s " + canary + " /tmp/dir"
        + " && mkfifo /tmp/fifo && dd if=/dev/zero of=/tmp/out/huge bs=1 count=1 seek=10G 2>/dev/null; echo ready; sleep 30")) {
      assertThat(new String(c.stdout().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
      c.copyOut("/tmp/out/result", dir.resolve("result"));
      assertThat(Files.readSymbolicLink(dir.resolve("result"))).isEqualTo(secret);
      assertThatThrownBy(() -> c.copyOut("/tmp/dir/secret", dir.resolve("got"))).isInstanceOf(ContainerException.class)
          .hasMessageContaining("no such file");
      CompletableFuture<Throwable> fifo = CompletableFuture.supplyAsync(() -> {
        try {
          c.copyOut("/tmp/fifo", dir.resolve("got"));
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      assertThat(fifo.get(5, TimeUnit.SECONDS)).isInstanceOf(ContainerException.class).hasMessageContaining("pipe");
      assertThatThrownBy(() -> c.copyOut("/tmp/out", dir.resolve("got"), 1 << 20)).isInstanceOf(ContainerException.class)
          .hasMessageContaining("more than 1048576 bytes");
      assertThat(dir.resolve("got")).doesNotExist();
    }
    assertThat(Files.readString(secret)).isEqualTo(SECRET);
  }

  @Test
  void host01CopyingIntoARunningContainerNeverWritesThroughItsLinks(@TempDir Path dir) throws Exception {
    Path canary = canary(dir);
    try (Container c = start(dir, "ln -s " + canary + " /drop; ln -s " + canary.resolve("secret") + " /file; echo ready; sleep 30")) {
      assertThat(new String(c.stdout().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
      // through the directory link: resolved inside the root, where its target does not exist
      assertThatThrownBy(() -> c.copyIn(FileCopy.of("x".getBytes(StandardCharsets.UTF_8), "/drop/secret", 0644)))
          .isInstanceOf(ContainerException.class).hasMessageContaining("/drop");
      // onto the file link: refused, not followed
      assertThatThrownBy(() -> c.copyIn(FileCopy.of("x".getBytes(StandardCharsets.UTF_8), "/file", 0644)))
          .isInstanceOf(ContainerException.class).hasMessageContaining("/file");
    }
    assertThat(canary.resolve("secret")).hasContent(SECRET.strip());
  }

  @Test
  void host01TheCleanupDeletesLinksNotWhatTheyPointAt(@TempDir Path dir) throws Exception {
    Path canary = canary(dir);
    Leftovers leftovers = Leftovers.snapshot();
    try (Container c = start(dir, "ln -s " + canary + " /dirlink; ln -s " + canary.resolve("secret") + " /filelink;"
        + " mkdir -p /locked/inner && ln -s " + canary + " /locked/inner/link && chmod 000 /locked/inner /locked")) {
      assertThat(c.waitFor(Duration.ofSeconds(10))).isPresent();
    }
    assertThat(canary.resolve("secret")).hasContent(SECRET.strip());
    assertThat(Files.getPosixFilePermissions(canary, LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
    leftovers.assertNoneSince();
  }
}
