package dev.isola.linux.internal.seccomp;

import dev.isola.Capability;
import dev.isola.SeccompPolicy.Action;
import dev.isola.SeccompPolicy.Condition;
import dev.isola.SeccompPolicy.Rule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Docker's default seccomp profile (moby/profiles seccomp v0.2.3), as rules, plus Isola's
 * additions: {@code ioctl(TIOCSTI)} and {@code ioctl(TIOCLINUX)} denied, with the request
 * compared on its low 32 bits only (CVE-2019-10063). Names that the host's architecture lacks are
 * skipped when the filter is compiled.
 */
public final class DockerProfile {
  /** Allowed unconditionally, on every architecture. */
  static final List<String> ALLOWED = List.of("""
      accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
      clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
      clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
      dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
      epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
      fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
      fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
      fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
      futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
      geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
      getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
      get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
      getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
      inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
      ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
      landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount listxattr
      listxattrat llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
      map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock
      mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
      mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget
      msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect
      open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free
      pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease
      pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
      recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
      renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending
      rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
      rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
      sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64
      sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select
      semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg
      sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer
      setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
      setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid
      setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4
      sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statmount statx
      symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete
      timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
      timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
      truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64
      utimes vfork vmsplice wait4 waitid waitpid write writev
      """.trim().split("\\s+"));

  /** Allowed only on these architectures (libseccomp's names). */
  static final Map<String, List<String>> ARCH_ALLOWED = Map.of(
      "x86_64", List.of("arch_prctl", "modify_ldt"),
      "aarch64", List.of("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"));

  /** Allowed when the container keeps the capability. */
  static final Map<Capability, List<String>> BY_CAPABILITY = Map.ofEntries(
      Map.entry(Capability.DAC_READ_SEARCH, List.of("open_by_handle_at")),
      Map.entry(Capability.SYS_ADMIN, List.of("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
          "fspick", "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
          "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
          "sethostname", "setns", "syslog", "umount", "umount2", "unshare")),
      Map.entry(Capability.SYS_BOOT, List.of("reboot")),
      Map.entry(Capability.SYS_CHROOT, List.of("chroot")),
      Map.entry(Capability.SYS_MODULE, List.of("delete_module", "init_module", "finit_module")),
      Map.entry(Capability.SYS_PACCT, List.of("acct")),
      Map.entry(Capability.SYS_PTRACE, List.of("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
          "process_vm_writev", "ptrace")),
      Map.entry(Capability.SYS_RAWIO, List.of("iopl", "ioperm")),
      Map.entry(Capability.SYS_TIME, List.of("settimeofday", "stime", "clock_settime", "clock_settime64")),
      Map.entry(Capability.SYS_TTY_CONFIG, List.of("vhangup")),
      Map.entry(Capability.SYS_NICE, List.of("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node")),
      Map.entry(Capability.SYSLOG, List.of("syslog")),
      Map.entry(Capability.BPF, List.of("bpf")),
      Map.entry(Capability.PERFMON, List.of("perf_event_open")));

  /** clone flags that create namespaces: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
  static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
  static final long AF_ALG = 38;
  static final long AF_VSOCK = 40;
  static final long TIOCSTI = 0x5412;
  static final long TIOCLINUX = 0x541C;
  static final long LOW_32_BITS = 0xffffffffL;
  static final List<Long> PERSONALITIES = List.of(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL);

  private DockerProfile() {}

  /**
   * Every rule of the profile for a container that keeps {@code capabilities}, for {@code arch}
   * in libseccomp's name ({@code x86_64}, {@code aarch64}). Public for container-oci, which writes
   * the same profile into OCI bundles.
   */
  public static List<Rule> rules(String arch, Set<Capability> capabilities) {
    List<Rule> rules = new ArrayList<>();
    List<String> allowed = new ArrayList<>(ALLOWED);
    allowed.addAll(ARCH_ALLOWED.getOrDefault(arch, List.of()));
    // ptrace cannot bypass seccomp since Linux 4.8, so Docker allows it, and the cross-memory calls
    allowed.addAll(Arrays.asList("ptrace", "process_vm_readv", "process_vm_writev"));
    for (Capability c : capabilities) {
      allowed.addAll(BY_CAPABILITY.getOrDefault(c, List.of()));
    }
    allowed.stream().distinct().forEach(name -> rules.add(Rule.of(name, Action.allow())));
    if (!capabilities.contains(Capability.SYS_ADMIN)) {
      rules.add(Rule.of("clone", Action.allow(), Condition.maskedEquals(0, CLONE_NAMESPACE_FLAGS, 0)));
      rules.add(Rule.of("clone3", Action.errno(Action.ENOSYS)));
    }
    rules.add(Rule.of("socket", Action.allow()));
    rules.add(Rule.of("socket", Action.errno(Action.EPERM), Condition.maskedEquals(0, LOW_32_BITS, AF_ALG)));
    rules.add(Rule.of("socket", Action.errno(Action.EPERM), Condition.maskedEquals(0, LOW_32_BITS, AF_VSOCK)));
    for (long persona : PERSONALITIES) {
      rules.add(Rule.of("personality", Action.allow(), Condition.equal(0, persona)));
    }
    rules.add(Rule.of("ioctl", Action.errno(Action.EPERM), Condition.maskedEquals(1, LOW_32_BITS, TIOCSTI)));
    rules.add(Rule.of("ioctl", Action.errno(Action.EPERM), Condition.maskedEquals(1, LOW_32_BITS, TIOCLINUX)));
    return rules;
  }
}
