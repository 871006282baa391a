package dev.isola.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's code cannot drift from the library: each Java block marked "ReadmeTest compiles
 * and runs this block" is compiled against the build's class path, as a user would paste it, and
 * run, starting real containers.
 */
class ReadmeTest {
  private static final Path README = Path.of("../README.md");
  private static final Pattern MARKED = Pattern.compile("<!-- ReadmeTest compiles and runs this block -->\\n```java\\n(.*?)```",
      Pattern.DOTALL);
  private static final String IMPORTS = "import dev.isola.*;\nimport java.nio.file.*;\nimport java.time.Duration;\n"
      + "import java.io.*;\nimport java.nio.file.attribute.PosixFilePermissions;\nimport java.util.*;\n";

  static List<String> markedBlocks() throws Exception {
    List<String> blocks = new ArrayList<>();
    Matcher m = MARKED.matcher(Files.readString(README));
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  @Test
  void theMarkedBlocksCompileAndRun(@TempDir Path dir) throws Exception {
    List<String> blocks = markedBlocks();
    assertThat(blocks).as("marked blocks in the README").hasSize(2);
    for (int i = 0; i < blocks.size(); i++) {
      String name = "Block" + i;
      Path source = dir.resolve(name + ".java");
      Files.writeString(source, IMPORTS + "public class " + name + " {\n  public static void main(String[] args) throws Exception {\n"
          + blocks.get(i) + "  }\n}\n");
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      ByteArrayOutputStream errors = new ByteArrayOutputStream();
      int rc = javac.run(null, null, new PrintStream(errors, true, StandardCharsets.UTF_8), "-d", dir.toString(),
          "-cp", System.getProperty("java.class.path"), source.toString());
      assertThat(rc).as("README block " + i + " compiles:\n" + blocks.get(i) + "\n" + errors.toString(StandardCharsets.UTF_8)).isZero();
      try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
        Method main = loader.loadClass(name).getMethod("main", String[].class);
        main.invoke(null, (Object) new String[0]); // starts the block's containers; throws if one fails
      }
    }
  }
}
