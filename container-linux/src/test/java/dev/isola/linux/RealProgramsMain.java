package dev.isola.linux;

import dev.isola.Capability;
import dev.isola.Container;
import dev.isola.ContainerSpec;
import dev.isola.ExitStatus;
import dev.isola.Mount;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Software nobody here wrote, run unchanged in the default container (no rootfs: the host view)
 * and, for comparison, on the host: a JDK compiling and running a source file, CPython with its
 * own regression tests, gcc building a threaded program, a shell pipeline of many processes.
 * Prints one line per workload, "name: inside | host | seconds inside | seconds on the host",
 * for {@link RealProgramsTest}, which runs it as root and, in a child JVM, as uid 65534.
 */
public final class RealProgramsMain {
  /**
   * CPython's own tests that run in seconds and touch what a root must provide: files, sites,
   * locales, temp files, processes, time zones, users and groups. Those that need capabilities
   * (chown to another user) or a network are skipped by CPython itself; test_ssl and
   * test_subprocess take a minute, so TLS is the "cpython" workload's trust store check.
   */
  static final List<String> CPYTHON_TESTS = List.of("test_os", "test_site", "test_tempfile", "test_shutil",
      "test_pathlib", "test_glob", "test_locale", "test_time", "test_datetime", "test_json", "test_csv", "test_hashlib",
      "test_select", "test_fcntl", "test_posix", "test_pwd", "test_grp", "test_getpass", "test_tarfile",
      "test_unicodedata");

  /** The suffix of a workload run with {@link Capability#dockerDefaults()}. */
  static final String WITH_DOCKER_CAPS = "+docker-caps";

  private RealProgramsMain() {}

  public static void main(String[] args) throws Exception {
    Path src = Path.of(args[0]);
    for (Map.Entry<String, List<String>> w : workloads(src).entrySet()) {
      Result inside = run(w.getValue(), true, w.getKey().endsWith(WITH_DOCKER_CAPS), src);
      Result host = run(w.getValue(), false, false, src);
      System.out.println(w.getKey() + ": " + inside.summary + " | " + host.summary + " | "
          + String.format("%.2f | %.2f", inside.seconds, host.seconds));
    }
  }

  /** The source files the workloads read, written to {@code src}, which they see read-only at /src. */
  static void writeSources(Path src) throws IOException {
    Files.writeString(src.resolve("Hello.java"), String.join("\n",
        "import java.net.InetAddress;",
        "import java.nio.file.*;",
        "import javax.net.ssl.*;",
        "public class Hello {",
        "  public static void main(String[] a) throws Exception {",
        "    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());",
        "    f.init((java.security.KeyStore) null);",
        "    int cas = ((X509TrustManager) f.getTrustManagers()[0]).getAcceptedIssuers().length;",
        "    Path home = Path.of(System.getProperty(\"user.home\"));",
        "    Files.deleteIfExists(Files.createTempFile(home, \"hello\", \"\"));",
        "    String name = InetAddress.getLocalHost().getHostName();",
        "    System.out.println(\"compiled and ran; resolves its own name; \" + (cas > 0 ? \"trusts the CAs\" : \"no CA\")",
        "        + \"; home writable; \" + System.getProperty(\"file.encoding\") + (name.isEmpty() ? \" no name\" : \"\"));",
        "  }",
        "}", ""));
    Files.writeString(src.resolve("threads.c"), String.join("\n",
        "#include <pthread.h>",
        "#include <stdio.h>",
        "static long sums[8];",
        "static void *work(void *arg) { long i = (long) arg; for (long n = 0; n < 1000000; n++) sums[i] += n % 7; return 0; }",
        "int main(void) {",
        "  pthread_t t[8]; long total = 0;",
        "  for (long i = 0; i < 8; i++) pthread_create(&t[i], 0, work, (void *) i);",
        "  for (int i = 0; i < 8; i++) { pthread_join(t[i], 0); total += sums[i]; }",
        "  printf(\"8 threads, sum %ld\\n\", total);",
        "  return 0;",
        "}", ""));
  }

  /** Name to argv; each prints what it found, and the same on the host and inside when all is well. */
  static Map<String, List<String>> workloads(Path src) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Map<String, List<String>> w = new LinkedHashMap<>();
    w.put("login-environment", sh("test -d \"$HOME\" && touch \"$HOME/.probe\" && rm \"$HOME/.probe\" && echo home writable;"
        + " test -n \"$USER\" && test \"$USER\" = \"$LOGNAME\" && echo user named; echo \"LANG=$LANG\";"
        + " getent hosts localhost >/dev/null && echo localhost resolves"));
    w.put("jdk", List.of(java, "/src/Hello.java"));
    w.put("cpython", List.of("/usr/bin/python3", "-c", "import ssl, locale, os, socket, site, tempfile\n"
        + "ctx = ssl.create_default_context()\n"
        + "print('cas' if ctx.cert_store_stats()['x509_ca'] > 0 else 'no cas', locale.getpreferredencoding(),\n"
        + "      'home' if os.path.isdir(os.path.expanduser('~')) else 'no home', bool(site.getuserbase()),\n"
        + "      'resolves' if socket.gethostbyname(socket.gethostname()) else '', os.path.isdir(tempfile.gettempdir()))"));
    w.put("cpython-regrtest", cpythonTests());
    // root without capabilities cannot chown (test_os, test_posix, test_tarfile): with Docker's, it can
    w.put("cpython-regrtest" + WITH_DOCKER_CAPS, cpythonTests());
    w.put("gcc-threads", sh("out=$(mktemp) && gcc -O1 -pthread -o \"$out\" /src/threads.c && \"$out\"; s=$?; rm -f \"$out\"; exit $s"));
    w.put("shell-pipeline", sh("seq 1 50000 | sort -rn | uniq | awk '{s+=$1} END {printf \"%d\\n\", s}';"
        + " for i in $(seq 1 64); do (echo $i > /dev/null) & done; wait; echo 64 subshells"));
    return w;
  }

  /** CPython's regression tests, one process, a line per test module's verdict. */
  private static List<String> cpythonTests() {
    // the verdicts only, without the timings, so that inside and the host compare equal
    return sh("/usr/bin/python3 -m test " + String.join(" ", CPYTHON_TESTS) + " 2>&1"
        + " | grep -E '^(== Tests result|All [0-9]+ tests OK|[0-9]+ tests? (OK|failed|skipped|altered)|    test_)'");
  }

  private static List<String> sh(String script) {
    return List.of("/bin/sh", "-c", script);
  }

  private static final class Result {
    final String summary;
    final double seconds;

    Result(String summary, double seconds) {
      this.summary = summary;
      this.seconds = seconds;
    }
  }

  private static Result run(List<String> argv, boolean inside, boolean dockerCaps, Path src) throws Exception {
    long t0 = System.nanoTime();
    String out;
    int exit;
    if (inside) {
      ContainerSpec.Builder b = Container.builder().command(argv).mount(Mount.bind(src, "/src"));
      if (dockerCaps) {
        b.capabilities(Capability.dockerDefaults());
      }
      try (Container c = b.start()) {
        c.stdin().close();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(c.stderr()));
        out = read(c.stdout()) + stderr.get();
        ExitStatus s = c.waitFor();
        exit = s.exitCode();
      }
    } else {
      ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true);
      // the host run sees the sources where the container does: /src is a bind there
      pb.command().replaceAll(a -> a.replace("/src/", src + "/"));
      Process p = pb.start();
      p.getOutputStream().close();
      out = read(p.getInputStream());
      p.waitFor(10, TimeUnit.MINUTES);
      exit = p.exitValue();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result("exit " + exit + " " + out.trim().replace('\n', ';'), seconds);
  }

  private static String read(InputStream in) {
    try (in) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
