package dev.isola;

/**
 * Linux capabilities, by name without the {@code CAP_} prefix, in the kernel's order. A
 * container has none unless the caller keeps some with {@link
 * ContainerSpec.Builder#capabilities(Capability...)}; inside a user namespace they act only on
 * what that namespace owns.
 */
public enum Capability {
  CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
  LINUX_IMMUTABLE, NET_BIND_SERVICE, NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK, IPC_OWNER,
  SYS_MODULE, SYS_RAWIO, SYS_CHROOT, SYS_PTRACE, SYS_PACCT, SYS_ADMIN, SYS_BOOT, SYS_NICE,
  SYS_RESOURCE, SYS_TIME, SYS_TTY_CONFIG, MKNOD, LEASE, AUDIT_WRITE, AUDIT_CONTROL, SETFCAP,
  MAC_OVERRIDE, MAC_ADMIN, SYSLOG, WAKE_ALARM, BLOCK_SUSPEND, AUDIT_READ, PERFMON, BPF,
  CHECKPOINT_RESTORE;

  private static final java.util.Set<Capability> DOCKER_DEFAULTS = java.util.Collections.unmodifiableSet(java.util.EnumSet.of(
      CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT,
      KILL, AUDIT_WRITE));

  /**
   * The 14 capabilities Docker and podman leave a container by default, for software that expects
   * root to {@code chown}, change its ids or bind low ports: {@code
   * capabilities(Capability.dockerDefaults())}. Isola keeps none by
   * default; inside the container's user namespace these act only on what it owns (its files, its
   * processes), and {@code MKNOD} makes no usable device there.
   */
  public static java.util.Set<Capability> dockerDefaults() {
    return DOCKER_DEFAULTS;
  }
}
