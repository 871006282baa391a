package dev.isola.linux;

import dev.isola.linux.internal.net.UserModeHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every test of {@link NetworkTest} again through slirp4netns, the helper a user-mode network
 * falls back on where pasta is missing: here both are installed, so the property picks it.
 */
class Slirp4netnsNetworkTest extends NetworkTest {
  @BeforeAll
  static void throughSlirp4netns() {
    System.setProperty(UserModeHelper.PROPERTY, "slirp4netns");
  }

  @AfterAll
  static void backToTheDefault() {
    System.clearProperty(UserModeHelper.PROPERTY);
  }
}
