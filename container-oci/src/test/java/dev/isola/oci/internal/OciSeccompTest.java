package dev.isola.oci.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.isola.SeccompPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The default profile's {@code socket} rules as one OCI filter: every family but AF_ALG (38) and
 * AF_VSOCK (40) is allowed by exactly one masked rule, those two by none, whatever the high bits.
 */
class OciSeccompTest {
  @Test
  void theCoverAllowsEveryOtherValueExactlyOnce() {
    JsonObject seccomp = OciSeccomp.of(SeccompPolicy.defaultPolicy(), Set.of()).orElseThrow();
    List<long[]> allow = new ArrayList<>(); // mask, value
    boolean unconditional = false;
    for (JsonElement e : seccomp.getAsJsonArray("syscalls")) {
      JsonObject rule = e.getAsJsonObject();
      boolean socket = rule.getAsJsonArray("names").toString().contains("\"socket\"");
      if (!socket || !rule.get("action").getAsString().equals("SCMP_ACT_ALLOW")) {
        continue;
      }
      if (!rule.has("args")) {
        unconditional = true;
        continue;
      }
      JsonObject arg = rule.getAsJsonArray("args").get(0).getAsJsonObject();
      assertThat(arg.get("op").getAsString()).isEqualTo("SCMP_CMP_MASKED_EQ");
      allow.add(new long[] {arg.get("value").getAsLong(), arg.get("valueTwo").getAsLong()});
    }
    assertThat(unconditional).as("an unconditional allow would win over the denials").isFalse();
    Random random = new Random(7);
    List<Long> probes = new ArrayList<>(List.of(0L, 1L, 2L, 10L, 37L, 38L, 39L, 40L, 41L, 0xffffffffL, 38L | (1L << 32)));
    for (int i = 0; i < 10_000; i++) {
      probes.add(random.nextLong());
    }
    for (long family : probes) {
      long matches = allow.stream().filter(r -> (family & r[0]) == r[1]).count();
      long low = family & 0xffffffffL;
      assertThat(matches).as("family %x", family).isEqualTo(low == 38 || low == 40 ? 0 : 1);
    }
  }
}
