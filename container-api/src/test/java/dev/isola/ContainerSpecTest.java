package dev.isola;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.SeccompPolicy.Action;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerSpecTest {

  private static ContainerSpec.Builder builder() {
    return Container.builder().command("true");
  }

  private static ContainerSpec full() {
    return Container.builder()
        .rootfs(Path.of("/srv/rootfs"))
        .readOnlyRootfs(false)
        .command("sh", "-c", "echo hi")
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8")
        .workingDirectory("/work")
        .hostname("box")
        .mount(Mount.bind(Path.of("/srv/data"), "/data"))
        .mount(Mount.tmpfs("/tmp", 1 << 20))
        .share(Namespace.NETWORK)
        .idMapping(IdMapping.caller())
        .stdin(Stdio.discard())
        .stdout(Stdio.file(Path.of("/tmp/out")))
        .stderr(Stdio.appendTo(Path.of("/tmp/err")))
        .init(false)
        .seccomp(SeccompPolicy.extendDefault().deny("ptrace").build())
        .capabilities(Capability.NET_BIND_SERVICE, Capability.CHOWN)
        .limits(Limits.builder().memory(64 << 20).pids(32).build())
        .build();
  }

  @Nested
  class Defaults {
    private final ContainerSpec spec = builder().build();

    @Test
    void environmentIsOnlyTheDefaultPath() {
      assertThat(spec.env()).containsExactly(Map.entry("PATH", ContainerSpec.DEFAULT_PATH));
      assertThat(ContainerSpec.DEFAULT_PATH).isEqualTo("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }

    @Test
    void workingDirectoryIsRoot() {
      assertThat(spec.workingDirectory()).isEqualTo("/");
    }

    @Test
    void hostnameIsTheDefault() {
      assertThat(spec.hostname()).contains(ContainerSpec.DEFAULT_HOSTNAME);
      assertThat(ContainerSpec.DEFAULT_HOSTNAME).isEqualTo("isola");
    }

    @Test
    void everyNamespaceButTimeIsNew() {
      assertThat(spec.namespaces()).containsExactlyInAnyOrder(Namespace.USER, Namespace.MOUNT, Namespace.PID, Namespace.UTS,
          Namespace.IPC, Namespace.NETWORK, Namespace.CGROUP);
      assertThat(spec.timeOffsets()).isEmpty();
    }

    @Test
    void timeOffsetsGiveATimeNamespace() {
      ContainerSpec timed = builder().timeOffsets(java.time.Duration.ofDays(1), java.time.Duration.ofHours(-1)).build();
      assertThat(timed.namespaces()).contains(Namespace.TIME);
      assertThat(timed.timeOffsets()).contains(new TimeOffsets(java.time.Duration.ofDays(1), java.time.Duration.ofHours(-1)));
      assertThat(timed.toBuilder().build()).isEqualTo(timed);
      assertThat(timed.toBuilder().share(Namespace.TIME).build().timeOffsets()).isEmpty();
      assertThatThrownBy(() -> builder().timeOffsets(java.time.Duration.ofDays(365L * 200), java.time.Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100 years");
    }

    @Test
    void idMappingIsAutomatic() {
      assertThat(spec.idMapping()).isEqualTo(IdMapping.automatic());
    }

    @Test
    void streamsArePipes() {
      assertThat(spec.stdin()).isEqualTo(Stdio.pipe());
      assertThat(spec.stdout()).isEqualTo(Stdio.pipe());
      assertThat(spec.stderr()).isEqualTo(Stdio.pipe());
    }

    @Test
    void initIsOn() {
      assertThat(spec.init()).isTrue();
    }

    @Test
    void rootIsTheReadOnlyHostView() {
      assertThat(spec.rootfs()).isEmpty();
      assertThat(spec.readOnlyRootfs()).isTrue();
    }

    @Test
    void noMounts() {
      assertThat(spec.mounts()).isEmpty();
    }

    @Test
    void seccompIsTheDefaultPolicy() {
      assertThat(spec.seccomp()).isSameAs(SeccompPolicy.defaultPolicy());
    }

    @Test
    void noCapabilities() {
      assertThat(spec.capabilities()).isEmpty();
    }

    @Test
    void noLimits() {
      assertThat(spec.limits()).isSameAs(Limits.none());
      assertThat(spec.limits().needsCgroup()).isFalse();
    }

    @Test
    void rootfsStaysReadOnlyWhenSet() {
      assertThat(builder().rootfs(Path.of("/r")).build().readOnlyRootfs()).isTrue();
    }
  }

  @Test
  void keepsEveryValueSet() {
    ContainerSpec spec = full();

    assertThat(spec.rootfs()).contains(Path.of("/srv/rootfs"));
    assertThat(spec.readOnlyRootfs()).isFalse();
    assertThat(spec.command()).containsExactly("sh", "-c", "echo hi");
    assertThat(spec.env()).containsExactly(
        Map.entry("PATH", ContainerSpec.DEFAULT_PATH), Map.entry("HOME", "/root"), Map.entry("LANG", "C.UTF-8"));
    assertThat(spec.workingDirectory()).isEqualTo("/work");
    assertThat(spec.hostname()).contains("box");
    assertThat(spec.mounts()).containsExactly(
        Mount.bind(Path.of("/srv/data"), "/data"), Mount.tmpfs("/tmp", 1 << 20));
    assertThat(spec.namespaces()).containsExactlyInAnyOrder(
        Namespace.USER, Namespace.MOUNT, Namespace.PID, Namespace.UTS, Namespace.IPC, Namespace.CGROUP);
    assertThat(spec.idMapping()).isEqualTo(IdMapping.caller());
    assertThat(spec.stdin()).isEqualTo(Stdio.discard());
    assertThat(spec.stdout()).isEqualTo(Stdio.file(Path.of("/tmp/out")));
    assertThat(spec.stderr()).isEqualTo(Stdio.appendTo(Path.of("/tmp/err")));
    assertThat(spec.init()).isFalse();
    assertThat(spec.seccomp()).isEqualTo(SeccompPolicy.extendDefault().deny("ptrace").build());
    assertThat(spec.capabilities()).containsExactlyInAnyOrder(Capability.CHOWN, Capability.NET_BIND_SERVICE);
    assertThat(spec.limits()).isEqualTo(Limits.builder().memory(64 << 20).pids(32).build());
  }

  @Nested
  class Security {
    @Test
    void keepsTheSeccompPolicy() {
      for (SeccompPolicy p : List.of(SeccompPolicy.unconfined(), SeccompPolicy.defaultPolicy(),
          SeccompPolicy.denyList().deny("ptrace").build(), SeccompPolicy.allowList().allow("execve").build())) {
        assertThat(builder().seccomp(p).build().seccomp()).isEqualTo(p);
      }
    }

    @Test
    void laterSeccompPolicyReplacesEarlier() {
      assertThat(builder().seccomp(SeccompPolicy.unconfined()).seccomp(SeccompPolicy.defaultPolicy()).build().seccomp())
          .isEqualTo(SeccompPolicy.defaultPolicy());
    }

    @Test
    void nullSeccompPolicyIsRejected() {
      assertThatThrownBy(() -> builder().seccomp(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("seccomp");
    }

    @Test
    void capabilitiesAreASetInTheKernelsOrder() {
      assertThat(builder().capabilities(Capability.SYS_ADMIN, Capability.CHOWN, Capability.CHOWN).build().capabilities())
          .containsExactly(Capability.CHOWN, Capability.SYS_ADMIN);
    }

    @Test
    void everyCapabilityCanBeKept() {
      assertThat(builder().capabilities(Capability.values()).build().capabilities())
          .containsExactly(Capability.values());
    }

    @Test
    void laterCapabilitiesReplaceEarlierAndNoneClears() {
      assertThat(builder().capabilities(Capability.CHOWN).capabilities(Capability.KILL).build().capabilities())
          .containsExactly(Capability.KILL);
      assertThat(builder().capabilities(Capability.CHOWN).capabilities().build().capabilities()).isEmpty();
      assertThat(builder().capabilities(Capability.CHOWN).capabilities().build()).isEqualTo(builder().build());
    }

    @Test
    void nullCapabilityIsRejected() {
      assertThatThrownBy(() -> builder().capabilities(Capability.CHOWN, null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("capability");
      assertThatThrownBy(() -> builder().capabilities((Capability[]) null))
          .isInstanceOf(NullPointerException.class);
    }

    @Test
    void capabilitiesAreUnmodifiable() {
      ContainerSpec spec = builder().capabilities(Capability.CHOWN).build();

      assertThatThrownBy(() -> spec.capabilities().add(Capability.SYS_ADMIN))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.capabilities().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> builder().build().capabilities().add(Capability.SYS_ADMIN))
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theCallersArrayIsCopied() {
      Capability[] keep = {Capability.CHOWN};
      ContainerSpec.Builder b = builder().capabilities(keep);
      keep[0] = Capability.SYS_ADMIN;

      assertThat(b.build().capabilities()).containsExactly(Capability.CHOWN);
    }
  }

  @Nested
  class LimitsOfTheSpec {
    @Test
    void keepsTheLimits() {
      Limits limits = Limits.builder().wallTime(Duration.ofSeconds(1)).outputBytes(10).build();

      assertThat(builder().limits(limits).build().limits()).isSameAs(limits);
    }

    @Test
    void laterLimitsReplaceEarlier() {
      Limits limits = Limits.builder().pids(3).build();

      assertThat(builder().limits(Limits.builder().pids(2).build()).limits(limits).build().limits()).isEqualTo(limits);
      assertThat(builder().limits(limits).limits(Limits.none()).build()).isEqualTo(builder().build());
    }

    @Test
    void aPidsLimitBelow2LeavesInitNoRoomForTheCommand() {
      assertThatThrownBy(() -> builder().limits(Limits.builder().pids(1).build()).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pids limit 1").hasMessageContaining("at least 2").hasMessageContaining("init(false)");
      assertThat(builder().init(false).limits(Limits.builder().pids(1).build()).build().limits().pids()).hasValue(1);
      assertThat(builder().limits(Limits.builder().pids(2).build()).build().limits().pids()).hasValue(2);
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().limits(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("limits");
    }
  }

  @Nested
  class Command {
    @Test
    void varargsAndListAreTheSame() {
      assertThat(Container.builder().command("ls", "-l").build())
          .isEqualTo(Container.builder().command(List.of("ls", "-l")).build());
    }

    @Test
    void laterCommandReplacesEarlier() {
      assertThat(Container.builder().command("a", "b").command("c").build().command()).containsExactly("c");
    }

    @Test
    void emptyArgumentsAfterTheProgramAreAllowed() {
      assertThat(Container.builder().command("echo", "").build().command()).containsExactly("echo", "");
    }

    @Test
    void missingCommandIsRejected() {
      assertThatThrownBy(() -> Container.builder().build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("command must name a program")
          .hasMessageContaining("it is empty");
    }

    @Test
    void emptyCommandIsRejected() {
      assertThatThrownBy(() -> Container.builder().command().build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("command must name a program")
          .hasMessageContaining("it is empty");
      assertThatThrownBy(() -> Container.builder().command(List.of()).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("command must name a program");
    }

    @Test
    void emptyProgramIsRejectedNamingTheCommand() {
      assertThatThrownBy(() -> Container.builder().command("", "arg1").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("command must name a program")
          .hasMessageContaining("[, arg1]");
    }

    @Test
    void nulIsRejectedShowingTheArgumentEscaped() {
      assertThatThrownBy(() -> Container.builder().command("echo", "a\0b"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("NUL")
          .hasMessageContaining("\"a\\0b\"")
          .hasMessageNotContaining("\0");
      assertThatThrownBy(() -> Container.builder().command(List.of("\0")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("NUL");
    }

    @Test
    void badCommandLeavesThePreviousOne() {
      ContainerSpec.Builder b = Container.builder().command("good");
      assertThatThrownBy(() -> b.command("bad", "x\0")).isInstanceOf(IllegalArgumentException.class);

      assertThat(b.build().command()).containsExactly("good");
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> Container.builder().command((List<String>) null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("command");
      assertThatThrownBy(() -> Container.builder().command("echo", null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("command contains null");
      assertThatThrownBy(() -> Container.builder().command(Arrays.asList("echo", null)))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("command contains null");
    }

    @Test
    void commandListIsCopied() {
      List<String> argv = new ArrayList<>(List.of("echo", "a"));
      ContainerSpec.Builder b = Container.builder().command(argv);
      argv.set(0, "rm");
      ContainerSpec spec = b.build();
      argv.add("b");

      assertThat(spec.command()).containsExactly("echo", "a");
    }

    @Test
    void commandVarargsArrayIsCopied() {
      String[] argv = {"echo", "a"};
      ContainerSpec.Builder b = Container.builder().command(argv);
      argv[0] = "rm";

      assertThat(b.build().command()).containsExactly("echo", "a");
    }
  }

  @Nested
  class Rootfs {
    @Test
    void isNormalized() {
      assertThat(builder().rootfs(Path.of("/srv/./x/../rootfs/")).build().rootfs())
          .contains(Path.of("/srv/rootfs"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rootfs", "./rootfs", "../srv/rootfs", ""})
    void relativeIsRejectedNamingIt(String relative) {
      assertThatThrownBy(() -> builder().rootfs(Path.of(relative)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("rootfs must be an absolute path")
          .hasMessageEndingWith(": " + relative);
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().rootfs(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("rootfs");
    }

    @Test
    void readOnlyCanBeTurnedOffAndOnAgain() {
      assertThat(builder().readOnlyRootfs(false).build().readOnlyRootfs()).isFalse();
      assertThat(builder().readOnlyRootfs(false).readOnlyRootfs(true).build().readOnlyRootfs()).isTrue();
    }
  }

  @Nested
  class Env {
    @Test
    void keepsInsertionOrderAndReplacesValues() {
      ContainerSpec spec = builder().env("B", "1").env("A", "2").env("B", "3").build();

      assertThat(spec.env()).containsExactly(
          Map.entry("PATH", ContainerSpec.DEFAULT_PATH), Map.entry("B", "3"), Map.entry("A", "2"));
    }

    @Test
    void pathCanBeReplaced() {
      assertThat(builder().env("PATH", "/bin").build().env()).containsExactly(Map.entry("PATH", "/bin"));
    }

    @Test
    void pathCanBeRemoved() {
      assertThat(builder().removeEnv("PATH").build().env()).isEmpty();
    }

    @Test
    void theLoginVariablesAreLeftToTheRuntimeUnlessSetOrRemoved() {
      assertThat(builder().build().loginEnv()).containsExactlyInAnyOrder("HOME", "USER", "LOGNAME", "LANG", "TERM");
      ContainerSpec spec = builder().env("HOME", "/data").removeEnv("LANG").build();
      assertThat(spec.loginEnv()).containsExactlyInAnyOrder("USER", "LOGNAME", "TERM");
      assertThat(spec.toBuilder().build().loginEnv()).isEqualTo(spec.loginEnv());
      assertThat(spec.toBuilder().removeEnv("HOME").build().loginEnv()).doesNotContain("HOME");
      assertThat(spec.toBuilder().removeEnv("HOME").build().env()).doesNotContainKey("HOME");
      assertThat(builder().build()).isNotEqualTo(builder().removeEnv("TERM").build());
    }

    @Test
    void clearEnvLeavesNothingForTheRuntimeToAdd() {
      ContainerSpec spec = builder().env("A", "1").clearEnv().env("B", "2").build();
      assertThat(spec.env()).containsExactly(Map.entry("B", "2"));
      assertThat(spec.loginEnv()).isEmpty();
    }

    @Test
    void etcFilesAreOnUnlessTurnedOff() {
      assertThat(builder().build().etcFiles()).isTrue();
      ContainerSpec off = builder().etcFiles(false).build();
      assertThat(off.etcFiles()).isFalse();
      assertThat(off.toBuilder().build().etcFiles()).isFalse();
      assertThat(off).isNotEqualTo(builder().build());
      assertThat(off.toString()).contains("etcFiles=false");
    }

    @Test
    void removingAnAbsentVariableDoesNothing() {
      assertThat(builder().removeEnv("NOPE").build().env()).containsOnlyKeys("PATH");
    }

    @Test
    void emptyValuesAndOddCharactersInValuesAreAllowed() {
      assertThat(builder().env("EMPTY", "").env("EQ", "a=b").envNonPortable("X-Y", "é\n").build().env())
          .containsEntry("EMPTY", "")
          .containsEntry("EQ", "a=b")
          .containsEntry("X-Y", "é\n");
    }

    @Test
    void emptyNameIsRejected() {
      assertThatThrownBy(() -> builder().env("", "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid environment variable name")
          .hasMessageContaining("\"\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"=", "A=B", "A=", "=A"})
    void nameWithEqualsIsRejectedNamingIt(String name) {
      assertThatThrownBy(() -> builder().env(name, "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid environment variable name")
          .hasMessageContaining("\"" + name + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"A B\nC", "1A", "A-B", "a.b", "Ä"})
    void nonPortableNamesNeedTheEscapeHatch(String name) {
      assertThatThrownBy(() -> builder().env(name, "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not portable")
          .hasMessageContaining("envNonPortable");
      if (name.chars().noneMatch(Character::isISOControl)) {
        assertThat(builder().envNonPortable(name, "x").build().env()).containsEntry(name, "x");
      }
    }

    @Test
    void controlCharactersInANameAreEscapedInTheMessageAndRefusedEvenByTheEscapeHatch() {
      assertThatThrownBy(() -> builder().env("A B\nC\u001b[2J", "x"))
          .hasMessageContaining("\"A B\\nC\\x1b[2J\"")
          .hasMessageNotContaining("\n")
          .hasMessageNotContaining("\u001b");
      assertThatThrownBy(() -> builder().envNonPortable("A\nB", "x"))
          .hasMessageContaining("control character")
          .hasMessageContaining("A\\nB");
      assertThatThrownBy(() -> builder().envNonPortable("A=B", "x")).hasMessageContaining("'='");
    }

    @Test
    void nameWithNulIsRejected() {
      assertThatThrownBy(() -> builder().env("A\0B", "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid environment variable name");
    }

    @Test
    void valueWithNulIsRejectedNamingTheVariable() {
      assertThatThrownBy(() -> builder().env("SECRET", "a\0b"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("SECRET")
          .hasMessageContaining("NUL");
    }

    @Test
    void rejectedVariableIsNotAdded() {
      ContainerSpec.Builder b = builder();
      assertThatThrownBy(() -> b.env("V", "\0")).isInstanceOf(IllegalArgumentException.class);

      assertThat(b.build().env()).doesNotContainKey("V");
    }

    @Test
    void nullsAreRejected() {
      assertThatThrownBy(() -> builder().env(null, "x"))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("name");
      assertThatThrownBy(() -> builder().env("X", null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("value");
      assertThatThrownBy(() -> builder().removeEnv(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("name");
    }
  }

  @Nested
  class WorkingDirectory {
    @Test
    void isNormalized() {
      assertThat(builder().workingDirectory("/a/./b//c").build().workingDirectory()).isEqualTo("/a/b/c");
      assertThat(builder().workingDirectory("/home/user/").build().workingDirectory()).isEqualTo("/home/user");
      assertThat(builder().workingDirectory("//").build().workingDirectory()).isEqualTo("/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "work", "./work", "work/dir"})
    void relativeIsRejectedNamingIt(String dir) {
      assertThatThrownBy(() -> builder().workingDirectory(dir))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("working directory")
          .hasMessageContaining("absolute")
          .hasMessageContaining("\"" + dir + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/a/../b", "/a/.."})
    void dotDotIsRejectedNamingIt(String dir) {
      assertThatThrownBy(() -> builder().workingDirectory(dir))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("working directory")
          .hasMessageContaining("\"" + dir + "\"");
    }

    @Test
    void nulIsRejected() {
      assertThatThrownBy(() -> builder().workingDirectory("/a\0"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("working directory")
          .hasMessageContaining("NUL");
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().workingDirectory(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("working directory");
    }
  }

  @Nested
  class Hostname {
    @ParameterizedTest
    @ValueSource(strings = {"a", "A", "0", "box", "my-box", "web01.example.com", "xn--bcher-kva.de", "1-2-3", "a.b.c.d"})
    void validNamesAreKept(String name) {
      assertThat(builder().hostname(name).build().hostname()).contains(name);
    }

    @Test
    void acceptsA63CharacterLabelAnd64Characters() {
      String label63 = "a".repeat(63);
      String name64 = "b".repeat(31) + "." + "c".repeat(32);

      assertThat(builder().hostname(label63).build().hostname()).contains(label63);
      assertThat(name64).hasSize(64);
      assertThat(builder().hostname(name64).build().hostname()).contains(name64);
    }

    @Test
    void emptyIsRejected() {
      assertThatThrownBy(() -> builder().hostname(""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1 to 64 characters")
          .hasMessageContaining("\"\"");
    }

    @Test
    void moreThan64CharactersIsRejectedNamingIt() {
      String name65 = "b".repeat(32) + "." + "c".repeat(32);

      assertThatThrownBy(() -> builder().hostname(name65))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1 to 64 characters")
          .hasMessageContaining("\"" + name65 + "\"");
    }

    @Test
    void labelLongerThan63IsRejected() {
      String label64 = "a".repeat(64);

      assertThatThrownBy(() -> builder().hostname(label64))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid hostname \"" + label64 + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-box", "box-", "a.-b", "a.b-", "my_box", "a..b", ".a", "a.", ".", "my box", "bö", "a/b", "a:b", "a\0b"})
    void badLabelsAreRejectedNamingTheHostname(String name) {
      assertThatThrownBy(() -> builder().hostname(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid hostname \"" + name + "\"")
          .hasMessageContaining("label");
    }

    @Test
    void rejectedHostnameLeavesThePreviousOne() {
      ContainerSpec.Builder b = builder().hostname("good");
      assertThatThrownBy(() -> b.hostname("bad_name")).isInstanceOf(IllegalArgumentException.class);

      assertThat(b.build().hostname()).contains("good");
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().hostname(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("hostname");
    }

    @Test
    void isEmptyWhenUtsIsShared() {
      assertThat(builder().share(Namespace.UTS).build().hostname()).isEmpty();
    }

    @Test
    void setWhileUtsIsSharedIsRejectedNamingIt() {
      assertThatThrownBy(() -> builder().hostname("box").share(Namespace.UTS).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"box\"")
          .hasMessageContaining("UTS");
      assertThatThrownBy(() -> builder().share(Namespace.UTS).hostname("box").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"box\"")
          .hasMessageContaining("UTS is shared");
    }
  }

  @Nested
  class Namespaces {
    @ParameterizedTest
    @EnumSource(value = Namespace.class, names = {"MOUNT", "TIME"}, mode = EnumSource.Mode.EXCLUDE)
    void eachButMountCanBeShared(Namespace ns) {
      ContainerSpec.Builder b = builder().share(ns);
      if (ns == Namespace.USER) {
        b.idMapping(IdMapping.automatic());
      }
      ContainerSpec spec = b.build();

      assertThat(spec.namespaces()).doesNotContain(ns).contains(Namespace.MOUNT).hasSize(Namespace.values().length - 2);
    }

    @Test
    void severalCanBeSharedAtOnceAndTwice() {
      ContainerSpec spec = builder().share(Namespace.NETWORK, Namespace.IPC).share(Namespace.NETWORK).build();

      assertThat(spec.namespaces()).containsExactlyInAnyOrder(
          Namespace.USER, Namespace.MOUNT, Namespace.PID, Namespace.UTS, Namespace.CGROUP);
    }

    @Test
    void everythingButMountCanBeShared() {
      ContainerSpec spec = builder().share(Namespace.USER, Namespace.PID, Namespace.UTS,
          Namespace.IPC, Namespace.NETWORK, Namespace.CGROUP).build();

      assertThat(spec.namespaces()).containsExactly(Namespace.MOUNT);
      assertThat(spec.hostname()).isEmpty();
    }

    @Test
    void sharingNothingChangesNothing() {
      assertThat(builder().share().build()).isEqualTo(builder().build());
    }

    @Test
    void mountCannotBeShared() {
      assertThatThrownBy(() -> builder().share(Namespace.MOUNT))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount namespace cannot be shared");
      assertThatThrownBy(() -> builder().share(Namespace.NETWORK, Namespace.MOUNT))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount namespace");
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().share(Namespace.NETWORK, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("namespace");
    }
  }

  @Nested
  class IdMappings {
    @Test
    void anyMappingWorksWithANewUserNamespace() {
      for (IdMapping m : List.of(IdMapping.automatic(), IdMapping.caller(), IdMapping.subordinate(),
          IdMapping.hostRoot(), IdMapping.of(List.of(IdMapping.Range.of(0, 1000, 1)), List.of(IdMapping.Range.of(0, 1000, 1))))) {
        assertThat(builder().idMapping(m).build().idMapping()).isEqualTo(m);
      }
    }

    @Test
    void automaticWorksWithTheHostUserNamespace() {
      assertThat(builder().share(Namespace.USER).build().idMapping()).isEqualTo(IdMapping.automatic());
    }

    @Test
    void otherMappingsNeedANewUserNamespace() {
      IdMapping explicit = IdMapping.of(
          List.of(IdMapping.Range.of(0, 1000, 1)), List.of(IdMapping.Range.of(0, 1000, 1)));
      for (IdMapping m : List.of(IdMapping.caller(), IdMapping.subordinate(), IdMapping.hostRoot(), explicit)) {
        assertThatThrownBy(() -> builder().idMapping(m).share(Namespace.USER).build())
            .as(m.toString())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(m.toString())
            .hasMessageContaining("USER is shared");
      }
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().idMapping(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("idMapping");
    }
  }

  @Nested
  class Streams {
    @Test
    void stdinAcceptsEverythingButAppend() {
      for (Stdio s : List.of(Stdio.pipe(), Stdio.inherit(), Stdio.discard(), Stdio.file(Path.of("/in")))) {
        assertThat(builder().stdin(s).build().stdin()).isEqualTo(s);
      }
    }

    @Test
    void stdinCannotAppendNamingTheFile() {
      assertThatThrownBy(() -> builder().stdin(Stdio.appendTo(Path.of("/var/in.txt"))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("stdin cannot append")
          .hasMessageContaining("/var/in.txt");
    }

    @Test
    void outputsAcceptEverything() {
      for (Stdio s : List.of(Stdio.pipe(), Stdio.inherit(), Stdio.discard(),
          Stdio.file(Path.of("/out")), Stdio.appendTo(Path.of("/out")))) {
        ContainerSpec spec = builder().stdout(s).stderr(s).build();
        assertThat(spec.stdout()).isEqualTo(s);
        assertThat(spec.stderr()).isEqualTo(s);
      }
    }

    @Test
    void nullsAreRejected() {
      assertThatThrownBy(() -> builder().stdin(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("stdin");
      assertThatThrownBy(() -> builder().stdout(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("stdout");
      assertThatThrownBy(() -> builder().stderr(null))
          .isInstanceOf(NullPointerException.class).hasMessageContaining("stderr");
    }
  }

  @Nested
  class Mounts {
    @Test
    void keepOrder() {
      Mount a = Mount.tmpfs("/b", 1);
      Mount b = Mount.tmpfs("/a", 1);
      Mount c = Mount.bind(Path.of("/x"), "/c");

      assertThat(builder().mount(a).mount(b).mount(c).build().mounts()).containsExactly(a, b, c);
    }

    @Test
    void innerAfterOuterIsAllowed() {
      ContainerSpec spec = builder()
          .mount(Mount.tmpfs("/data", 1))
          .mount(Mount.bind(Path.of("/srv/x"), "/data/x"))
          .mount(Mount.tmpfs("/data/x/y", 1))
          .build();

      assertThat(spec.mounts()).extracting(Mount::target).containsExactly("/data", "/data/x", "/data/x/y");
    }

    @Test
    void siblingsAndPrefixNamesAreNotNested() {
      ContainerSpec spec = builder()
          .mount(Mount.tmpfs("/data/x", 1))
          .mount(Mount.tmpfs("/data/xy", 1))
          .mount(Mount.tmpfs("/dat", 1))
          .mount(Mount.tmpfs("/data2", 1))
          .build();

      assertThat(spec.mounts()).hasSize(4);
    }

    @Test
    void sameTargetTwiceIsRejected() {
      assertThatThrownBy(() -> builder()
              .mount(Mount.tmpfs("/data", 1))
              .mount(Mount.bind(Path.of("/srv"), "/data/./"))
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount on /data would be hidden by the later mount on /data")
          .hasMessageContaining("same target twice");
    }

    @Test
    void innerBeforeOuterIsRejectedNamingBoth() {
      assertThatThrownBy(() -> builder()
              .mount(Mount.tmpfs("/data/x/y", 1))
              .mount(Mount.tmpfs("/other", 1))
              .mount(Mount.tmpfs("/data", 1))
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount on /data/x/y would be hidden by the later mount on /data")
          .hasMessageContaining("add the outer mount first");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/proc", "/proc/", "/proc/sys", "/proc/self/fd", "/dev", "/dev/", "//dev"})
    void reservedTargetsAreRejectedNamingThem(String target) {
      String normalized = ContainerPaths.requireAbsolute("t", target);
      String reserved = normalized.startsWith("/proc") ? "/proc" : "/dev";
      assertThatThrownBy(() -> builder().mount(Mount.tmpfs(target, 1)).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target " + normalized + " is reserved")
          .hasMessageContaining("mounts " + reserved + " itself");
      assertThatThrownBy(() -> builder().mount(Mount.bind(Path.of("/srv"), target)).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mount target " + normalized + " is reserved");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/dev/shm", "/dev/fuse", "/process", "/proc2", "/devices", "/srv/proc", "/srv/dev"})
    void targetsNextToOrBelowDevAreAllowed(String target) {
      assertThat(builder().mount(Mount.tmpfs(target, 1)).build().mounts())
          .extracting(Mount::target).containsExactly(target);
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> builder().mount(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("mount");
    }
  }

  @Nested
  class ValueSemantics {
    @Test
    void equalSpecsAreEqualAndHashAlike() {
      assertThat(full()).isEqualTo(full()).hasSameHashCodeAs(full());
      assertThat(builder().build()).isEqualTo(builder().build()).hasSameHashCodeAs(builder().build());
    }

    @Test
    void specIsEqualToItselfAndNotToOtherTypes() {
      ContainerSpec spec = full();
      assertThat(spec).isEqualTo(spec).isNotEqualTo(null).isNotEqualTo(spec.toString());
    }

    @Test
    void everyFieldTakesPartInEquals() {
      ContainerSpec base = full();
      List<ContainerSpec> variants = List.of(
          base.toBuilder().rootfs(Path.of("/other")).build(),
          base.toBuilder().readOnlyRootfs(true).build(),
          base.toBuilder().command("sh").build(),
          base.toBuilder().env("HOME", "/home").build(),
          base.toBuilder().env("NEW", "1").build(),
          base.toBuilder().removeEnv("PATH").build(),
          base.toBuilder().workingDirectory("/").build(),
          base.toBuilder().hostname("other").build(),
          base.toBuilder().mount(Mount.tmpfs("/more", 1)).build(),
          base.toBuilder().share(Namespace.IPC).build(),
          base.toBuilder().idMapping(IdMapping.automatic()).build(),
          base.toBuilder().stdin(Stdio.pipe()).build(),
          base.toBuilder().stdout(Stdio.pipe()).build(),
          base.toBuilder().stderr(Stdio.pipe()).build(),
          base.toBuilder().init(true).build(),
          base.toBuilder().seccomp(SeccompPolicy.defaultPolicy()).build(),
          base.toBuilder().seccomp(SeccompPolicy.extendDefault().deny(Action.errno(Action.ENOSYS), "ptrace").build()).build(),
          base.toBuilder().capabilities(Capability.NET_BIND_SERVICE).build(),
          base.toBuilder().capabilities().build(),
          base.toBuilder().limits(Limits.none()).build(),
          base.toBuilder().limits(Limits.builder().memory(64 << 20).pids(33).build()).build());

      for (ContainerSpec v : variants) {
        assertThat(v).as(v.toString()).isNotEqualTo(base);
        assertThat(base).isNotEqualTo(v);
      }
      assertThat(builder().rootfs(Path.of("/r")).build()).isNotEqualTo(builder().build());
    }

    @Test
    void envEqualityIgnoresOrder() {
      assertThat(builder().env("A", "1").env("B", "2").build())
          .isEqualTo(builder().env("B", "2").env("A", "1").build())
          .hasSameHashCodeAs(builder().env("B", "2").env("A", "1").build());
    }

    @Test
    void mountOrderMatters() {
      Mount a = Mount.tmpfs("/a", 1);
      Mount b = Mount.tmpfs("/b", 1);

      assertThat(builder().mount(a).mount(b).build()).isNotEqualTo(builder().mount(b).mount(a).build());
    }

    @Test
    void normalizedPathsMakeEqualSpecs() {
      assertThat(builder().rootfs(Path.of("/srv/./r/")).workingDirectory("/a/./b//c")
              .mount(Mount.tmpfs("/t/./u/", 1)).build())
          .isEqualTo(builder().rootfs(Path.of("/srv/r")).workingDirectory("/a/b/c")
              .mount(Mount.tmpfs("/t/u", 1)).build());
    }

    @Test
    void toBuilderRoundTrips() {
      for (ContainerSpec spec : List.of(full(), builder().build(),
          builder().removeEnv("PATH").share(Namespace.UTS, Namespace.USER).build(),
          builder().seccomp(SeccompPolicy.unconfined()).capabilities(Capability.values())
              .limits(Limits.builder().cpuTime(Duration.ofSeconds(1)).cpuTimeGrace(Duration.ofMillis(1)).build())
              .build())) {
        ContainerSpec copy = spec.toBuilder().build();
        assertThat(copy).isEqualTo(spec).hasSameHashCodeAs(spec).hasToString(spec.toString());
        assertThat(copy.env()).containsExactlyEntriesOf(spec.env());
        assertThat(copy.namespaces()).isEqualTo(spec.namespaces());
        assertThat(copy.seccomp()).isEqualTo(spec.seccomp());
        assertThat(copy.capabilities()).isEqualTo(spec.capabilities());
        assertThat(copy.limits()).isEqualTo(spec.limits());
      }
    }

    @Test
    void toBuilderKeepsARemovedPathRemoved() {
      assertThat(builder().removeEnv("PATH").build().toBuilder().build().env()).isEmpty();
    }

    @Test
    void toBuilderKeepsSharedNamespacesShared() {
      ContainerSpec spec = builder().share(Namespace.NETWORK).build();

      assertThat(spec.toBuilder().build().namespaces()).doesNotContain(Namespace.NETWORK);
      assertThatThrownBy(() -> spec.toBuilder().hostname("h").share(Namespace.UTS).build())
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void changingTheToBuilderLeavesTheSpecAlone() {
      ContainerSpec spec = full();
      String before = spec.toString();
      spec.toBuilder().command("other").env("X", "1").removeEnv("PATH").mount(Mount.tmpfs("/z", 1))
          .share(Namespace.PID).hostname("h").workingDirectory("/w").rootfs(Path.of("/r2"))
          .seccomp(SeccompPolicy.unconfined()).capabilities(Capability.SYS_ADMIN).limits(Limits.none()).build();

      assertThat(spec).isEqualTo(full());
      assertThat(spec).hasToString(before);
    }

    @Test
    void changingTheBuilderAfterBuildLeavesTheSpecAlone() {
      ContainerSpec.Builder b = builder()
          .env("A", "1")
          .mount(Mount.tmpfs("/a", 1))
          .hostname("first")
          .capabilities(Capability.CHOWN);
      ContainerSpec spec = b.build();

      b.command("other").env("A", "2").env("B", "3").removeEnv("PATH").mount(Mount.tmpfs("/b", 1))
          .share(Namespace.NETWORK).hostname("second").workingDirectory("/w")
          .rootfs(Path.of("/r")).readOnlyRootfs(false).idMapping(IdMapping.caller())
          .stdin(Stdio.discard()).stdout(Stdio.discard()).stderr(Stdio.discard()).init(false)
          .seccomp(SeccompPolicy.unconfined()).capabilities(Capability.SYS_ADMIN, Capability.KILL)
          .limits(Limits.builder().pids(1).build());

      assertThat(spec.command()).containsExactly("true");
      assertThat(spec.env()).containsExactly(Map.entry("PATH", ContainerSpec.DEFAULT_PATH), Map.entry("A", "1"));
      assertThat(spec.mounts()).containsExactly(Mount.tmpfs("/a", 1));
      assertThat(spec.namespaces()).doesNotContain(Namespace.TIME).hasSize(Namespace.values().length - 1);
      assertThat(spec.hostname()).contains("first");
      assertThat(spec.workingDirectory()).isEqualTo("/");
      assertThat(spec.rootfs()).isEmpty();
      assertThat(spec.readOnlyRootfs()).isTrue();
      assertThat(spec.idMapping()).isEqualTo(IdMapping.automatic());
      assertThat(spec.stdin()).isEqualTo(Stdio.pipe());
      assertThat(spec.init()).isTrue();
      assertThat(spec.seccomp()).isEqualTo(SeccompPolicy.defaultPolicy());
      assertThat(spec.capabilities()).containsExactly(Capability.CHOWN);
      assertThat(spec.limits()).isEqualTo(Limits.none());
      assertThat(b.build()).isNotEqualTo(spec);
    }

    @Test
    void buildTwiceGivesEqualButIndependentSpecs() {
      ContainerSpec.Builder b = builder().mount(Mount.tmpfs("/a", 1));
      ContainerSpec first = b.build();
      ContainerSpec second = b.build();

      assertThat(first).isEqualTo(second).isNotSameAs(second);
    }

    @Test
    void collectionsAreUnmodifiable() {
      ContainerSpec spec = full();

      assertThatThrownBy(() -> spec.command().add("x")).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.command().set(0, "x")).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.env().put("X", "1")).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.env().remove("PATH")).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.env().entrySet().iterator().next().setValue("x"))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.mounts().add(Mount.tmpfs("/x", 1)))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.mounts().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.namespaces().add(Namespace.NETWORK))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.namespaces().remove(Namespace.PID))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> spec.namespaces().retainAll(EnumSet.noneOf(Namespace.class)))
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void toStringNamesTheValues() {
      assertThat(full().toString()).contains(
          "command=[sh, -c, echo hi]",
          "rootfs=/srv/rootfs (writable)",
          "workingDirectory=/work",
          "hostname=box",
          "HOME=/root",
          "bind /srv/data on /data",
          "tmpfs 1048576 bytes on /tmp",
          "IdMapping{caller}",
          "stdin=discard",
          "stdout=file:/tmp/out",
          "stderr=append:/tmp/err",
          "init=false",
          "seccomp=SeccompPolicy{default, ",
          "ptrace -> errno(1)",
          "capabilities=[CHOWN, NET_BIND_SERVICE]",
          "limits=Limits{memory=67108864 bytes, pids=32, ");
      assertThat(full().toString()).doesNotContain("NETWORK");
      assertThat(builder().build().toString()).contains(
          "rootfs=<host view> (read-only)", "hostname=isola", "init=true", "PATH=" + ContainerSpec.DEFAULT_PATH,
          "seccomp=SeccompPolicy{default}", "capabilities=[]", "limits=Limits{rlimits={CORE=0}}");
      assertThat(builder().seccomp(SeccompPolicy.unconfined()).build().toString())
          .contains("seccomp=SeccompPolicy{unconfined}");
      assertThat(builder().share(Namespace.UTS).build().toString()).contains("hostname=<host>");
    }
  }
}
