package dev.isola.linux.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.Limits;
import dev.isola.UnsupportedFeatureException;
import dev.isola.linux.internal.cgroup.CgroupHost.Controller;
import dev.isola.linux.internal.cgroup.CgroupHost.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which limits a host that lacks a controller refuses, and which it leaves out because the
 * caller marked them best-effort: on hosts made of plain directories, as {@link Cgroup#create}
 * sees them (this machine's own cgroups are hybrid, with every controller).
 */
class CgroupTest {
  @Test
  void aBestEffortLimitWhoseControllerIsMissingIsLeftOut(@TempDir Path root) throws IOException {
    CgroupHost pureV2WithoutMemory = new CgroupHost(Mode.V2, Map.of(Controller.UNIFIED, root), List.of("pids"));
    Optional<Cgroup> cgroup = Cgroup.create(pureV2WithoutMemory,
        Limits.builder().memory(64L << 20).bestEffort(Limits.Kind.MEMORY).build(), 1000);
    assertThat(cgroup).isPresent();
    assertThat(cgroup.get().unifiedDir()).isPresent();
    assertThat(filesBelow(root)).noneMatch(f -> f.getFileName().toString().startsWith("memory."));
    assertThat(cgroup.get().peakMemoryBytes()).isEqualTo(-1);
  }

  @Test
  void aLimitIsRefusedThoughAnotherOnTheSameControllerIsBestEffort(@TempDir Path root) {
    CgroupHost withoutCpu = new CgroupHost(Mode.HYBRID, Map.of(Controller.UNIFIED, root), List.of());
    assertThatThrownBy(() -> Cgroup.create(withoutCpu,
        Limits.builder().cpus(0.5).cpuWeight(100).bestEffort(Limits.Kind.CPU_WEIGHT).build(), 1000))
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("cpus limit").hasMessageContaining("no cpu controller");
    assertThatThrownBy(() -> Cgroup.create(withoutCpu,
        Limits.builder().memory(1L << 30).memoryAndSwap(2L << 30).bestEffort(Limits.Kind.MEMORY).build(), 1000))
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("memory and swap limit");
    assertThat(root).as("what the refused ones made").isEmptyDirectory();
    assertThat(Cgroup.create(withoutCpu,
        Limits.builder().cpus(0.5).cpuWeight(100).bestEffort(Limits.Kind.CPUS, Limits.Kind.CPU_WEIGHT).build(), 1000))
        .as("both best-effort").isPresent();
  }

  @Test
  void aControllerThatCannotBeEnabledRefusesOnlyWhatIsNotBestEffort(@TempDir Path root) throws IOException {
    Files.createDirectory(root.resolve("cgroup.subtree_control")); // cannot be written: as when the parent holds processes
    CgroupHost pureV2 = new CgroupHost(Mode.V2, Map.of(Controller.UNIFIED, root, Controller.MEMORY, root), List.of("memory"));
    assertThatThrownBy(() -> Cgroup.create(pureV2, Limits.builder().memory(64L << 20).build(), 1000))
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("cannot enable it below " + root);
    Optional<Cgroup> bestEffort = Cgroup.create(pureV2, Limits.builder().memory(64L << 20).bestEffort(Limits.Kind.MEMORY).build(), 1000);
    assertThat(bestEffort).isPresent();
    assertThat(filesBelow(root)).noneMatch(f -> f.getFileName().toString().startsWith("memory."));
  }

  @Test
  void aControllerOffInTheParentIsTurnedOnAndOneOnIsLeftAlone(@TempDir Path root) throws IOException {
    Path control = Files.writeString(root.resolve("cgroup.subtree_control"), "pids\n");
    CgroupHost pidsOnly = new CgroupHost(Mode.V2, Map.of(Controller.UNIFIED, root, Controller.PIDS, root), List.of("pids"));
    Path pids = Cgroup.create(pidsOnly, Limits.builder().pids(10).build(), 1000).orElseThrow().unifiedDir().orElseThrow();
    assertThat(control).hasContent("pids");
    assertThat(pids.resolve("pids.max")).hasContent("10");
    // memory is turned on even without a memory limit: the verdict's peak memory comes from it
    CgroupHost withMemory = new CgroupHost(Mode.V2, Map.of(Controller.UNIFIED, root, Controller.MEMORY, root), List.of("memory"));
    Path unlimited = Cgroup.create(withMemory, Limits.builder().build(), 1000).orElseThrow().unifiedDir().orElseThrow();
    assertThat(control).hasContent("+memory");
    assertThat(unlimited.resolve("memory.max")).doesNotExist();
    Path memory = Cgroup.create(withMemory, Limits.builder().memory(64L << 20).build(), 1000).orElseThrow().unifiedDir().orElseThrow();
    assertThat(memory.resolve("memory.max")).hasContent(Long.toString(64L << 20));
  }

  @Test
  void aMemoryAndSwapLimitNeedsTheKernelToAccountSwap(@TempDir Path root) throws IOException {
    Path memory = Files.createDirectory(root.resolve("memory"));
    CgroupHost v1 = new CgroupHost(Mode.V1, Map.of(Controller.MEMORY, memory), List.of());
    assertThatThrownBy(() -> Cgroup.create(v1, Limits.builder().memoryAndSwap(1L << 30).build(), 1000))
        .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("swapaccount=1");
    Cgroup bestEffort = Cgroup.create(v1,
        Limits.builder().memoryAndSwap(1L << 30).bestEffort(Limits.Kind.MEMORY_AND_SWAP).build(), 1000).orElseThrow();
    assertThat(bestEffort.procsFiles()).hasSize(1);
    Path dir = bestEffort.procsFiles().get(0).getParent();
    assertThat(dir.resolve("memory.limit_in_bytes")).as("the memory part still holds").hasContent(Long.toString(1L << 30));
    assertThat(dir.resolve("memory.memsw.limit_in_bytes")).doesNotExist();
  }

  private static List<Path> filesBelow(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).collect(java.util.stream.Collectors.toList());
    }
  }
}
