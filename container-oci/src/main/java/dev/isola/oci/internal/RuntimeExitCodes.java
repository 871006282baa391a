package dev.isola.oci.internal;

import dev.isola.ExitStatus;
import dev.isola.Signal;

/**
 * A runtime's exit code as a verdict: runc and runsc report death by signal n as 128+n, as a shell
 * does, so a code above 128 is read as a signal (a command that exits with such a code itself is
 * read so too; see docs/engines.md).
 */
final class RuntimeExitCodes {
  private RuntimeExitCodes() {}

  static ExitStatus.Builder of(int code) {
    ExitStatus.Builder b = ExitStatus.builder();
    if (code > 128 && code < 128 + Signal.values().length + 1) {
      return b.signaled(code - 128, Signal.values()[code - 129]); // Signal lists the Linux numbers in order
    }
    return b.exited(code & 0xff);
  }
}
