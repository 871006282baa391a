package dev.isola.oci.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.isola.Capability;
import dev.isola.SeccompPolicy;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
import dev.isola.linux.internal.seccomp.DockerProfile;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link SeccompPolicy} in the runtime-spec's form ({@code linux.seccomp}): the same rules as
 * the linux engine compiles, Docker's profile included, for the native architecture only (a call
 * of another ABI fails the architecture check, which kills the process).
 */
final class OciSeccomp {
  private OciSeccomp() {}

  /** The {@code linux.seccomp} object, or empty for an unconfined policy. */
  static Optional<JsonObject> of(SeccompPolicy policy, Set<Capability> capabilities) {
    if (policy.base() == SeccompPolicy.Base.UNCONFINED) {
      return Optional.empty();
    }
    List<Rule> rules = new ArrayList<>();
    if (policy.base() == SeccompPolicy.Base.DEFAULT) {
      // as the linux engine does: an unconditional rule of the caller replaces the profile's for its call
      Set<String> replaced = new HashSet<>();
      policy.rules().stream().filter(r -> r.conditions().isEmpty()).forEach(r -> replaced.add(r.syscall()));
      DockerProfile.rules(arch(), capabilities).stream().filter(r -> !replaced.contains(r.syscall())).forEach(rules::add);
    }
    rules.addAll(policy.rules());
    rules = exclusive(rules);
    JsonObject seccomp = new JsonObject();
    putAction(seccomp, "defaultAction", "defaultErrnoRet", policy.defaultAction());
    JsonArray architectures = new JsonArray();
    architectures.add(arch().equals("x86_64") ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64");
    seccomp.add("architectures", architectures);
    // rules of one action and the same conditions share an entry, as Docker's profile is written
    Map<String, JsonObject> entries = new LinkedHashMap<>();
    for (Rule r : rules) {
      if (r.action().equals(policy.defaultAction()) && r.conditions().isEmpty()) {
        continue; // the default already says it; runc refuses a rule that repeats it
      }
      JsonArray args = new JsonArray();
      for (Condition c : r.conditions()) {
        args.add(condition(c));
      }
      String key = r.action() + "|" + args;
      JsonObject entry = entries.computeIfAbsent(key, k -> {
        JsonObject e = new JsonObject();
        e.add("names", new JsonArray());
        putAction(e, "action", "errnoRet", r.action());
        if (!args.isEmpty()) {
          e.add("args", args);
        }
        return e;
      });
      entry.getAsJsonArray("names").add(r.syscall());
    }
    JsonArray syscalls = new JsonArray();
    entries.values().forEach(syscalls::add);
    seccomp.add("syscalls", syscalls);
    return Optional.of(seccomp);
  }

  /** What of {@code policy} one OCI filter cannot say, or empty. */
  static Optional<String> unsupported(SeccompPolicy policy, Set<Capability> capabilities) {
    try {
      of(policy, capabilities);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * The rules with no call that has both an unconditional rule and conditional ones of another
   * action. In the linux engine the conditional ones refine (a second filter); in the single
   * filter libseccomp builds for a runtime, an unconditional rule wins over them. So the
   * unconditional one becomes conditional: it covers every value of the argument but those the
   * others name, as a set of masked comparisons (one per bit prefix), which is exact for the
   * profile's form — one {@code MASKED_EQ} on the low 32 bits of one argument.
   */
  private static List<Rule> exclusive(List<Rule> rules) {
    Map<String, List<Rule>> bySyscall = new LinkedHashMap<>();
    rules.forEach(r -> bySyscall.computeIfAbsent(r.syscall(), n -> new ArrayList<>()).add(r));
    List<Rule> out = new ArrayList<>();
    for (Map.Entry<String, List<Rule>> e : bySyscall.entrySet()) {
      List<Rule> all = e.getValue();
      Rule unconditional = null;
      for (Rule r : all) {
        if (r.conditions().isEmpty()) {
          unconditional = r; // the last one counts, as in the linux engine
        }
      }
      if (unconditional == null) {
        out.addAll(all);
        continue;
      }
      Action wide = unconditional.action();
      List<Rule> others = all.stream().filter(r -> !r.conditions().isEmpty() && !r.action().equals(wide)).toList();
      if (others.isEmpty()) {
        out.add(unconditional);
        continue;
      }
      int argument = -1;
      Set<Long> excepted = new java.util.TreeSet<>();
      for (Rule r : others) {
        Condition c = r.conditions().get(0);
        if (r.conditions().size() != 1 || c.operator() != Condition.Operator.MASKED_EQUAL || c.mask() != LOW_32
            || (argument >= 0 && c.argument() != argument)) {
          throw new IllegalArgumentException("a seccomp policy whose rules for " + e.getKey() + " pair an unconditional rule"
              + " with conditional ones other than one masked comparison of the low 32 bits of one argument (one OCI"
              + " filter cannot say it)");
        }
        argument = c.argument();
        excepted.add(c.value() & LOW_32);
      }
      out.addAll(others);
      cover(e.getKey(), wide, argument, excepted, 0, 0, out);
    }
    return out;
  }

  private static final long LOW_32 = 0xffffffffL;

  /** Rules of {@code action} for every low-32-bit value with this prefix but those {@code excepted}. */
  private static void cover(String syscall, Action action, int argument, Set<Long> excepted, long prefix, int depth, List<Rule> out) {
    int shift = 32 - depth;
    boolean holdsExcepted = excepted.stream().anyMatch(v -> (v >>> shift) == prefix);
    if (!holdsExcepted) {
      long mask = (LOW_32 >>> shift) << shift;
      out.add(Rule.of(syscall, action, Condition.maskedEquals(argument, mask, prefix << shift)));
      return;
    }
    if (depth == 32) {
      return; // the excepted value itself
    }
    cover(syscall, action, argument, excepted, prefix << 1, depth + 1, out);
    cover(syscall, action, argument, excepted, (prefix << 1) | 1, depth + 1, out);
  }

  private static void putAction(JsonObject o, String actionKey, String errnoKey, Action a) {
    switch (a.kind()) {
      case ALLOW:
        o.addProperty(actionKey, "SCMP_ACT_ALLOW");
        break;
      case ERRNO:
        o.addProperty(actionKey, "SCMP_ACT_ERRNO");
        o.addProperty(errnoKey, a.errno());
        break;
      case KILL_PROCESS:
        o.addProperty(actionKey, "SCMP_ACT_KILL_PROCESS");
        break;
      case KILL_THREAD:
        o.addProperty(actionKey, "SCMP_ACT_KILL_THREAD");
        break;
      case TRAP:
        o.addProperty(actionKey, "SCMP_ACT_TRAP");
        break;
      case LOG:
        o.addProperty(actionKey, "SCMP_ACT_LOG");
        break;
      default:
        throw new IllegalStateException("unknown seccomp action " + a);
    }
  }

  private static JsonObject condition(Condition c) {
    JsonObject o = new JsonObject();
    o.addProperty("index", c.argument());
    switch (c.operator()) {
      case MASKED_EQUAL:
        o.addProperty("value", c.mask());
        o.addProperty("valueTwo", c.value());
        o.addProperty("op", "SCMP_CMP_MASKED_EQ");
        return o;
      case EQUAL:
        o.addProperty("op", "SCMP_CMP_EQ");
        break;
      case NOT_EQUAL:
        o.addProperty("op", "SCMP_CMP_NE");
        break;
      case LESS:
        o.addProperty("op", "SCMP_CMP_LT");
        break;
      case LESS_OR_EQUAL:
        o.addProperty("op", "SCMP_CMP_LE");
        break;
      case GREATER:
        o.addProperty("op", "SCMP_CMP_GT");
        break;
      case GREATER_OR_EQUAL:
        o.addProperty("op", "SCMP_CMP_GE");
        break;
      default:
        throw new IllegalStateException("unknown comparison " + c.operator());
    }
    o.addProperty("value", c.value());
    return o;
  }

  static String arch() {
    String arch = System.getProperty("os.arch");
    return arch.equals("amd64") ? "x86_64" : arch;
  }
}
