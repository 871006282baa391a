package dev.isola.linux;

import dev.isola.Container;
import dev.isola.HostReport;

/** DoctorTest's second JVM: prints {@code name: STATUS detail} per check of {@code Container.doctor()}. */
public final class DoctorMain {
  private DoctorMain() {}

  public static void main(String[] args) {
    for (HostReport.Check c : Container.doctor().checks()) {
      System.out.println(c.name() + ": " + c.status() + " " + c.detail());
    }
  }
}
