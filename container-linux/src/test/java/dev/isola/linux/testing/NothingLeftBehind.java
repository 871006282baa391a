package dev.isola.linux.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.linux.internal.cgroup.CgroupHost;
import dev.isola.linux.internal.sys.ProcessStart;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(NothingLeftBehind.class)}: after each test, no process, descriptor, mount or
 * temp dir more than before it ({@link Leftovers}), and none of this JVM's cgroups.
 */
public final class NothingLeftBehind implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NothingLeftBehind.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    TestRootfs.busybox(); // made before the snapshot: it is not a leftover
    context.getStore(NS).put("before", Leftovers.snapshot());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    context.getStore(NS).get("before", Leftovers.class).assertNoneSince();
    assertThat(isolaCgroups()).as("Isola's cgroups after the test").isEmpty();
  }

  /** This JVM's cgroups. */
  public static List<Path> isolaCgroups() {
    List<Path> found = new ArrayList<>(CgroupHost.detect().isolaCgroups());
    String mine = "isola-" + ProcessHandle.current().pid() + "-" + ProcessStart.of(ProcessHandle.current().pid()) + "-";
    found.removeIf(p -> !p.getFileName().toString().startsWith(mine));
    return found;
  }
}
