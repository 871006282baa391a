package dev.isola.cli;

import dev.isola.Container;
import dev.isola.HostReport;
import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code isola doctor}: what this host will enforce, and why not, one line per check; exits 0
 * when a container of the default spec runs here, 1 when not. {@code --json} for machines.
 */
final class DoctorCommand {
  static final String USAGE = String.join("\n",
      "usage: isola doctor [--json]",
      "",
      "Checks what this host gives containers (namespaces, cgroup controllers, seccomp, Landlock,",
      "id mapping, the user-mode network, the runtimes) and runs one default container; exits 0 when",
      "it ran, 1 when not.",
      "",
      "flags:",
      "  --json      the report as JSON",
      "  -h, --help  this text",
      "");

  private DoctorCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    boolean json = false;
    for (String arg : args) {
      switch (arg) {
        case "-h":
        case "--help":
          out.print(USAGE);
          return 0;
        case "--json":
          json = true;
          break;
        default:
          throw new UsageException("unknown flag " + arg);
      }
    }
    HostReport report = Container.doctor();
    if (json) {
      out.println(json(report));
    } else {
      int width = report.checks().stream().mapToInt(c -> c.name().length()).max().orElse(10);
      for (HostReport.Check c : report.checks()) {
        out.println(String.format(Locale.ROOT, "%-11s %-" + width + "s  %s", c.status().name().toLowerCase(Locale.ROOT), c.name(),
            c.detail()));
      }
      out.println(report.defaultSpecRuns() ? "a default container runs here" : "a default container does not run here");
    }
    return report.defaultSpecRuns() ? 0 : 1;
  }

  static String json(HostReport report) {
    StringBuilder b = new StringBuilder("{\"defaultSpecRuns\":").append(report.defaultSpecRuns()).append(",\"checks\":[");
    for (int i = 0; i < report.checks().size(); i++) {
      HostReport.Check c = report.checks().get(i);
      b.append(i == 0 ? "" : ",").append("{\"name\":").append(quote(c.name())).append(",\"status\":")
          .append(quote(c.status().name().toLowerCase(Locale.ROOT))).append(",\"detail\":").append(quote(c.detail())).append('}');
    }
    return b.append("]}").toString();
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') {
        b.append('\\').append(ch);
      } else if (ch < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.append('"').toString();
  }
}
