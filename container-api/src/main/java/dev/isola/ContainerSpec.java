package dev.isola;

import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An immutable description of a container: what to run, in which root, with which namespaces,
 * mounts and streams. Build one with {@link Container#builder()}; {@link Builder#build()} checks
 * every value and names the bad one. Host state (does the rootfs exist?) is checked by {@link
 * Container#start(ContainerSpec)}.
 */
public final class ContainerSpec {
  /** The {@code PATH} every container starts with, unless the caller sets another. */
  public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** The hostname of a container with a new UTS namespace, unless the caller sets another. */
  public static final String DEFAULT_HOSTNAME = "isola";
  /**
   * The variables a runtime sets, as a login would, when neither the caller nor the image does:
   * {@code HOME}, {@code USER} and {@code LOGNAME} from the user's entry in the root's {@code
   * /etc/passwd}, {@code LANG=C.UTF-8} where the root has that locale, {@code TERM} when the
   * container has a terminal. {@link Builder#removeEnv} keeps one unset; {@link Builder#clearEnv}
   * all of them.
   */
  public static final Set<String> LOGIN_ENV = Set.of("HOME", "USER", "LOGNAME", "LANG", "TERM");

  private static final Pattern HOSTNAME_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Set<String> RESERVED_TARGETS = Set.of("/proc", "/dev");

  private final @Nullable Path rootfs;
  private final @Nullable Overlay overlay;
  private final @Nullable Image image;
  private final boolean readOnlyRootfs;
  private final List<String> command;
  private final Map<String, String> env;
  private final Set<String> loginEnv;
  private final String workingDirectory;
  private final @Nullable String hostname;
  private final boolean etcFiles;
  private final List<Mount> mounts;
  private final Set<Namespace> namespaces;
  private final IdMapping idMapping;
  private final @Nullable TerminalSize tty;
  private final Network network;
  private final @Nullable String runtime;
  private final @Nullable TimeOffsets timeOffsets;
  private final Stdio stdin;
  private final Stdio stdout;
  private final Stdio stderr;
  private final boolean init;
  private final SeccompPolicy seccomp;
  private final Set<Capability> capabilities;
  private final Limits limits;
  private final long uid;
  private final long gid;
  private final List<FileCopy> files;
  private final @Nullable FilesystemRules filesystemRules;

  private ContainerSpec(Builder b) {
    this.rootfs = b.rootfs;
    this.image = b.image;
    this.overlay = b.image == null ? b.overlay : b.image.layers().isEmpty() ? null // a remote image: its runtime pulls it
        : b.imageUpper == null ? Overlay.ephemeral(b.image.layers()) : Overlay.persistent(b.image.layers(), b.imageUpper);
    this.readOnlyRootfs = b.readOnlyRootfs != null ? b.readOnlyRootfs : overlay == null && b.image == null;
    this.command = List.copyOf(b.command.isEmpty() && b.image != null ? b.image.command() : b.command);
    this.env = Collections.unmodifiableMap(b.mergedEnv());
    Set<String> login = new TreeSet<>(b.loginEnv);
    login.removeAll(env.keySet());
    this.loginEnv = Collections.unmodifiableSet(login);
    this.workingDirectory = b.workingDirectory != null ? b.workingDirectory
        : b.image != null ? b.image.workingDirectory().orElse("/") : "/";
    this.uid = b.uid >= 0 ? b.uid : b.image != null ? b.image.uid() : 0;
    this.gid = b.gid >= 0 ? b.gid : b.image != null ? b.image.gid() : 0;
    this.files = List.copyOf(b.files);
    this.hostname = b.hostname;
    this.etcFiles = b.etcFiles;
    this.mounts = List.copyOf(b.mounts);
    this.namespaces = Collections.unmodifiableSet(EnumSet.copyOf(b.namespaces));
    this.idMapping = b.idMapping;
    this.tty = b.tty;
    this.runtime = b.runtime;
    this.timeOffsets = b.namespaces.contains(Namespace.TIME) ? b.timeOffsets : null;
    this.network = b.namespaces.contains(Namespace.NETWORK) ? b.network : Network.host();
    this.stdin = b.stdin;
    this.stdout = b.stdout;
    this.stderr = b.stderr;
    this.init = b.init;
    this.seccomp = b.seccomp;
    this.capabilities = Collections.unmodifiableSet(b.capabilities.isEmpty()
        ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(b.capabilities));
    this.limits = b.limits;
    this.filesystemRules = b.filesystemRules;
  }

  /**
   * The host directory that becomes the container's root. When neither it nor an {@link
   * #overlay()} is set, the root is a read-only view of the host's {@code /usr}, {@code /bin},
   * {@code /sbin}, {@code /lib*} and a few files of {@code /etc} on a fresh tmpfs.
   */
  public Optional<Path> rootfs() {
    return Optional.ofNullable(rootfs);
  }

  /** The overlay that becomes the container's root, also when it comes from an {@link #image()}. */
  public Optional<Overlay> overlay() {
    return Optional.ofNullable(overlay);
  }

  /** The image the container runs, whose layers make its {@link #overlay()}. */
  public Optional<Image> image() {
    return Optional.ofNullable(image);
  }

  /**
   * Whether the root is mounted read-only: by default a rootfs directory or the host view is, and
   * an overlay is not (its writes go to the upper layer).
   */
  public boolean readOnlyRootfs() {
    return readOnlyRootfs;
  }

  /** The user id the command runs as inside the container; 0 (root) unless set or given by the image. */
  public long uid() {
    return uid;
  }

  /** The group id the command runs as inside the container. */
  public long gid() {
    return gid;
  }

  /** Files and directories copied into the root before the command starts, in this order. */
  public List<FileCopy> files() {
    return files;
  }

  /** The program and its arguments; the program is looked up in the container's {@code PATH}. */
  public List<String> command() {
    return command;
  }

  /**
   * The environment as set here and by the image, in insertion order; the runtime adds those of
   * {@link #loginEnv()} it can give a value.
   */
  public Map<String, String> env() {
    return env;
  }

  /**
   * The variables of {@link #LOGIN_ENV} the runtime fills in: those neither {@link #env()} holds
   * nor {@link Builder#removeEnv} removed.
   */
  public Set<String> loginEnv() {
    return loginEnv;
  }

  public String workingDirectory() {
    return workingDirectory;
  }

  /**
   * Whether the container gets Isola's {@code /etc/hostname}, {@code /etc/hosts} and, with a
   * network, {@code /etc/resolv.conf}, bound read-only over what its root has (true unless {@link
   * Builder#etcFiles(boolean)} said otherwise).
   */
  public boolean etcFiles() {
    return etcFiles;
  }

  /** The hostname; {@value #DEFAULT_HOSTNAME} unless set, empty when the UTS namespace is shared. */
  public Optional<String> hostname() {
    return namespaces.contains(Namespace.UTS)
        ? Optional.of(hostname == null ? DEFAULT_HOSTNAME : hostname) : Optional.empty();
  }

  /** Mounts on top of the root, applied in this order. */
  public List<Mount> mounts() {
    return mounts;
  }

  /** The namespaces the container gets new; the others are the host's. */
  public Set<Namespace> namespaces() {
    return namespaces;
  }

  public IdMapping idMapping() {
    return idMapping;
  }

  /**
   * The pseudo-terminal the command runs on, when set: a new one of the container's own devpts,
   * its controlling terminal, on its descriptors 0, 1 and 2. {@link Container#stdin()} writes to
   * it and {@link Container#stdout()} reads it; {@link Container#stderr()} is empty, since
   * standard error goes to the terminal too.
   */
  public Optional<TerminalSize> tty() {
    return Optional.ofNullable(tty);
  }

  /** The clock offsets of the container's time namespace, when it has one ({@link Namespace#TIME}). */
  public Optional<TimeOffsets> timeOffsets() {
    return Optional.ofNullable(timeOffsets);
  }

  /** The runtime the container runs on, by name ({@link Container#runtimes()}); the first available one when empty. */
  public Optional<String> runtime() {
    return Optional.ofNullable(runtime);
  }

  /** The container's network: {@link Network#none()} unless set, {@link Network#host()} when the network namespace is shared. */
  public Network network() {
    return network;
  }

  public Stdio stdin() {
    return stdin;
  }

  public Stdio stdout() {
    return stdout;
  }

  public Stdio stderr() {
    return stderr;
  }

  /**
   * Whether a minimal init runs as the container's pid 1 (the default): it reaps orphans, passes
   * on every signal sent with {@link Container#kill(Signal)} to the command, and ends the
   * container when the command ends. Without it the command is pid 1 itself, and the kernel
   * drops every signal that it has no handler for except {@code KILL} and {@code STOP}.
   */
  public boolean init() {
    return init;
  }

  /** The system calls the command may make; {@link SeccompPolicy#defaultPolicy()} unless set. */
  public SeccompPolicy seccomp() {
    return seccomp;
  }

  /** The capabilities the command keeps, in all five sets; none unless set. */
  public Set<Capability> capabilities() {
    return capabilities;
  }

  /** What the container may use; {@link Limits#none()} unless set. */
  public Limits limits() {
    return limits;
  }

  /** Which paths the command may read, write and execute; everything else it may not. None unless set. */
  public Optional<FilesystemRules> filesystemRules() {
    return Optional.ofNullable(filesystemRules);
  }

  static void checkId(String what, long id) {
    if (id < 0 || id > 0xFFFF_FFFEL) {
      throw new IllegalArgumentException(what + " must be within 0..4294967294: " + id);
    }
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof ContainerSpec)) {
      return false;
    }
    ContainerSpec s = (ContainerSpec) o;
    return Objects.equals(rootfs, s.rootfs) && Objects.equals(overlay, s.overlay)
        && Objects.equals(image, s.image) && readOnlyRootfs == s.readOnlyRootfs
        && uid == s.uid && gid == s.gid && files.equals(s.files)
        && command.equals(s.command) && env.equals(s.env) && loginEnv.equals(s.loginEnv) && etcFiles == s.etcFiles
        && workingDirectory.equals(s.workingDirectory) && Objects.equals(hostname, s.hostname)
        && mounts.equals(s.mounts) && namespaces.equals(s.namespaces)
        && idMapping.equals(s.idMapping) && Objects.equals(tty, s.tty) && network.equals(s.network) && Objects.equals(runtime, s.runtime) && Objects.equals(timeOffsets, s.timeOffsets) && stdin.equals(s.stdin) && stdout.equals(s.stdout)
        && stderr.equals(s.stderr) && init == s.init && seccomp.equals(s.seccomp)
        && capabilities.equals(s.capabilities) && limits.equals(s.limits)
        && Objects.equals(filesystemRules, s.filesystemRules);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rootfs, overlay, image, uid, gid, files, readOnlyRootfs, command, env, loginEnv, etcFiles, workingDirectory, hostname, mounts,
        namespaces, idMapping, tty, network, runtime, timeOffsets, stdin, stdout, stderr, init, seccomp, capabilities, limits, filesystemRules);
  }

  @Override
  public String toString() {
    return "ContainerSpec{command=" + command
        + ", rootfs=" + (image != null ? image : overlay != null ? overlay : rootfs == null ? "<host view>" : rootfs)
        + (readOnlyRootfs ? " (read-only)" : " (writable)")
        + ", user=" + uid + ":" + gid
        + (files.isEmpty() ? "" : ", files=" + files)
        + ", workingDirectory=" + workingDirectory
        + ", hostname=" + hostname().orElse("<host>")
        + ", env=" + env
        + (loginEnv.isEmpty() ? "" : ", loginEnv=" + loginEnv)
        + (etcFiles ? "" : ", etcFiles=false")
        + ", mounts=" + mounts
        + ", namespaces=" + namespaces
        + (network.mode() == Network.Mode.USER_MODE ? ", network=" + network : "")
        + (runtime == null ? "" : ", runtime=" + runtime)
        + (timeOffsets == null ? "" : ", timeOffsets=" + timeOffsets)
        + ", idMapping=" + idMapping
        + (tty == null ? "" : ", tty=" + tty.columns() + "x" + tty.rows())
        + ", stdin=" + stdin + ", stdout=" + stdout + ", stderr=" + stderr
        + ", init=" + init
        + ", seccomp=" + seccomp
        + ", capabilities=" + capabilities
        + ", limits=" + limits
        + (filesystemRules == null ? "" : ", filesystemRules=" + filesystemRules) + "}";
  }

  /** Builds a {@link ContainerSpec}. Not thread-safe. */
  public static final class Builder {
    private @Nullable Path rootfs;
    private @Nullable Overlay overlay;
    private @Nullable Image image;
    private @Nullable Path imageUpper;
    private @Nullable Boolean readOnlyRootfs;
    private List<String> command = List.of();
    private final Map<String, String> env = new LinkedHashMap<>();
    /** Whether PATH is still the default, which an image's PATH replaces. */
    private boolean defaultPath = true;
    private final Set<String> loginEnv = new HashSet<>(LOGIN_ENV);
    private boolean etcFiles = true;
    private @Nullable String workingDirectory;
    private long uid = -1;
    private long gid = -1;
    private final List<FileCopy> files = new ArrayList<>();
    private @Nullable String hostname;
    private final List<Mount> mounts = new ArrayList<>();
    private final EnumSet<Namespace> namespaces = EnumSet.complementOf(EnumSet.of(Namespace.TIME));
    private IdMapping idMapping = IdMapping.automatic();
    private @Nullable TerminalSize tty;
    private Network network = Network.none();
    private @Nullable String runtime;
    private @Nullable TimeOffsets timeOffsets;
    private Stdio stdin = Stdio.pipe();
    private Stdio stdout = Stdio.pipe();
    private Stdio stderr = Stdio.pipe();
    private boolean init = true;
    private SeccompPolicy seccomp = SeccompPolicy.defaultPolicy();
    private final EnumSet<Capability> capabilities = EnumSet.noneOf(Capability.class);
    private Limits limits = Limits.none();
    private @Nullable FilesystemRules filesystemRules;

    Builder() {
      env.put("PATH", DEFAULT_PATH);
    }

    private Builder(ContainerSpec spec) {
      rootfs = spec.rootfs;
      overlay = spec.image == null ? spec.overlay : null;
      image = spec.image;
      imageUpper = spec.image == null || spec.overlay == null ? null : spec.overlay.upper().orElse(null);
      readOnlyRootfs = spec.readOnlyRootfs;
      command = spec.command;
      env.putAll(spec.env);
      defaultPath = false;
      loginEnv.retainAll(spec.loginEnv);
      etcFiles = spec.etcFiles;
      workingDirectory = spec.workingDirectory;
      uid = spec.uid;
      gid = spec.gid;
      files.addAll(spec.files);
      hostname = spec.hostname;
      mounts.addAll(spec.mounts);
      namespaces.clear();
      namespaces.addAll(spec.namespaces);
      idMapping = spec.idMapping;
      tty = spec.tty;
      runtime = spec.runtime;
      timeOffsets = spec.timeOffsets;
      network = spec.network.mode() == Network.Mode.HOST ? Network.none() : spec.network;
      stdin = spec.stdin;
      stdout = spec.stdout;
      stderr = spec.stderr;
      init = spec.init;
      seccomp = spec.seccomp;
      capabilities.addAll(spec.capabilities);
      limits = spec.limits;
      filesystemRules = spec.filesystemRules;
    }

    /**
     * The host directory that becomes the container's root; must be an absolute path. Replaces an
     * overlay or image set before.
     */
    public Builder rootfs(Path rootfs) {
      Objects.requireNonNull(rootfs, "rootfs");
      if (!rootfs.isAbsolute()) {
        throw new IllegalArgumentException("rootfs must be an absolute path: " + rootfs);
      }
      this.rootfs = rootfs.normalize();
      this.overlay = null;
      this.image = null;
      return this;
    }

    /** An overlay of directories as the container's root; replaces a rootfs or image set before. */
    public Builder overlay(Overlay overlay) {
      this.overlay = Objects.requireNonNull(overlay, "overlay");
      this.rootfs = null;
      this.image = null;
      return this;
    }

    /**
     * Runs {@code image} on an ephemeral overlay of its layers, with its command, environment,
     * working directory and user as defaults: what this builder sets explicitly wins (a {@link
     * #command} replaces the image's entrypoint and cmd alike; {@link #env} entries are added to
     * the image's). Replaces a rootfs or overlay set before.
     */
    public Builder image(Image image) {
      this.image = Objects.requireNonNull(image, "image");
      this.imageUpper = null;
      this.rootfs = null;
      this.overlay = null;
      return this;
    }

    /** Like {@link #image(Image)}, but the container's writes persist in {@code upperDirectory}. */
    public Builder image(Image image, Path upperDirectory) {
      Overlay.persistent(image.layers(), upperDirectory); // checks the directory now
      image(image);
      this.imageUpper = upperDirectory.normalize();
      return this;
    }

    /**
     * The user and group the command runs as inside the container (both must be mapped by the
     * {@link #idMapping}); root (0, 0) unless set or given by the image. The command keeps no
     * supplementary groups.
     */
    public Builder user(long uid, long gid) {
      checkId("uid", uid);
      checkId("gid", gid);
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    /**
     * Copies a file or directory into the root before the command starts. Needs a rootfs, an
     * overlay or an image: the copies form a layer above them, so a rootfs directory is never
     * written.
     */
    public Builder copy(FileCopy copy) {
      files.add(Objects.requireNonNull(copy, "copy"));
      return this;
    }

    /** Whether the root is mounted read-only; see {@link ContainerSpec#readOnlyRootfs()}. */
    public Builder readOnlyRootfs(boolean readOnly) {
      this.readOnlyRootfs = readOnly;
      return this;
    }

    public Builder command(String... argv) {
      return command(Arrays.asList(argv));
    }

    public Builder command(List<String> argv) {
      this.command = Arguments.command(argv);
      return this;
    }

    /**
     * Sets one environment variable; the environment starts with {@code PATH}, and the runtime
     * adds the {@linkplain ContainerSpec#LOGIN_ENV login variables} not set here.
     */
    public Builder env(String name, String value) {
      return putEnv(Arguments.portableEnvName(name), value);
    }

    /**
     * Sets an environment variable whose name is not portable ({@code spring.profiles.active},
     * {@code a-b}): any name without {@code =}, NUL or another control character. Most shells
     * cannot read such a variable; programs that look it up by name can.
     */
    public Builder envNonPortable(String name, String value) {
      Objects.requireNonNull(name, "name");
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("invalid environment variable name \"" + ContainerPaths.printable(name)
            + "\": it must be non-empty and hold no '=' and no control character");
      }
      return putEnv(name, value);
    }

    private Builder putEnv(String name, String value) {
      env.put(name, Arguments.envValue(name, value));
      if (name.equals("PATH")) {
        defaultPath = false;
      }
      return this;
    }

    /**
     * Removes an environment variable, {@code PATH} included; a {@linkplain ContainerSpec#LOGIN_ENV
     * login variable} stays unset (an image's value is kept).
     */
    public Builder removeEnv(String name) {
      env.remove(Objects.requireNonNull(name, "name"));
      loginEnv.remove(name);
      if (name.equals("PATH")) {
        defaultPath = false;
      }
      return this;
    }

    /**
     * Empties the environment: no {@code PATH} and no login variables; the image's environment
     * is kept, under what is set afterwards.
     */
    public Builder clearEnv() {
      env.clear();
      loginEnv.clear();
      defaultPath = false;
      return this;
    }

    /**
     * Whether to bind Isola's {@code /etc/hostname}, {@code /etc/hosts} and, with a network,
     * {@code /etc/resolv.conf} read-only over the root's, as Docker does (default true). A mount
     * of the caller's on one of them, or on {@code /etc}, takes its place either way.
     */
    public Builder etcFiles(boolean generate) {
      this.etcFiles = generate;
      return this;
    }

    /** The image's environment under the one set here; the default PATH yields to the image's. */
    private Map<String, String> mergedEnv() {
      if (image == null) {
        return new LinkedHashMap<>(env);
      }
      Map<String, String> merged = new LinkedHashMap<>(image.env());
      env.forEach((name, value) -> {
        if (!(defaultPath && name.equals("PATH") && merged.containsKey("PATH"))) {
          merged.put(name, value);
        }
      });
      return merged;
    }

    /**
     * The absolute directory inside the container where the command starts; the image's, or
     * {@code /}, by default.
     */
    public Builder workingDirectory(String pathInside) {
      this.workingDirectory = ContainerPaths.requireAbsolute("working directory", pathInside);
      return this;
    }

    /**
     * Runs the command on a new pseudo-terminal of {@code columns} by {@code rows} cells (see
     * {@link ContainerSpec#tty()}), whose size is set before the command starts; {@link
     * Container#resizeTty} changes it. Standard input, output and error must stay pipes.
     */
    public Builder tty(int columns, int rows) {
      this.tty = new TerminalSize(columns, rows);
      return this;
    }

    /**
     * The container's network; see {@link Network}. {@link Network#host()} shares the host's
     * network namespace (as {@code share(Namespace.NETWORK)}); the others give the container one
     * of its own.
     */
    public Builder network(Network network) {
      this.network = Objects.requireNonNull(network, "network");
      if (network.mode() == Network.Mode.HOST) {
        namespaces.remove(Namespace.NETWORK);
      } else {
        namespaces.add(Namespace.NETWORK);
      }
      return this;
    }

    /**
     * The runtime to run on, by its name ({@code linux}: Isola's own engine); {@link
     * Container#runtimes()} lists those found. A runtime that is missing, unavailable, or cannot
     * honour the spec makes {@code start()} throw {@link UnsupportedFeatureException} naming why.
     */
    public Builder runtime(String name) {
      Objects.requireNonNull(name, "runtime");
      if (!name.matches("[a-z][a-z0-9-]*")) {
        throw new IllegalArgumentException("a runtime name is lowercase letters, digits and '-': \"" + ContainerPaths.printable(name) + "\"");
      }
      this.runtime = name;
      return this;
    }

    /**
     * Gives the container a time namespace of its own ({@link Namespace#TIME}) whose monotonic
     * and boot-time clocks are ahead of the host's by these offsets (negative: behind): its
     * {@code /proc/uptime}, {@code CLOCK_MONOTONIC} and {@code CLOCK_BOOTTIME} read so. The
     * wall clock ({@code CLOCK_REALTIME}) is not namespaced by the kernel.
     */
    public Builder timeOffsets(Duration monotonic, Duration boottime) {
      this.timeOffsets = new TimeOffsets(monotonic, boottime);
      namespaces.add(Namespace.TIME);
      return this;
    }

    /** The hostname inside the container's UTS namespace. */
    public Builder hostname(String hostname) {
      Objects.requireNonNull(hostname, "hostname");
      if (hostname.isEmpty() || hostname.length() > 64) {
        throw new IllegalArgumentException("hostname must have 1 to 64 characters: \"" + hostname + "\"");
      }
      for (String label : hostname.split("\\.", -1)) {
        if (!HOSTNAME_LABEL.matcher(label).matches()) {
          throw new IllegalArgumentException("invalid hostname \"" + hostname
              + "\": each dot-separated label must be letters, digits and inner hyphens");
        }
      }
      this.hostname = hostname;
      return this;
    }

    /** Adds a mount; mounts are applied in the order added. */
    public Builder mount(Mount mount) {
      mounts.add(Objects.requireNonNull(mount, "mount"));
      return this;
    }

    /**
     * Keeps the host's namespaces of these kinds instead of new ones, for example {@code
     * share(Namespace.NETWORK)} to use the host's network. {@link Namespace#MOUNT} cannot be
     * shared: the container always pivots into its own root.
     */
    public Builder share(Namespace... kinds) {
      for (Namespace kind : kinds) {
        if (Objects.requireNonNull(kind, "namespace") == Namespace.MOUNT) {
          throw new IllegalArgumentException("the mount namespace cannot be shared: a container always has its own root");
        }
      }
      namespaces.removeAll(Arrays.asList(kinds));
      return this;
    }

    /** How ids map between the container and the host; {@link IdMapping#automatic()} by default. */
    public Builder idMapping(IdMapping mapping) {
      this.idMapping = Objects.requireNonNull(mapping, "idMapping");
      return this;
    }

    public Builder stdin(Stdio stdin) {
      Objects.requireNonNull(stdin, "stdin");
      if (stdin.kind() == Stdio.Kind.APPEND) {
        throw new IllegalArgumentException("stdin cannot append to a file: " + stdin);
      }
      this.stdin = stdin;
      return this;
    }

    public Builder stdout(Stdio stdout) {
      this.stdout = Objects.requireNonNull(stdout, "stdout");
      return this;
    }

    public Builder stderr(Stdio stderr) {
      this.stderr = Objects.requireNonNull(stderr, "stderr");
      return this;
    }

    /** Whether a minimal init is pid 1; see {@link ContainerSpec#init()}. */
    public Builder init(boolean init) {
      this.init = init;
      return this;
    }

    /**
     * The system calls the command may make; {@link SeccompPolicy#defaultPolicy()} by default.
     * {@link SeccompPolicy#unconfined()} turns the filter off.
     */
    public Builder seccomp(SeccompPolicy policy) {
      this.seccomp = Objects.requireNonNull(policy, "seccomp");
      return this;
    }

    /**
     * The capabilities the command keeps (bounding, permitted, effective, inheritable and ambient
     * sets alike); replaces any set before. None by default.
     */
    public Builder capabilities(Capability... keep) {
      return capabilities(java.util.Arrays.asList(Objects.requireNonNull(keep, "capabilities")));
    }

    /** Like {@link #capabilities(Capability...)}: {@code capabilities(Capability.dockerDefaults())}. */
    public Builder capabilities(java.util.Collection<Capability> keep) {
      Objects.requireNonNull(keep, "capabilities");
      capabilities.clear();
      for (Capability c : keep) {
        capabilities.add(Objects.requireNonNull(c, "capability"));
      }
      return this;
    }

    /** What the container may use: memory, processes, CPU, time, output; none by default. */
    public Builder limits(Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Which paths the command may read, write and execute; everything else it may not. Enforced
     * with Landlock on Linux; see {@link FilesystemRules}.
     */
    public Builder filesystemRules(FilesystemRules rules) {
      this.filesystemRules = Objects.requireNonNull(rules, "filesystemRules");
      return this;
    }

    /** Checks the whole spec and returns it. */
    public ContainerSpec build() {
      // a remote image's own command is known where it runs: an empty command means that one
      if (command.isEmpty() && image != null && image.command().isEmpty() && !image.layers().isEmpty()) {
        throw new IllegalArgumentException("image " + image.id() + " has no entrypoint or cmd; set a command");
      }
      if (command.isEmpty() && image == null) {
        throw new IllegalArgumentException("command must name a program; it is empty");
      }
      if (!command.isEmpty() && command.get(0).isEmpty()) {
        throw new IllegalArgumentException("command must name a program; its first argument is \"\": " + command);
      }
      if (!files.isEmpty() && rootfs == null && overlay == null && image == null) {
        throw new IllegalArgumentException("copying files in needs a rootfs, an overlay or an image: the host view's root has nowhere to put " + files.get(0).target());
      }
      if (hostname != null && !namespaces.contains(Namespace.UTS)) {
        throw new IllegalArgumentException("hostname \"" + hostname + "\" needs a new UTS namespace, but UTS is shared with the host");
      }
      if (!namespaces.contains(Namespace.USER) && idMapping.kind() != IdMapping.Kind.AUTOMATIC) {
        throw new IllegalArgumentException(idMapping + " needs a new user namespace, but USER is shared with the host");
      }
      if (init && limits.pids().isPresent() && limits.pids().getAsLong() < 2) {
        throw new IllegalArgumentException("pids limit " + limits.pids().getAsLong() + " leaves no room for the command:"
            + " the container's init is a process too, so it needs at least 2 (or init(false) for 1)");
      }
      if (network.mode() == Network.Mode.USER_MODE && !namespaces.contains(Namespace.NETWORK)) {
        throw new IllegalArgumentException(network + " needs a network namespace of its own, but NETWORK is shared with the host");
      }
      if (tty != null) {
        for (Map.Entry<String, Stdio> s : List.of(Map.entry("stdin", stdin), Map.entry("stdout", stdout), Map.entry("stderr", stderr))) {
          if (s.getValue().kind() != Stdio.Kind.PIPE) {
            throw new IllegalArgumentException("tty(" + tty.columns() + ", " + tty.rows() + ") puts " + s.getKey()
                + " on the terminal, but " + s.getKey() + " is set to " + s.getValue() + "; leave it a pipe");
          }
        }
      }
      checkMounts();
      return new ContainerSpec(this);
    }

    private void checkMounts() {
      for (int i = 0; i < mounts.size(); i++) {
        String target = mounts.get(i).target();
        for (String reserved : RESERVED_TARGETS) {
          if (target.equals(reserved) || (reserved.equals("/proc") && ContainerPaths.isWithin(target, reserved))) {
            throw new IllegalArgumentException("mount target " + target + " is reserved: Isola mounts " + reserved + " itself");
          }
        }
        for (int j = i + 1; j < mounts.size(); j++) {
          String later = mounts.get(j).target();
          if (ContainerPaths.isWithin(target, later)) {
            throw new IllegalArgumentException("mount on " + target + " would be hidden by the later mount on " + later
                + (target.equals(later) ? " (same target twice)" : "; add the outer mount first"));
          }
        }
      }
    }

    /** Builds the spec and starts it: shorthand for {@code Container.start(build())}. */
    public Container start() {
      return Container.start(build());
    }
  }
}
