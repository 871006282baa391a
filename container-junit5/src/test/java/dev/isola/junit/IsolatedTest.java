package dev.isola.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.isola.Container;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** The extension, run through the JUnit platform as a build tool runs it: fixtures up for their tests, down after. */
class IsolatedTest {
  /** Pids seen by the example classes' tests, by test. */
  static final Map<String, Long> SEEN = new ConcurrentHashMap<>();
  static final List<ContainerFixture> STOPPED_AFTER = Collections.synchronizedList(new ArrayList<>());

  @Isolated
  static class Example {
    @Fixture
    static ContainerFixture shared = ContainerFixture.of(Web.server("shared")).waitingFor(Wait.forHttp("/", 8080));
    @Fixture
    ContainerFixture own = ContainerFixture.of(Web.server("own")).waitingFor(Wait.forListeningPort(8080));

    @Test
    void first(@Fixture("shared") Container container) throws Exception {
      assertThat(ContainerFixtureTest.get(shared, "/")).isEqualTo("200 shared\n");
      assertThat(ContainerFixtureTest.get(own, "/")).isEqualTo("200 own\n");
      assertThat(container).isSameAs(shared.container());
      SEEN.put("first shared", shared.container().pid());
      SEEN.put("first own", own.container().pid());
      STOPPED_AFTER.add(own);
    }

    @Test
    void second(@Fixture("own") ContainerFixture injected) {
      assertThat(injected).isSameAs(own);
      SEEN.put("second shared", shared.container().pid());
      SEEN.put("second own", own.container().pid());
      STOPPED_AFTER.add(own);
    }
  }

  @Test
  void aStaticFixtureServesTheClassAndAnInstanceFixtureEachTest() {
    SEEN.clear();
    STOPPED_AFTER.clear();
    EngineTestKit.engine("junit-jupiter").selectors(selectClass(Example.class)).execute()
        .testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
    assertThat(SEEN.get("first shared")).isEqualTo(SEEN.get("second shared"));
    assertThat(SEEN.get("first own")).isNotEqualTo(SEEN.get("second own"));
    assertThat(STOPPED_AFTER).hasSize(2).allSatisfy(f -> assertThat(f.toString()).contains("not running"));
    assertThat(Example.shared.toString()).contains("not running");
  }

  @Isolated
  static class Failing {
    @Fixture
    static ContainerFixture talker = ContainerFixture.of(dev.isola.Container.builder()
        .command("sh", "-c", "echo the fixture says hello; exec sleep 60").build()).waitingFor(Wait.forLogMessage("hello"));

    @Test
    void fails() {
      throw new AssertionError("the test's own failure");
    }
  }

  @Test
  void aFailedTestCarriesTheFixturesOutput() {
    Events failed = EngineTestKit.engine("junit-jupiter").selectors(selectClass(Failing.class)).execute().testEvents().failed();
    assertThat(failed.count()).isEqualTo(1);
    Throwable t = failed.list().get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
        .getThrowable().orElseThrow();
    assertThat(t).hasMessage("the test's own failure");
    assertThat(t.getSuppressed()).hasSize(1);
    assertThat(t.getSuppressed()[0].getMessage()).contains("the fixture says hello");
  }

  @Isolated
  static class NeverReady {
    @Fixture
    static ContainerFixture broken = ContainerFixture.of(dev.isola.Container.builder().command("sh", "-c", "echo bad config; exit 1").build())
        .waitingFor(Wait.forListeningPort(5432));

    @Test
    void neverRuns() {}
  }

  @Test
  void aFixtureThatIsNeverReadyFailsTheClassSayingWhy() {
    Events classes = EngineTestKit.engine("junit-jupiter").selectors(selectClass(NeverReady.class)).execute().containerEvents().failed();
    assertThat(classes.count()).isEqualTo(1);
    Throwable t = classes.list().get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
        .getThrowable().orElseThrow();
    assertThat(t).isInstanceOf(FixtureException.class).hasMessageContaining("ended before it was ready").hasMessageContaining("bad config");
  }

  @Isolated
  static class ParallelA {
    @Fixture
    static ContainerFixture web = ContainerFixture.of(Web.server("a")).waitingFor(Wait.forHttp("/", 8080));

    @Test
    void serves() throws Exception {
      assertThat(ContainerFixtureTest.get(web, "/")).isEqualTo("200 a\n");
    }
  }

  @Isolated
  static class ParallelB {
    @Fixture
    static ContainerFixture web = ContainerFixture.of(Web.server("b")).waitingFor(Wait.forHttp("/", 8080));

    @Test
    void serves() throws Exception {
      assertThat(ContainerFixtureTest.get(web, "/")).isEqualTo("200 b\n");
    }
  }

  @Test
  void classesWithFixturesRunInParallel() {
    EngineTestKit.engine("junit-jupiter").selectors(selectClass(ParallelA.class), selectClass(ParallelB.class))
        .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
        .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", "concurrent")
        .execute().testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
  }
}
