package dev.isola.linux.internal.sys;

import dev.isola.Signal;
import java.util.EnumMap;
import java.util.Map;

/** Linux signal numbers (x86, arm and most other architectures; not alpha, mips or sparc). */
public final class Signals {
  /** What the runtime itself kills with. */
  public static final int SIGKILL = 9;

  private static final Map<Signal, Integer> NUMBERS = new EnumMap<>(Signal.class);
  private static final Signal[] BY_NUMBER = new Signal[32];

  static {
    Signal[] inLinuxOrder = {
      Signal.HUP, Signal.INT, Signal.QUIT, Signal.ILL, Signal.TRAP, Signal.ABRT, Signal.BUS,
      Signal.FPE, Signal.KILL, Signal.USR1, Signal.SEGV, Signal.USR2, Signal.PIPE, Signal.ALRM,
      Signal.TERM, Signal.STKFLT, Signal.CHLD, Signal.CONT, Signal.STOP, Signal.TSTP, Signal.TTIN,
      Signal.TTOU, Signal.URG, Signal.XCPU, Signal.XFSZ, Signal.VTALRM, Signal.PROF, Signal.WINCH,
      Signal.IO, Signal.PWR, Signal.SYS
    };
    for (int i = 0; i < inLinuxOrder.length; i++) {
      NUMBERS.put(inLinuxOrder[i], i + 1);
      BY_NUMBER[i + 1] = inLinuxOrder[i];
    }
  }

  private Signals() {}

  public static int number(Signal signal) {
    return NUMBERS.get(signal);
  }

  /** The named signal of this number, or null for a real-time signal. */
  public static Signal byNumber(int number) {
    return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
  }
}
