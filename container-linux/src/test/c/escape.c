/*
 * Escape probe for the catalog's groups D, E, F and G, run inside containers (x86_64).
 *   escape CASE[=ARG]...
 * runs each case in order and prints a line "CASE[=ARG] RESULT", where RESULT is "ok N" (the
 * call returned N), "errno N" (it failed with N), or the case's own text; cases that make several
 * calls print a line for each, named after the case (or ARG) and the call. Every system
 * call under test is made raw, with arguments the kernel would accept, so that a denial by the
 * seccomp filter (EPERM, or ENOSYS for calls it does not know) differs from the kernel's own
 * answer (EFAULT, EBADF, EINVAL or success).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/tiocl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443
#endif
#define SYS_open_tree_attr_ 467
#define X32_BIT 0x40000000L
#define CLONE_NEWTIME_ 0x00000080
#define OPEN_TREE_CLONE_ 1
#define MOUNT_ATTR_RDONLY_ 0x00000001
#define AT_RECURSIVE_ 0x8000
#define FSOPEN_CLOEXEC_ 1
#define FSPICK_CLOEXEC_ 1
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x00000004
#define UFFD_USER_MODE_ONLY_ 1
#define MADV_COLD_ 20

struct mount_attr_ {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* prints the result of a call made by the case */
static void result(const char *name, long r, int err) {
  if (r == -1) {
    printf("%s errno %d\n", name, err);
  } else {
    printf("%s ok %ld\n", name, r);
  }
  fflush(stdout);
}

#define CALL(name, expr)       \
  do {                         \
    errno = 0;                 \
    long r_ = (long)(expr);    \
    result(name, r_, errno);   \
  } while (0)

/* ---- SYS-01: namespaces ---- */

static void unshare_flag(const char *name, unsigned long flags) { CALL(name, syscall(SYS_unshare, flags)); }

/* a raw clone, like fork; a child that comes to life leaves at once */
static void clone_flag(const char *name, unsigned long flags) {
  errno = 0;
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  int err = errno;
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  result(name, pid, err);
}

static void clone3_flag(const char *name, uint64_t flags) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  errno = 0;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  int err = errno;
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  result(name, pid, err);
}

static void setns_own(const char *name, const char *ns, int type) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("%s cannot-open %d\n", name, errno);
    return;
  }
  CALL(name, syscall(SYS_setns, fd, type));
  close(fd);
}

static void *thread_main(void *arg) {
  (void)arg;
  return (void *)42;
}

static void do_fork(const char *name) {
  pid_t pid = fork();
  if (pid == 0) _exit(7);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  printf("%s %s\n", name, pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? "works" : "fails");
}

static void do_thread(const char *name) {
  pthread_t t;
  void *ret = NULL;
  int e = pthread_create(&t, NULL, thread_main, NULL);
  if (e == 0) pthread_join(t, &ret);
  printf("%s %s\n", name, e == 0 && ret == (void *)42 ? "works" : "fails");
}

/* ---- SYS-05 ---- */

static void perf(const char *name, int exclude_kernel) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = exclude_kernel ? 1 : 0;
  attr.exclude_hv = 1;
  CALL(name, syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

static void bpf_prog(const char *name) {
  struct bpf_insn insns[2];
  memset(insns, 0, sizeof insns);
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
  insns[1].code = BPF_JMP | BPF_EXIT;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = 2;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  CALL(name, syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
}

static void bpf_map(const char *name) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  CALL(name, syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
}

/* ---- SYS-08: time ---- */

static void set_time(const char *name, int how) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  tv.tv_sec += 3600; /* an hour ahead: visible on the host if it ever went through */
  struct timespec ts = {tv.tv_sec, 0};
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  tx.modes = ADJ_SETOFFSET;
  tx.time.tv_sec = 3600;
  switch (how) {
    case 0: CALL(name, syscall(SYS_settimeofday, &tv, NULL)); break;
    case 1: CALL(name, syscall(SYS_clock_settime, CLOCK_REALTIME, &ts)); break;
    case 2: CALL(name, syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx)); break;
    case 3: CALL(name, syscall(SYS_adjtimex, &tx)); break;
    default: {
      memset(&tx, 0, sizeof tx); /* modes 0: read only */
      errno = 0;
      long r = syscall(SYS_adjtimex, &tx);
      printf("%s %s\n", name, r >= 0 ? "reads" : "fails");
    }
  }
}

/* ---- SYS-09 ---- */

static void by_handle(const char *name, const char *dir) {
  char buf[sizeof(struct file_handle) + 128];
  struct file_handle *h = (struct file_handle *)buf;
  int mount_id;
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    printf("%s cannot-open %d\n", name, errno);
    return;
  }
  char n[128];
  /* a handle the kernel itself made, for a file under the mount */
  h->handle_bytes = 128;
  errno = 0;
  long r = syscall(SYS_name_to_handle_at, dirfd, ".", h, &mount_id, 0);
  snprintf(n, sizeof n, "%s-name-to-handle", name);
  result(n, r, errno);
  snprintf(n, sizeof n, "%s-own-handle", name);
  if (r == 0) {
    CALL(n, syscall(SYS_open_by_handle_at, dirfd, h, O_RDONLY));
  }
  /* "shocker": the root directory of an ext4 file system is inode 2, generation 0 */
  h->handle_bytes = 8;
  h->handle_type = 1; /* FILEID_INO32_GEN */
  uint32_t ino_gen[2] = {2, 0};
  memcpy(h->f_handle, ino_gen, sizeof ino_gen);
  snprintf(n, sizeof n, "%s-shocker", name);
  CALL(n, syscall(SYS_open_by_handle_at, dirfd, h, O_RDONLY | O_DIRECTORY));
  close(dirfd);
}

/* ---- SYS-10 ---- */

/* PTRACE_TRACEME, then exec of PATH: the traced program (this probe) prints its ids */
static void traceme_exec(const char *name, const char *path) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) {
      printf("%s traceme-errno %d\n", name, errno);
      _exit(1);
    }
    char what[128];
    snprintf(what, sizeof what, "ids=%s", name);
    execl(path, path, what, (char *)NULL);
    printf("%s exec-errno %d\n", name, errno);
    _exit(1);
  }
  int status;
  while (waitpid(pid, &status, 0) == pid && WIFSTOPPED(status)) {
    ptrace(PTRACE_CONT, pid, 0, 0);
  }
}

static void vm_read(const char *name, pid_t pid, int write) {
  char local[16] = {0};
  struct iovec l = {local, sizeof local};
  struct iovec r = {(void *)0x400000, sizeof local}; /* where a static program's text starts */
  CALL(name, syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, &l, 1, &r, 1, 0));
}

static void ptrace_pid(const char *name, pid_t pid, int request) {
  errno = 0;
  long r = ptrace(request, pid, 0, 0);
  int err = errno;
  if (r == 0) {
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, 0, 0);
  }
  result(name, r, err);
}

/* ---- SYS-11 ---- */

static void persona(const char *name, unsigned long value) {
  errno = 0;
  long r = syscall(SYS_personality, value);
  int err = errno;
  if (r != -1) syscall(SYS_personality, 0UL); /* back to PER_LINUX */
  result(name, r == -1 ? -1 : 0, err);
}

/* ---- SYS-13, TTY ---- */

/* a pty of the container's own devpts, made this process's controlling terminal */
static int own_tty(int *master) {
  *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0) return -1;
  if (setsid() < 0 && getsid(0) != getpid()) return -1;
  int slave = open(ptsname(*master), O_RDWR | O_CLOEXEC);
  if (slave < 0) return -1;
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return -1;
  struct termios t;
  tcgetattr(slave, &t);
  cfmakeraw(&t);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  tcsetattr(slave, TCSANOW, &t);
  return slave;
}

static void tty_ioctls(const char *prefix, int fd) {
  char n[96];
  char c = 'X';
  char sel[1 + 5 * sizeof(short)];
  memset(sel, 0, sizeof sel);
  const unsigned long high[] = {0, 0x100000000UL, 0xffffffff00000000UL};
  for (int i = 0; i < 3; i++) {
    snprintf(n, sizeof n, "%s-tiocsti-%lx", prefix, high[i] >> 32);
    CALL(n, syscall(SYS_ioctl, fd, high[i] | TIOCSTI, &c));
    sel[0] = TIOCL_SETSEL;
    snprintf(n, sizeof n, "%s-tioclinux-setsel-%lx", prefix, high[i] >> 32);
    CALL(n, syscall(SYS_ioctl, fd, high[i] | TIOCLINUX, sel));
    sel[0] = TIOCL_PASTESEL;
    snprintf(n, sizeof n, "%s-tioclinux-pastesel-%lx", prefix, high[i] >> 32);
    CALL(n, syscall(SYS_ioctl, fd, high[i] | TIOCLINUX, sel));
  }
}

/* what reached the input queue of a terminal in raw mode */
static void queued(const char *name, int fd) {
  char buf[64];
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ssize_t n = read(fd, buf, sizeof buf);
  fcntl(fd, F_SETFL, flags);
  printf("%s %zd\n", name, n < 0 ? 0 : n);
}

static void own_pty(const char *name) {
  fflush(stdout);
  pid_t pid = fork(); /* setsid needs a process that leads no group */
  if (pid == 0) {
    int master;
    int slave = own_tty(&master);
    if (slave < 0) {
      printf("%s setup-errno %d\n", name, errno);
      _exit(1);
    }
    char n[64];
    /* the kernel ignores the upper half of the request: a 64-bit compare would let it through */
    struct winsize ws;
    snprintf(n, sizeof n, "%s-tiocgwinsz-1", name);
    CALL(n, syscall(SYS_ioctl, slave, 0x100000000UL | TIOCGWINSZ, &ws));
    tty_ioctls(name, slave);
    snprintf(n, sizeof n, "%s-queued", name);
    queued(n, slave);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

/* a new pty of the container's devpts: its name, mode and owner */
static void new_pty(const char *name) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
    printf("%s errno %d\n", name, errno);
    return;
  }
  struct stat st;
  const char *slave = ptsname(master);
  if (stat(slave, &st) < 0) {
    printf("%s stat-errno %d\n", name, errno);
    return;
  }
  printf("%s %s %o %u:%u %u:%u\n", name, slave, st.st_mode & 07777, st.st_uid, st.st_gid, major(st.st_rdev),
         minor(st.st_rdev));
  close(master);
}

/* stdin is a terminal of the host: inject into it, also after trying to make it ours */
static void stdin_tty(const char *name) {
  char n[96];
  char c = 'X';
  snprintf(n, sizeof n, "%s-isatty", name);
  printf("%s %d\n", n, isatty(0));
  tty_ioctls(name, 0);
  snprintf(n, sizeof n, "%s-dev-tty", name);
  CALL(n, open("/dev/tty", O_RDWR | O_CLOEXEC));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    snprintf(n, sizeof n, "%s-setsid", name);
    CALL(n, setsid());
    snprintf(n, sizeof n, "%s-tiocsctty", name);
    CALL(n, ioctl(0, TIOCSCTTY, 0));
    snprintf(n, sizeof n, "%s-tiocsctty-steal", name);
    CALL(n, ioctl(0, TIOCSCTTY, 1));
    snprintf(n, sizeof n, "%s-after-tiocsti", name);
    CALL(n, syscall(SYS_ioctl, 0, TIOCSTI, &c));
    snprintf(n, sizeof n, "%s-after-tiocsti-high", name);
    CALL(n, syscall(SYS_ioctl, 0, 0xffffffff00000000UL | TIOCSTI, &c));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

/* ---- SYS-14, SYS-15 ---- */

static void spawn(const char *name) {
  pid_t pid;
  char *argv[] = {"true", NULL};
  int e = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
  int status = -1;
  if (e == 0) waitpid(pid, &status, 0);
  printf("%s %s\n", name, e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "works" : "fails");
}

static void status_line(const char *who) {
  char path[64];
  snprintf(path, sizeof path, "/proc/thread-self/status");
  FILE *f = fopen(path, "r");
  char line[256], out[256] = "";
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Seccomp:", 8) == 0 || strncmp(line, "Seccomp_filters:", 16) == 0 ||
        strncmp(line, "NoNewPrivs:", 11) == 0) {
      line[strcspn(line, "\n")] = '\0';
      char *v = line + strcspn(line, ":") + 1;
      v += strspn(v, " \t");
      size_t len = strlen(out);
      snprintf(out + len, sizeof out - len, "%s%.*s=%s", len ? " " : "", (int)strcspn(line, ":"), line, v);
    }
  }
  if (f != NULL) fclose(f);
  errno = 0;
  long r = syscall(SYS_mount, "none", "/tmp", "tmpfs", 0UL, NULL);
  printf("%s %s mount=%s\n", who, out, r == 0 ? "ok" : errno == EPERM ? "EPERM" : strerror(errno));
  fflush(stdout);
}

static void *status_thread(void *arg) {
  status_line((const char *)arg);
  return NULL;
}

static void filter_status(const char *name) {
  char n[64];
  snprintf(n, sizeof n, "%s-self", name);
  status_line(n);
  snprintf(n, sizeof n, "%s-thread", name);
  pthread_t t;
  if (pthread_create(&t, NULL, status_thread, n) == 0) pthread_join(t, NULL);
  snprintf(n, sizeof n, "%s-child", name);
  pid_t pid = fork();
  if (pid == 0) {
    status_line(n);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

/* ---- F: ids and capabilities of this process ---- */

static void ids(const char *name) {
  char line[256], caps[256] = "";
  FILE *f = fopen("/proc/self/status", "r");
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0) {
      line[strcspn(line, "\n")] = '\0';
      char *v = line + strcspn(line, ":") + 1;
      v += strspn(v, " \t");
      size_t len = strlen(caps);
      snprintf(caps + len, sizeof caps - len, " %.*s=%s", (int)strcspn(line, ":"), line, v);
    }
  }
  if (f != NULL) fclose(f);
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("%s ruid=%u euid=%u suid=%u%s\n", name, r, e, s, caps);
  fflush(stdout);
}

static void do_mknod(const char *name, const char *path, mode_t mode, unsigned major_, unsigned minor_) {
  CALL(name, syscall(SYS_mknodat, AT_FDCWD, path, mode | 0666, makedev(major_, minor_)));
  unlink(path);
}

/* ---- the cases ---- */

/* c: the case; arg: what follows "=", if anything; t: the whole argument, which names the result */
static int run(const char *c, const char *arg, const char *t) {
#define IS(x) (strcmp(c, x) == 0)
  /* SYS-01 */
  if (IS("unshare-user")) unshare_flag(t, CLONE_NEWUSER);
  else if (IS("unshare-mnt")) unshare_flag(t, CLONE_NEWNS);
  else if (IS("unshare-uts")) unshare_flag(t, CLONE_NEWUTS);
  else if (IS("unshare-ipc")) unshare_flag(t, CLONE_NEWIPC);
  else if (IS("unshare-pid")) unshare_flag(t, CLONE_NEWPID);
  else if (IS("unshare-net")) unshare_flag(t, CLONE_NEWNET);
  else if (IS("unshare-cgroup")) unshare_flag(t, CLONE_NEWCGROUP);
  else if (IS("unshare-time")) unshare_flag(t, CLONE_NEWTIME_);
  else if (IS("unshare-files")) unshare_flag(t, CLONE_FILES);
  else if (IS("clone-user")) clone_flag(t, CLONE_NEWUSER);
  else if (IS("clone-mnt")) clone_flag(t, CLONE_NEWNS);
  else if (IS("clone-uts")) clone_flag(t, CLONE_NEWUTS);
  else if (IS("clone-ipc")) clone_flag(t, CLONE_NEWIPC);
  else if (IS("clone-pid")) clone_flag(t, CLONE_NEWPID);
  else if (IS("clone-net")) clone_flag(t, CLONE_NEWNET);
  else if (IS("clone-cgroup")) clone_flag(t, CLONE_NEWCGROUP);
  else if (IS("clone-user-high")) clone_flag(t, 0x100000000UL | CLONE_NEWUSER);
  else if (IS("clone-plain")) clone_flag(t, 0);
  else if (IS("clone3-user")) clone3_flag(t, CLONE_NEWUSER);
  else if (IS("clone3-plain")) clone3_flag(t, 0);
  else if (IS("setns-user")) setns_own(t, "user", CLONE_NEWUSER);
  else if (IS("setns-mnt")) setns_own(t, "mnt", 0);
  else if (IS("setns-net")) setns_own(t, "net", CLONE_NEWNET);
  else if (IS("fork")) do_fork(t);
  else if (IS("thread")) do_thread(t);
  /* SYS-02 */
  else if (IS("mount-tmpfs")) CALL(t, syscall(SYS_mount, "none", "/tmp", "tmpfs", 0UL, NULL));
  else if (IS("mount-bind")) CALL(t, syscall(SYS_mount, "/", "/tmp", NULL, (unsigned long)MS_BIND, NULL));
  else if (IS("mount-remount-rw")) CALL(t, syscall(SYS_mount, NULL, "/", NULL, (unsigned long)(MS_REMOUNT | MS_BIND), NULL));
  else if (IS("umount-proc")) CALL(t, syscall(SYS_umount2, "/proc", MNT_DETACH));
  else if (IS("pivot-root")) CALL(t, syscall(SYS_pivot_root, "/tmp", "/tmp"));
  else if (IS("chroot")) CALL(t, syscall(SYS_chroot, "/tmp"));
  else if (IS("fsopen-tmpfs")) CALL(t, syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC_));
  else if (IS("fsopen-ext4")) CALL(t, syscall(SYS_fsopen, "ext4", FSOPEN_CLOEXEC_));
  else if (IS("fspick")) CALL(t, syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC_));
  else if (IS("fsconfig")) CALL(t, syscall(SYS_fsconfig, -1, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0));
  else if (IS("fsmount")) CALL(t, syscall(SYS_fsmount, -1, 0, 0));
  else if (IS("open-tree")) CALL(t, syscall(SYS_open_tree, AT_FDCWD, "/tmp", O_CLOEXEC));
  else if (IS("open-tree-clone")) CALL(t, syscall(SYS_open_tree, AT_FDCWD, "/tmp", OPEN_TREE_CLONE_ | O_CLOEXEC));
  else if (IS("open-tree-attr")) CALL(t, syscall(SYS_open_tree_attr_, AT_FDCWD, "/tmp", OPEN_TREE_CLONE_ | O_CLOEXEC, NULL, 0));
  else if (IS("move-mount")) CALL(t, syscall(SYS_move_mount, -1, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH_));
  else if (IS("mount-setattr")) {
    struct mount_attr_ a = {0, MOUNT_ATTR_RDONLY_, 0, 0};
    CALL(t, syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE_, &a, sizeof a));
  } else if (IS("quotactl")) {
    char buf[64];
    CALL(t, syscall(SYS_quotactl, QCMD(Q_GETFMT, USRQUOTA), "/", 0, buf));
  } else if (IS("quotactl-fd")) {
    char buf[64];
    int fd = open("/", O_RDONLY | O_CLOEXEC);
    CALL(t, syscall(SYS_quotactl_fd, fd, QCMD(Q_GETFMT, USRQUOTA), 0, buf));
    close(fd);
  }
  /* SYS-03 */
  else if (IS("add-key")) CALL(t, syscall(SYS_add_key, "user", "isola-escape", "secret", 6, KEY_SPEC_USER_KEYRING));
  else if (IS("add-key-session")) CALL(t, syscall(SYS_add_key, "user", "isola-escape", "secret", 6, KEY_SPEC_SESSION_KEYRING));
  else if (IS("request-key")) CALL(t, syscall(SYS_request_key, "user", "isola-escape", NULL, 0));
  else if (IS("keyctl-user-keyring")) CALL(t, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 1));
  else if (IS("keyctl-join-session")) CALL(t, syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "isola-escape"));
  /* SYS-04 */
  else if (IS("userfaultfd")) CALL(t, syscall(SYS_userfaultfd, O_CLOEXEC));
  else if (IS("userfaultfd-user-mode-only")) CALL(t, syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY_));
  /* SYS-05 */
  else if (IS("perf-user-only")) perf(t, 1);
  else if (IS("perf-with-kernel")) perf(t, 0);
  else if (IS("bpf-prog-load")) bpf_prog(t);
  else if (IS("bpf-map-create")) bpf_map(t);
  else if (IS("syslog-read-all")) {
    char buf[4096];
    CALL(t, syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof buf));
  } else if (IS("syslog-size")) CALL(t, syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0));
  else if (IS("lookup-dcookie")) {
    char buf[64];
    CALL(t, syscall(SYS_lookup_dcookie, 0UL, buf, sizeof buf));
  }
  /* SYS-06 */
  else if (IS("io-uring-setup")) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    CALL(t, syscall(SYS_io_uring_setup, 4, &p));
  } else if (IS("io-uring-enter")) CALL(t, syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
  else if (IS("io-uring-register")) CALL(t, syscall(SYS_io_uring_register, -1, IORING_REGISTER_PROBE, NULL, 0));
  /* SYS-07 */
  else if (IS("socket-alg")) CALL(t, syscall(SYS_socket, 38L, (long)SOCK_SEQPACKET, 0L));
  else if (IS("socket-alg-cloexec")) CALL(t, syscall(SYS_socket, 38L, (long)(SOCK_SEQPACKET | SOCK_CLOEXEC), 0L));
  else if (IS("socket-alg-high")) CALL(t, syscall(SYS_socket, 0x100000026L, (long)SOCK_SEQPACKET, 0L));
  else if (IS("socket-alg-high-all")) CALL(t, syscall(SYS_socket, (long)0xffffffff00000026UL, (long)SOCK_SEQPACKET, 0L));
  else if (IS("socket-vsock")) CALL(t, syscall(SYS_socket, 40L, (long)SOCK_STREAM, 0L));
  else if (IS("socket-vsock-dgram")) CALL(t, syscall(SYS_socket, 40L, (long)SOCK_DGRAM, 0L));
  else if (IS("socket-vsock-high")) CALL(t, syscall(SYS_socket, 0x7fffffff00000028L, (long)SOCK_STREAM, 0L));
  else if (IS("socketpair-alg") || IS("socketpair-vsock")) {
    int sv[2] = {-1, -1};
    CALL(t, syscall(SYS_socketpair, IS("socketpair-alg") ? 38L : 40L, (long)SOCK_SEQPACKET, 0L, sv));
  } else if (IS("socket-unix")) CALL(t, syscall(SYS_socket, (long)AF_UNIX, (long)SOCK_STREAM, 0L));
  else if (IS("socket-inet")) CALL(t, syscall(SYS_socket, (long)AF_INET, (long)SOCK_STREAM, 0L));
  else if (IS("socket-inet6")) CALL(t, syscall(SYS_socket, (long)AF_INET6, (long)SOCK_DGRAM, 0L));
  else if (IS("socket-netlink")) CALL(t, syscall(SYS_socket, (long)AF_NETLINK, (long)SOCK_RAW, 0L));
  /* SYS-08 */
  else if (IS("init-module")) {
    static char image[64];
    CALL(t, syscall(SYS_init_module, image, sizeof image, ""));
  } else if (IS("finit-module")) {
    int fd = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
    CALL(t, syscall(SYS_finit_module, fd, "", 0));
    close(fd);
  } else if (IS("delete-module")) CALL(t, syscall(SYS_delete_module, "isola_escape_none", O_NONBLOCK));
  else if (IS("create-module")) CALL(t, syscall(SYS_create_module, "isola_escape_none", 4096UL));
  else if (IS("query-module")) CALL(t, syscall(SYS_query_module, NULL, 0, NULL, 0, NULL));
  else if (IS("get-kernel-syms")) CALL(t, syscall(SYS_get_kernel_syms, NULL));
  else if (IS("kexec-load")) CALL(t, syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
  else if (IS("kexec-file-load")) CALL(t, syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL));
  else if (IS("reboot-cad-off")) CALL(t, syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL));
  else if (IS("swapon")) CALL(t, syscall(SYS_swapon, "/tmp/isola-swap", 0));
  else if (IS("swapoff")) CALL(t, syscall(SYS_swapoff, "/tmp/isola-swap"));
  else if (IS("settimeofday")) set_time(t, 0);
  else if (IS("clock-settime")) set_time(t, 1);
  else if (IS("clock-adjtime-set")) set_time(t, 2);
  else if (IS("adjtimex-set")) set_time(t, 3);
  else if (IS("adjtimex-read")) set_time(t, 4);
  else if (IS("acct")) CALL(t, syscall(SYS_acct, "/tmp/isola-acct"));
  else if (IS("acct-off")) CALL(t, syscall(SYS_acct, NULL));
  else if (IS("iopl")) CALL(t, syscall(SYS_iopl, 3));
  else if (IS("ioperm")) CALL(t, syscall(SYS_ioperm, 0x80UL, 1UL, 1));
  else if (IS("vhangup")) CALL(t, syscall(SYS_vhangup));
  else if (IS("sethostname")) CALL(t, syscall(SYS_sethostname, "escaped", 7));
  else if (IS("setdomainname")) CALL(t, syscall(SYS_setdomainname, "escaped", 7));
  else if (IS("nfsservctl")) CALL(t, syscall(SYS_nfsservctl, 0, NULL, NULL));
  else if (IS("uselib")) CALL(t, syscall(SYS_uselib, "/bin/busybox"));
  else if (IS("ustat")) {
    char buf[64];
    CALL(t, syscall(SYS_ustat, 0UL, buf));
  } else if (IS("sysfs")) CALL(t, syscall(SYS_sysfs, 3));
  else if (IS("_sysctl")) {
    long args[10] = {0};
    CALL(t, syscall(SYS__sysctl, args));
  }
  /* SYS-09 */
  else if (IS("handle")) by_handle(t, arg);
  /* SYS-10 */
  else if (IS("traceme-exec")) traceme_exec(c, arg);
  else if (IS("ptrace-attach")) ptrace_pid(t, (pid_t)atoi(arg), PTRACE_ATTACH);
  else if (IS("ptrace-seize")) ptrace_pid(t, (pid_t)atoi(arg), PTRACE_SEIZE);
  else if (IS("vm-readv")) vm_read(t, (pid_t)atoi(arg), 0);
  else if (IS("vm-writev")) vm_read(t, (pid_t)atoi(arg), 1);
  else if (IS("kcmp")) CALL(t, syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0)); /* the kernel answers 0 */
  else if (IS("pidfd-getfd")) {
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    CALL(t, syscall(SYS_pidfd_getfd, pidfd, 0, 0));
  } else if (IS("process-madvise")) {
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    static char page[4096] __attribute__((aligned(4096)));
    struct iovec v = {page, sizeof page};
    CALL(t, syscall(SYS_process_madvise, pidfd, &v, 1, MADV_COLD_, 0));
  }
  /* SYS-11 */
  else if (IS("personality")) persona(t, strtoul(arg, NULL, 0));
  /* SYS-12: the call is made with the number as given, all 64 bits of it */
  else if (IS("nr")) CALL(t, syscall(strtol(arg, NULL, 0), 0, 0, 0, 0, 0, 0));
  else if (IS("x32")) CALL(t, syscall(X32_BIT | strtol(arg, NULL, 0), 0, 0, 0, 0, 0, 0));
  else if (IS("socketcall-int80")) {
    /* i386 socketcall(SYS_SOCKET, {AF_ALG, SOCK_SEQPACKET, 0}), its arguments in the low 4 GiB */
    uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (args == MAP_FAILED) {
      printf("%s mmap-errno %d\n", t, errno);
      return 0;
    }
    args[0] = 38;
    args[1] = SOCK_SEQPACKET;
    args[2] = 0;
    fflush(stdout);
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(102L), "b"(1L), "c"((long)(uintptr_t)args) : "memory");
    printf("%s %s %ld\n", t, r < 0 && r > -4096 ? "errno" : "ok", r < 0 && r > -4096 ? -r : r);
  }
  /* SYS-13, TTY */
  else if (IS("own-pty")) own_pty(c);
  else if (IS("stdin-tty")) stdin_tty(c);
  else if (IS("new-pty")) new_pty(t);
  /* SYS-14 */
  else if (IS("spawn")) spawn(t);
  else if (IS("faccessat2")) CALL(t, syscall(SYS_faccessat2, AT_FDCWD, "/bin/busybox", X_OK, AT_EACCESS));
  else if (IS("faccessat-libc")) CALL(t, faccessat(AT_FDCWD, "/bin/busybox", X_OK, AT_EACCESS));
  else if (IS("close-range")) CALL(t, syscall(SYS_close_range, 1000U, 2000U, 0U));
  /* SYS-15 */
  else if (IS("filter")) filter_status(arg[0] ? arg : c);
  /* F */
  else if (IS("ids")) ids(arg[0] ? arg : c);
  else if (IS("exec")) {
    /* exec a program (ARG) in place of this one, with "ids" */
    fflush(stdout);
    execl(arg, arg, "ids=exec", (char *)NULL);
    printf("%s exec-errno %d\n", t, errno);
  } else if (IS("capset-raise")) {
    struct {
      uint32_t version;
      int pid;
    } head = {0x20080522, 0};
    uint32_t data[6] = {~0U, ~0U, 0, ~0U, ~0U, 0}; /* effective, permitted, inheritable × 2 */
    CALL(t, syscall(SYS_capset, &head, data));
  } else if (IS("ambient-raise")) CALL(t, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 21 /* SYS_ADMIN */, 0, 0));
  else if (IS("setuid")) CALL(t, syscall(SYS_setuid, 1000));
  else if (IS("setgroups-empty")) CALL(t, syscall(SYS_setgroups, 0, NULL));
  else if (IS("setgroups-root")) {
    gid_t g = 0;
    CALL(t, syscall(SYS_setgroups, 1, &g));
  }
  /* G */
  else if (IS("mknod-char-mem")) do_mknod(t, arg, S_IFCHR, 1, 1);
  else if (IS("mknod-char-null")) do_mknod(t, arg, S_IFCHR, 1, 3);
  else if (IS("mknod-block-sda")) do_mknod(t, arg, S_IFBLK, 8, 0);
  else if (IS("mknod-fifo")) do_mknod(t, arg, S_IFIFO, 0, 0);
  else if (IS("open")) CALL(t, open(arg, O_RDONLY | O_CLOEXEC));
  else {
    printf("%s unknown-case\n", t);
    return 2;
  }
#undef IS
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    char name[128];
    const char *eq = strchr(argv[i], '=');
    size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
    if (len >= sizeof name) len = sizeof name - 1;
    memcpy(name, argv[i], len);
    name[len] = '\0';
    if (run(name, eq ? eq + 1 : "", argv[i]) != 0) rc = 2;
  }
  return rc;
}
