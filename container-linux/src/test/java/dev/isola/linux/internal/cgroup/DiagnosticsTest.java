package dev.isola.linux.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.Limits;
import dev.isola.linux.testing.Run;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the engine says through System.Logger (here the JDK's logging): each start's phases at DEBUG, what is degraded at WARNING. */
class DiagnosticsTest {
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Logger logger = Logger.getLogger("dev.isola.linux");
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Level level;

  @BeforeEach
  void listen() {
    level = logger.getLevel();
    logger.setLevel(Level.FINE);
    logger.addHandler(handler);
  }

  @AfterEach
  void stop() {
    logger.removeHandler(handler);
    logger.setLevel(level);
  }

  @Test
  void eachStartSaysWhereItsTimeWentAtDebug() {
    Run.of("true");
    assertThat(records).anySatisfy(r -> {
      assertThat(r.getLevel()).isEqualTo(Level.FINE); // System.Logger's DEBUG
      assertThat(r.getMessage()).containsPattern("started container pid \\d+ on linux in [0-9.]+ ms: check [0-9.]+, cgroup [0-9.]+,"
          + " root layers [0-9.]+, plan [0-9.]+, launch server [0-9.]+, launch until running [0-9.]+");
    });
  }

  @Test
  void aBestEffortLimitLeftOutIsAWarning(@TempDir Path root) {
    CgroupHost noPids = new CgroupHost(CgroupHost.Mode.V2, Map.of(CgroupHost.Controller.UNIFIED, root), List.of());
    Cgroup.create(noPids, Limits.builder().pids(16).bestEffort(Limits.Kind.PIDS).build(), 1000);
    assertThat(records).anySatisfy(r -> {
      assertThat(r.getLevel()).isEqualTo(Level.WARNING);
      assertThat(r.getMessage()).contains("best-effort limit [PIDS] not enforced").contains("pids controller");
    });
  }
}
