package dev.isola.linux.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.linux.internal.plan.LaunchPlan.Op;
import dev.isola.linux.internal.plan.LaunchPlan.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The wire form that the launcher reads: see launcher.h, where the protocol is defined. */
class LaunchPlanTest {
  private static final int MAGIC = 0x4c4f5349;
  private static final Path LAUNCHER_C = Path.of("src/main/c/launcher.h");

  private static ByteBuffer wire(LaunchPlan plan) {
    return ByteBuffer.wrap(plan.bytes()).order(ByteOrder.nativeOrder());
  }

  /** Reads a plan back the way plan.c's read_plan does, checking every length on the way. */
  private static List<Step> decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    assertThat(b.getInt()).as("magic").isEqualTo(MAGIC);
    assertThat(b.getInt()).as("version").isEqualTo(1);
    int count = b.getInt();
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int code = b.getInt();
      int nints = b.getInt();
      int nstrs = b.getInt();
      List<Long> ints = new ArrayList<>();
      for (int j = 0; j < nints; j++) {
        ints.add(b.getLong());
      }
      List<String> strs = new ArrayList<>();
      for (int j = 0; j < nstrs; j++) {
        int n = b.getInt();
        assertThat(n).as("string length with its NUL").isPositive();
        byte[] s = new byte[n];
        b.get(s);
        assertThat(s[n - 1]).as("terminating NUL").isZero();
        strs.add(new String(s, 0, n - 1, StandardCharsets.UTF_8));
      }
      Op op = Arrays.stream(Op.values()).filter(o -> o.code == code).findFirst().orElseThrow();
      steps.add(new Step(op, ints.stream().mapToLong(Long::longValue).toArray(), strs, ""));
    }
    assertThat(b.hasRemaining()).as("bytes after the last step").isFalse();
    return steps;
  }

  @Test
  void anEmptyPlanIsTheHeaderAlone() {
    LaunchPlan plan = new LaunchPlan.Builder().build();
    ByteBuffer b = wire(plan);
    assertThat(b.remaining()).isEqualTo(12);
    assertThat(b.getInt()).isEqualTo(MAGIC);
    assertThat(b.getInt()).isEqualTo(1);
    assertThat(b.getInt()).isZero();
    assertThat(plan.size()).isEqualTo(12);
    assertThat(plan.steps()).isEmpty();
  }

  @Test
  void theHeaderIsIsolInNativeByteOrder() {
    byte[] bytes = new LaunchPlan.Builder().add(Op.SYNC, "wait").build().bytes();
    // "ISOL" read as a u32 in native order: on a little-endian host the bytes are "ISOL"
    byte[] magic = Arrays.copyOf(bytes, 4);
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("ISOL");
    } else {
      assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("LOSI");
    }
  }

  @Test
  void theHeaderCountsTheSteps() {
    LaunchPlan.Builder builder = new LaunchPlan.Builder();
    for (int i = 0; i < 5; i++) {
      builder.add(Op.SETSID, "step " + i);
    }
    ByteBuffer b = wire(builder.build());
    b.getInt();
    b.getInt();
    assertThat(b.getInt()).isEqualTo(5);
  }

  @Test
  void aStepIsItsOpCountsIntsAndStringsExactly() {
    LaunchPlan plan = new LaunchPlan.Builder()
        .add(Op.MOUNT, List.of(4096L | 16384L), List.of("/a", "bc", "", "x"), "bind /a")
        .build();
    ByteBuffer b = wire(plan);
    b.position(12);
    assertThat(b.getInt()).as("op").isEqualTo(10);
    assertThat(b.getInt()).as("int count").isEqualTo(1);
    assertThat(b.getInt()).as("string count").isEqualTo(4);
    assertThat(b.getLong()).as("flags").isEqualTo(4096L | 16384L);
    assertThat(b.getInt()).as("length of \"/a\" with its NUL").isEqualTo(3);
    assertThat(new byte[] {b.get(), b.get(), b.get()}).containsExactly('/', 'a', 0);
    assertThat(b.getInt()).isEqualTo(3);
    assertThat(new byte[] {b.get(), b.get(), b.get()}).containsExactly('b', 'c', 0);
    assertThat(b.getInt()).as("an empty string is its NUL alone").isEqualTo(1);
    assertThat(b.get()).isZero();
    assertThat(b.getInt()).isEqualTo(2);
    assertThat(new byte[] {b.get(), b.get()}).containsExactly('x', 0);
    assertThat(b.hasRemaining()).isFalse();
    assertThat(plan.size()).isEqualTo(12 + 12 + 8 + (4 + 3) + (4 + 3) + (4 + 1) + (4 + 2));
  }

  @Test
  void intsAreSixtyFourBitsWhateverTheirValue() {
    List<Long> ints = List.of(0L, 1L, 0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE, -1L);
    LaunchPlan plan = new LaunchPlan.Builder().add(Op.SET_IDS, ints, List.of(), "ints").build();
    ByteBuffer b = wire(plan);
    b.position(12);
    assertThat(b.getInt()).isEqualTo(Op.SET_IDS.code);
    assertThat(b.getInt()).isEqualTo(ints.size());
    assertThat(b.getInt()).isZero();
    for (long v : ints) {
      assertThat(b.getLong()).isEqualTo(v);
    }
    assertThat(b.hasRemaining()).isFalse();
  }

  @Test
  void stringsAreUtf8AndTheLengthCountsBytesNotChars() {
    String s = "héllo ✓ 𝄞";
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    assertThat(utf8.length).isGreaterThan(s.length());
    LaunchPlan plan = new LaunchPlan.Builder().add(Op.HOSTNAME, "name", s).build();
    ByteBuffer b = wire(plan);
    b.position(24);
    assertThat(b.getInt()).isEqualTo(utf8.length + 1);
    byte[] got = new byte[utf8.length];
    b.get(got);
    assertThat(got).isEqualTo(utf8);
    assertThat(b.get()).isZero();
    assertThat(b.hasRemaining()).isFalse();
  }

  @Test
  void manyStepsRoundTrip() {
    LaunchPlan plan = new LaunchPlan.Builder()
        .add(Op.CLONE, 0x7E020000L, "clone")
        .add(Op.WRITE_PROC, "uid map", "uid_map", "0 1000 1\n")
        .add(Op.SYNC, "sync")
        .add(Op.MKDIR, 0755, "mkdir", "/newroot/ünïcode")
        .add(Op.EXEC, List.of(2L), List.of("sh", "-c", "PATH=/bin"), "exec sh")
        .build();
    List<Step> back = decode(plan.bytes());
    assertThat(back).hasSameSizeAs(plan.steps());
    for (int i = 0; i < back.size(); i++) {
      assertThat(back.get(i).op).isEqualTo(plan.steps().get(i).op);
      assertThat(back.get(i).ints).isEqualTo(plan.steps().get(i).ints);
      assertThat(back.get(i).strings).isEqualTo(plan.steps().get(i).strings);
    }
  }

  @Test
  void theBuilderOverloadsPutTheValueInTheInts() {
    LaunchPlan plan = new LaunchPlan.Builder()
        .add(Op.SETSID, "no args")
        .add(Op.MKDIR, 0755, "create", "/x")
        .build();
    assertThat(plan.steps().get(0).ints).isEmpty();
    assertThat(plan.steps().get(0).strings).isEmpty();
    assertThat(plan.steps().get(1).ints).containsExactly(0755L);
    assertThat(plan.steps().get(1).strings).containsExactly("/x");
    assertThat(plan.steps().get(1).description).isEqualTo("create");
  }

  @Test
  void aNulInsideAnArgumentIsRejectedNamingTheStep() {
    LaunchPlan.Builder builder = new LaunchPlan.Builder();
    assertThatThrownBy(() -> builder.add(Op.EXEC, List.of(1L), List.of("sh", "A=b\0c"), "execute sh"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL")
        .hasMessageContaining("execute sh");
    assertThatThrownBy(() -> builder.add(Op.MKDIR, 0755, "create /x", "/x\0/y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("create /x");
    assertThat(builder.build().steps()).as("nothing was added").isEmpty();
  }

  @Test
  void describeNamesTheStepOrThePlan() {
    LaunchPlan plan = new LaunchPlan.Builder()
        .add(Op.CLONE, 0L, "create namespaces")
        .add(Op.SYNC, "wait for the launcher")
        .build();
    assertThat(plan.describe(0)).isEqualTo("create namespaces");
    assertThat(plan.describe(1)).isEqualTo("wait for the launcher");
    assertThat(plan.describe(-1)).isEqualTo("read the launch plan");
    // an index the launcher should never send still yields a description, not an exception
    assertThat(plan.describe(2)).isEqualTo("read the launch plan");
    assertThat(plan.describe(-7)).isEqualTo("read the launch plan");
  }

  @Test
  void thePlanIsImmutable() {
    LaunchPlan.Builder builder = new LaunchPlan.Builder().add(Op.SETSID, "setsid");
    LaunchPlan plan = builder.build();
    builder.add(Op.SETSID, "later");
    assertThat(plan.steps()).hasSize(1);
    assertThatThrownBy(() -> plan.steps().add(plan.steps().get(0))).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> plan.steps().get(0).ints.add(1L)).isInstanceOf(UnsupportedOperationException.class);

    byte[] bytes = plan.bytes();
    bytes[0] = 0;
    assertThat(plan.bytes()[0]).as("bytes() is a copy").isNotZero();
    assertThat(plan.size()).isEqualTo(plan.bytes().length);
  }

  @Test
  void everyOpNumberIsTheLaunchersOwn() throws IOException {
    String c = Files.readString(LAUNCHER_C);
    String enumBody = c.substring(c.indexOf("enum op {"), c.indexOf("};", c.indexOf("enum op {")));
    Matcher m = Pattern.compile("OP_([A-Z_]+)\\s*=\\s*(\\d+)").matcher(enumBody);
    Map<String, Integer> launcher = new LinkedHashMap<>();
    while (m.find()) {
      launcher.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    Map<String, Integer> java = new LinkedHashMap<>();
    for (Op op : Op.values()) {
      java.put(op.name(), op.code);
    }
    // the launcher may know ops that the Java side does not emit yet, never the other way round
    assertThat(launcher).containsAllEntriesOf(java);
    assertThat(java.values()).doesNotHaveDuplicates();
  }

  @Test
  void theMagicAndVersionAreTheLaunchersOwn() throws IOException {
    String c = Files.readString(LAUNCHER_C);
    assertThat(c).contains("#define PLAN_MAGIC 0x" + Integer.toHexString(MAGIC) + "u");
    assertThat(c).contains("#define PLAN_VERSION 1u");
    ByteBuffer b = wire(new LaunchPlan.Builder().build());
    assertThat(b.getInt()).isEqualTo(MAGIC);
    assertThat(b.getInt()).isEqualTo(1);
  }
}
