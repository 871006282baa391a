package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modular application, as a tool author writes one: it {@code requires dev.isola} only, and the
 * Linux engine is found on the module path by the service it provides. Built from the reactor's
 * jars, so a missing module name or a broken module descriptor fails here.
 */
class ModularAppTest {
  private static final String MODULE_INFO = "module app { requires dev.isola; }\n";
  private static final String MAIN = String.join("\n",
      "package app;",
      "import dev.isola.Container;",
      "import dev.isola.ExitStatus;",
      "public final class Main {",
      "  public static void main(String[] args) throws Exception {",
      "    System.out.println(\"api module: \" + Container.class.getModule().getName());",
      "    System.out.println(\"engine module: \" + ModuleLayer.boot().findModule(\"dev.isola.linux\").map(Module::getName).orElse(\"none\"));",
      "    try (Container c = Container.builder().command(\"sh\", \"-c\", \"echo hello from $(hostname)\").hostname(\"modular\").start()) {",
      "      System.out.print(new String(c.stdout().readAllBytes()));",
      "      ExitStatus s = c.waitFor();",
      "      System.out.println(\"status: \" + s.reason() + \" \" + s.exitCode());",
      "    }",
      "  }",
      "}",
      "");

  @Test
  void aModularApplicationStartsAContainerWithTheEngineOnTheModulePath(@TempDir Path dir) throws Exception {
    List<String> modulePath = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (name.matches("(container-api|container-linux|jna|jna-platform|jspecify)-[0-9].*\\.jar") && !name.endsWith("-tests.jar")) {
        modulePath.add(entry);
      }
    }
    assertThat(modulePath).as("the reactor's jars on the test class path (run with mvn verify)")
        .anyMatch(e -> e.contains("container-api-")).anyMatch(e -> e.contains("container-linux-"));

    Path src = Files.createDirectories(dir.resolve("src/app"));
    Files.writeString(dir.resolve("src/module-info.java"), MODULE_INFO);
    Files.writeString(src.resolve("Main.java"), MAIN);
    Path classes = dir.resolve("classes");
    StringWriter log = new StringWriter();
    int compiled = ToolProvider.findFirst("javac").orElseThrow().run(new java.io.PrintWriter(log), new java.io.PrintWriter(log),
        "-d", classes.toString(), "--module-path", String.join(File.pathSeparator, modulePath),
        dir.resolve("src/module-info.java").toString(), src.resolve("Main.java").toString());
    assertThat(compiled).as(log.toString()).isZero();

    modulePath.add(classes.toString());
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--module-path", String.join(File.pathSeparator, modulePath), "-m", "app/app.Main")
        .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as(out).contains("api module: dev.isola", "engine module: dev.isola.linux", "hello from modular", "status: EXITED 0");
    assertThat(p.exitValue()).as(out).isZero();
  }
}
