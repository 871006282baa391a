package dev.isola;

/**
 * The kinds of namespace a container can get. By default a container gets a new namespace of
 * every kind; {@link ContainerSpec.Builder#share(Namespace...)} keeps the host's instead.
 */
public enum Namespace {
  /** User and group ids; sharing it needs a runtime running as root. */
  USER,
  /** Mount table; always new, because the container pivots into its own root. */
  MOUNT,
  /** Process ids; the container's first process is pid 1 in a new one. */
  PID,
  /** Hostname and domain name. */
  UTS,
  /** System V IPC and POSIX message queues. */
  IPC,
  /** Network devices, addresses, ports and abstract unix sockets; a new one has only loopback. */
  NETWORK,
  /** The view of the cgroup hierarchy. */
  CGROUP,
  /**
   * The monotonic and boot-time clocks' offsets (Linux 5.6). Not in the default set: a container
   * gets one with {@link ContainerSpec.Builder#timeOffsets}.
   */
  TIME
}
