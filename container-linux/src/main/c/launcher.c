/*
 * Isola launcher: runs a launch plan that the Java runtime compiled. It holds no policy: every
 * path, flag, id map and argument comes from the plan; this file only knows how to carry out
 * each kind of step and how to report the first one that fails.
 *
 * Processes:
 *   server     started once per JVM ("isola-launcher --server"), and the monitor of every
 *              container it starts: for each container the JVM sends it six descriptors over a
 *              socket (see serve()); it clones the container, writes its id maps, reports
 *              "started", passes on the signals the JVM sends, keeps the time limits, and
 *              reports the exit. One event loop for all of them: a container costs no process
 *              of its own outside its namespaces. When the JVM goes away (the socket closes) it
 *              exits, and the containers die of their parent-death signal.
 *   monitor    forked by the server for a container that keeps the host's pid namespace: no
 *              init ends that container's orphans, so a monitor of its own adopts them as
 *              their subreaper and kills them at the end. It runs the same loop, for one.
 *   child      the clone, inside the new namespaces: mounts, pivots, and either execs the
 *              command or, at an INIT step, starts it and stays as its init (pid 1).
 *
 * A container's descriptors, as the JVM sends them: 0-2 its stdio, 3 the plan, 4 the status
 * pipe to the JVM, 5 the control pipe from the JVM. The end of the status pipe tells the JVM
 * that the container and everything of it on the host (its mount namespace) are gone.
 *
 * Plan: u32 magic, u32 version, u32 step count, then per step u32 op, u32 int count,
 * u32 string count, the ints (u64 each), the strings (u32 length with the NUL, bytes, NUL).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLAN_MAGIC 0x4c4f5349u /* "ISOL" */
#define PLAN_VERSION 1u


enum op {
  /* carried out by the server (or monitor), outside */
  OP_CLONE = 1,       /* ints: clone flags, whether a spare network namespace will do (see take_spare_net);
                         strs: a cgroup v2 directory to start in ("" = none) */
  OP_WRITE_PROC = 2,  /* strs: file under /proc/<child>/, content */
  OP_RUN_HELPER = 3,  /* strs: argv, where "%pid" becomes the child's pid */
  OP_SYNC = 4,        /* server: let the child go on; child: wait for that */
  OP_JOIN_CGROUP = 5, /* strs: a cgroup.procs file to write the child's pid to */
  OP_WALL_LIMIT = 6,  /* ints: milliseconds from the start to the kill */
  OP_CPU_LIMIT = 7,   /* ints: limit and grace in microseconds, file format; strs: usage file */
  /* carried out by the child, inside */
  OP_MOUNT = 10,      /* ints: flags; strs: source, target, fstype, data ("" = none) */
  OP_REMOUNT = 11,    /* ints: flags to add; strs: target. Keeps the flags the mount has */
  OP_MKDIR = 13,      /* ints: mode; strs: path */
  OP_MKFILE = 14,     /* ints: mode; strs: path */
  OP_SYMLINK = 15,    /* strs: link content, path */
  OP_PIVOT_ROOT = 16, /* strs: new root, put_old (relative to it; "." detaches the old root) */
  OP_CHDIR = 17,      /* strs: path; fails if the result is outside the root */
  OP_SET_ROOT = 18,   /* strs: directory to resolve targets in ("" = none), procfs path */
  OP_HOSTNAME = 19,   /* strs: host name, NIS domain name (optional) */
  OP_LOOPBACK_UP = 20,
  OP_SETSID = 21,
  OP_NO_NEW_PRIVS = 22,
  OP_DROP_CAPS = 23,  /* ints: the capabilities to keep, as a bit mask */
  OP_INIT = 24,       /* ints: the capabilities the init keeps; the command goes on in a clone, the init stays */
  OP_CLOSE_FDS = 25,  /* mark every descriptor from 3 up close-on-exec */
  OP_EXEC = 26,       /* ints: argc; strs: argv..., envp... */
  OP_SET_IDS = 27,    /* ints: uid, gid, whether to clear the supplementary groups */
  OP_SECCOMP = 28,    /* ints: the BPF program, one struct sock_filter per int; loaded by EXEC */
  OP_MASK = 29,       /* strs: path, file to bind over a masked file. Absent paths are skipped */
  OP_READ_ONLY = 30,  /* strs: path, bound onto itself read-only. Absent paths are skipped */
  OP_UNSHARE = 31,    /* ints: unshare flags */
  OP_RLIMIT = 32,     /* ints: resource, soft, hard */
  OP_WRITE = 33,      /* strs: path (inside the root), content */
  OP_OPEN_PATH = 34,  /* ints: descriptor number; strs: a host directory, opened as O_PATH */
  OP_CLOSE = 35,      /* ints: descriptors the container must not keep (OPEN_PATH's, once used) */
  OP_LANDLOCK = 40,   /* ints: ABI, handled rights, rights a file rule may hold, one mask per path;
                         strs: paths. Restricts this process and its children for good */
};

enum msg { MSG_STARTED = 1, MSG_FAILED = 2, MSG_EXITED = 3, MSG_TEXT = 4, MSG_LIMIT = 5, MSG_USAGE = 6 };
enum limit { LIMIT_WALL = 1, LIMIT_CPU = 2 };
enum usage_format { USAGE_NANOSECONDS = 1, USAGE_CPU_STAT = 2 };

struct step {
  uint32_t op;
  uint32_t nints;
  uint32_t nstrs;
  uint64_t *ints;
  char **strs;
};

/* The plan of the container being started: the server's until the clone, then the child's. */
static struct step *steps;
static uint32_t nsteps;
/* In the child, its ends of three pipes to the server (and in the server, while it starts one) */
static int sync_pipe[2] = {-1, -1};   /* server -> child: go on */
static int exec_pipe[2] = {-1, -1};   /* child -> server: failure report; closes on exec */
static int result_pipe[2] = {-1, -1}; /* init -> server: the command's wait status */
/* The child's own */
static int root_fd = -1; /* targets are resolved beneath it, when set */
static int spare_net_taken; /* its network namespace is the server's spare: loopback is up already */
static const char *proc_path = "/proc";

/* Why a start failed: the plan's step, the error, a value; a helper's message, if any. */
struct report {
  int32_t step, err, value;
  size_t text_len;
  char text[240];
};

static int fail_with(struct report *r, int32_t step, int err, int32_t value) {
  r->step = step;
  r->err = err;
  r->value = value;
  return -1;
}

static void write_all(int fd, const void *buf, size_t len) {
  /* EPIPE (signal ignored): the JVM is gone or gave up on the container; nothing to tell */
  while (write(fd, buf, len) < 0 && errno == EINTR) {
  }
}

static void send_msg(int fd, int32_t type, int32_t step, int32_t err, int32_t value) {
  int32_t m[4] = {type, step, err, value};
  write_all(fd, m, sizeof m);
}

static void send_failure(int fd, const struct report *r) {
  if (r->text_len > 0) {
    char buf[16 + sizeof r->text];
    int32_t head[4] = {MSG_TEXT, 0, 0, (int32_t)r->text_len};
    memcpy(buf, head, sizeof head);
    memcpy(buf + sizeof head, r->text, r->text_len);
    write_all(fd, buf, sizeof head + r->text_len);
  }
  send_msg(fd, MSG_FAILED, r->step, r->err, r->value);
}

/* The child reports through the exec pipe; the server passes it on. */
static void __attribute__((noreturn)) child_fail_value(int32_t step, int err, int32_t value) {
  int32_t m[3] = {step, err, value};
  while (write(exec_pipe[1], m, sizeof m) < 0 && errno == EINTR) {
  }
  _exit(127);
}

static void __attribute__((noreturn)) child_fail(int32_t step, int err) { child_fail_value(step, err, 0); }

static ssize_t read_full_at(int fd, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

static ssize_t read_full(int fd, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(fd, (char *)buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

/* ---- the plan ---- */

/*
 * The plan goes into one mapping of its own, made populated: the server writes it only before the
 * clone and unmaps it once the clone has its copy, and the clone only reads it, so that none of
 * its pages is ever a fault on either side (on a paravirtualized guest every fault is a trip to
 * the hypervisor, 17 us here, and a copy-on-write one flushes the TLB besides).
 */
static char *plan_arena;
static size_t plan_arena_size, plan_arena_used;

static void *plan_alloc(size_t size) {
  void *p = plan_arena + plan_arena_used;
  plan_arena_used += (size + 7) & ~(size_t)7;
  return p;
}

static void free_plan(void) {
  if (plan_arena != NULL) munmap(plan_arena, plan_arena_size);
  plan_arena = NULL;
  steps = NULL;
  nsteps = 0;
}

/* Reads the plan from a descriptor (a memfd) into steps; on failure, the report's value says why. */
static int read_plan(int fd, struct report *r) {
  struct stat st;
  uint32_t header[3];
  if (fstat(fd, &st) < 0) return fail_with(r, -1, errno, 0);
  size_t len = (size_t)st.st_size;
  if (pread(fd, header, sizeof header, 0) != (ssize_t)sizeof header) return fail_with(r, -1, EINVAL, 1);
  if (header[0] != PLAN_MAGIC || header[1] != PLAN_VERSION) return fail_with(r, -1, EINVAL, 2);
  if (header[2] > len / 12) return fail_with(r, -1, EINVAL, 1); /* a step takes 12 bytes at least */
  /* at most: the bytes; the steps, each with two more pointers and padding; as many numbers as
     there are 8 bytes, as many strings as there are 5 */
  size_t size = 2 * len + (len / 5) * sizeof(char *) + header[2] * (sizeof(struct step) + 48) + 64;
  size = (size + 4095) & ~(size_t)4095;
  char *arena = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (arena == MAP_FAILED) return fail_with(r, -1, errno, 0);
  plan_arena = arena;
  plan_arena_size = size;
  plan_arena_used = 0;
  char *buf = plan_alloc(len);
  if (read_full_at(fd, buf, len) != (ssize_t)len) return fail_with(r, -1, errno ? errno : EINVAL, 1);

  size_t pos = sizeof header;
#define TAKE(dst, size)                                    \
  do {                                                     \
    if (len - pos < (size)) return fail_with(r, -1, EINVAL, 1); \
    memcpy((dst), buf + pos, (size));                      \
    pos += (size);                                         \
  } while (0)
  nsteps = header[2];
  steps = plan_alloc(nsteps * sizeof *steps);
  for (uint32_t i = 0; i < nsteps; i++) {
    struct step *s = &steps[i];
    uint32_t h[3];
    TAKE(h, sizeof h);
    if (h[1] > (len - pos) / 8 || h[2] > (len - pos) / 5) return fail_with(r, -1, EINVAL, 1);
    s->op = h[0];
    s->nints = h[1];
    s->ints = plan_alloc((h[1] + 1) * sizeof *s->ints);
    s->strs = plan_alloc((h[2] + 2) * sizeof *s->strs);
    TAKE(s->ints, s->nints * sizeof *s->ints);
    /* an EXEC's strings are argv, then envp: a NULL goes between them, so that both are arrays */
    int gap = s->op == OP_EXEC && s->nints > 0 && s->ints[0] <= h[2];
    for (uint32_t j = 0; j < h[2]; j++) {
      uint32_t n;
      TAKE(&n, sizeof n);
      if (n == 0 || len - pos < n || buf[pos + n - 1] != '\0') return fail_with(r, -1, EINVAL, 3);
      s->strs[j + (gap && j >= s->ints[0])] = buf + pos;
      s->nstrs = j + 1;
      pos += n;
    }
  }
#undef TAKE
  if (nsteps == 0 || steps[0].op != OP_CLONE) return fail_with(r, -1, EINVAL, 5);
  return 0;
}

static const char *str_or_null(const char *s) { return s[0] == '\0' ? NULL : s; }

/* ---- paths beneath the root ---- */

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct open_how_compat {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_ 0x10

/*
 * Opens the target of a step without following symlinks out of the root (FS-01/FS-02): the
 * kernel resolves it as if the root were "/". Returns an O_PATH descriptor, -1 with errno.
 * Kernels without openat2 (before 5.6) resolve the plain path, which Java checked for symlinks.
 */
static int open_target(const char *path, int flags) {
  if (root_fd < 0) return open(path, flags | O_PATH | O_CLOEXEC);
  struct open_how_compat how = {(uint64_t)(flags | O_PATH | O_CLOEXEC), 0,
                                RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_};
  int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  /* EAGAIN: a ".." (from a symlink) met a rename or mount anywhere on the system; try again */
  for (int i = 0; i < 64 && fd < 0 && errno == EAGAIN; i++) {
    fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  }
  if (fd < 0 && errno == ENOSYS) {
    while (*path == '/') path++;
    fd = openat(root_fd, path[0] ? path : ".", flags | O_PATH | O_CLOEXEC);
  }
  return fd;
}

/* A path through procfs that names what the descriptor names. */
static void fd_path(char *buf, size_t size, int fd) {
  snprintf(buf, size, "%s/self/fd/%d", proc_path, fd);
}

/* Splits "a/b/c" into the parent opened beneath the root and the last name. */
static int open_parent(const char *path, const char **name) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    *name = path;
    return open_target(".", O_DIRECTORY);
  }
  *name = slash + 1;
  char parent[4096];
  size_t n = (size_t)(slash - path);
  if (n >= sizeof parent) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(parent, path, n);
  parent[n] = '\0';
  return open_target(n == 0 ? "/" : parent, O_DIRECTORY);
}

/* ---- the steps inside ---- */

/*
 * The bind the last MOUNT step made: its target as the plan names it, and what it binds. The
 * REMOUNT that sets the bind's flags resolves that target again; if a component of the path was
 * swapped for a symlink in between (a container that can write a directory on the way, FS-01),
 * the path leads to another mount, which would get the flags while the bind stays read-write.
 * So the remount must find what was bound there.
 */
static const char *bind_target;
static struct stat bind_source;

static int do_mount(struct step *s) {
  const char *target = s->strs[1];
  unsigned long flags = (unsigned long)s->ints[0];
  bind_target = NULL;
  int fd = open_target(target, 0);
  if (fd < 0) return -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  int r = mount(str_or_null(s->strs[0]), p, str_or_null(s->strs[2]), flags, str_or_null(s->strs[3]));
  if (r == 0 && (flags & MS_BIND) && !(flags & (MS_REMOUNT | MS_MOVE))) {
    r = stat(s->strs[0], &bind_source);
    if (r == 0) bind_target = target;
  }
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* A remount must repeat the flags the kernel locked on the mount (nosuid, nodev… in a user ns). */
static int do_remount(struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  struct statvfs st;
  int r = statvfs(p, &st);
  struct stat now;
  if (r == 0 && bind_target != NULL && strcmp(bind_target, s->strs[0]) == 0 &&
      (r = fstat(fd, &now)) == 0 && (now.st_dev != bind_source.st_dev || now.st_ino != bind_source.st_ino)) {
    errno = EXDEV; /* the path no longer leads to the bind it made (FS-01) */
    r = -1;
  }
  if (r == 0) {
    unsigned long flags = MS_REMOUNT | MS_BIND | (unsigned long)s->ints[0];
    static const struct { unsigned long st, ms; } map[] = {
        {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
        {ST_NOEXEC, MS_NOEXEC},     {ST_NOATIME, MS_NOATIME},       {ST_NODIRATIME, MS_NODIRATIME},
        {ST_RELATIME, MS_RELATIME},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
      if (st.f_flag & map[i].st) flags |= map[i].ms;
    r = mount(NULL, p, NULL, flags, NULL);
  }
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static int do_make(struct step *s, int dir) {
  const char *name;
  int parent = open_parent(s->strs[0], &name);
  if (parent < 0) return -1;
  int r;
  if (dir) {
    r = mkdirat(parent, name, (mode_t)s->ints[0]);
    struct stat st;
    if (r < 0 && errno == EEXIST && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) {
      r = 0;
    }
  } else {
    int f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, (mode_t)s->ints[0]);
    r = f < 0 ? -1 : close(f);
  }
  int e = errno;
  close(parent);
  errno = e;
  return r;
}

static int do_symlink(struct step *s) {
  const char *name;
  int parent = open_parent(s->strs[1], &name);
  if (parent < 0) return -1;
  int r = symlinkat(s->strs[0], parent, name);
  int e = errno;
  close(parent);
  errno = e;
  return r;
}

/* pivot_root(".", put_old); with put_old "." the old root ends up on top and is detached. */
static int do_pivot_root(struct step *s) {
  if (chdir(s->strs[0]) < 0) return -1;
  if (syscall(SYS_pivot_root, ".", s->strs[1]) < 0) return -1;
  if (strcmp(s->strs[1], ".") == 0 && umount2(".", MNT_DETACH) < 0) return -1;
  return chdir("/");
}

static int do_chdir(struct step *s) {
  if (chdir(s->strs[0]) < 0) return -1;
  /* A working directory outside the root reads back as "(unreachable)" or fails (ESC-02). */
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL || cwd[0] != '/') {
    errno = EXDEV;
    return -1;
  }
  return 0;
}

static int do_set_root(struct step *s) {
  if (root_fd >= 0) close(root_fd);
  root_fd = -1;
  proc_path = s->strs[1];
  if (s->strs[0][0] == '\0') return 0;
  root_fd = open(s->strs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return root_fd < 0 ? -1 : 0;
}

static int do_loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* The kept capabilities in all five sets; the bounding set is what root gets back at exec. */
/*
 * What may still be in the bounding set: the INIT step drops, before it clones, all that neither
 * the init nor the command keeps, once for both (they inherit it), and sets this; written only
 * then, so that the init and the command, which share this memory until the exec, read the same.
 */
static uint64_t bounding_left = ~0ULL;

static int drop_bounding(uint64_t keep) {
  for (int cap = 0; cap <= 63; cap++) {
    if ((bounding_left & ~keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability: none beyond either */
      return -1;
    }
  }
  return 0;
}

static int do_drop_caps(struct step *s) {
  uint64_t keep = s->ints[0];
  if (drop_bounding(keep) < 0) return -1;
  struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = data[i].inheritable = (uint32_t)(keep >> (32 * i));
  }
  if (syscall(SYS_capset, &head, data) < 0) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  for (int cap = 0; cap <= 63; cap++) {
    if ((keep & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return -1;
  }
  return 0;
}

/*
 * Filters wait in this list and are loaded by the EXEC step, after it has found the program: a
 * missing program is then still reported, even under a filter that blocks write (CONF-03).
 */
#define MAX_FILTERS 4
static struct {
  struct sock_fprog prog;
  int32_t step;
} filters[MAX_FILTERS];
static int nfilters;

static int do_seccomp(struct step *s, int32_t index) {
  if (nfilters == MAX_FILTERS) {
    errno = E2BIG;
    return -1;
  }
  /* one struct sock_filter per 64-bit number, as Java wrote them: the plan's own memory will do */
  _Static_assert(sizeof(struct sock_filter) == sizeof(uint64_t), "a sock_filter is 8 bytes");
  filters[nfilters].prog = (struct sock_fprog){(unsigned short)s->nints, (struct sock_filter *)s->ints};
  filters[nfilters++].step = index;
  return 0;
}

/*
 * The program as execvp would find it, along the container's PATH; a failure names the first
 * reason, as execvp does: EACCES if some candidate exists but cannot be run, else ENOENT.
 */
static const char *find_program(const char *name, char **envp, char *buf, size_t size) {
  if (strchr(name, '/') != NULL) return access(name, X_OK) == 0 ? name : NULL;
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int denied = 0;
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    snprintf(buf, size, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", name);
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(buf, X_OK) == 0) return buf;
      denied = 1;
    }
    if (*end == '\0') break;
    p = end;
  }
  errno = denied ? EACCES : ENOENT;
  return NULL;
}

/* Masks a file with an empty one, a directory with an empty read-only tmpfs (FS-10). */
static int do_mask(struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  struct stat st;
  int r = fstat(fd, &st);
  int file = r == 0 && !S_ISDIR(st.st_mode);
  if (r == 0) {
    r = file ? mount(s->strs[1], p, NULL, MS_BIND, NULL)
             : mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555");
  }
  int e = errno;
  close(fd);
  errno = e;
  if (r < 0 || !file) return r;
  /* the empty file read-only too (not nodev: it is /dev/null, and reads as empty); looked up
     afresh, so that the remount is the new bind's */
  struct step remount = {OP_REMOUNT, 1, 1, (uint64_t[]){MS_RDONLY | MS_NOSUID | MS_NOEXEC}, s->strs};
  return do_remount(&remount);
}

static int do_write(struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  int w = open(p, O_WRONLY | O_CLOEXEC);
  int e = errno;
  close(fd);
  if (w < 0) {
    errno = e;
    return -1;
  }
  size_t len = strlen(s->strs[1]);
  int r = write(w, s->strs[1], len) == (ssize_t)len ? 0 : -1;
  e = errno;
  close(w);
  errno = e;
  return r;
}

static int do_read_only(struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  int r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close(fd);
  if (r < 0) {
    errno = e;
    return -1;
  }
  struct step remount = {OP_REMOUNT, 1, 1, (uint64_t[]){MS_RDONLY | MS_NOSUID | MS_NODEV}, s->strs};
  return do_remount(&remount);
}

/*
 * Changing ids clears the parent-death signal, so it is set again (REL-03). A server that died
 * in between sent no signal, and nothing else would end this process: its exec pipe then has no
 * reader (ESC-04).
 */
static int do_set_ids(struct step *s) {
  /* A command's own user (ints[3]) keeps the permitted set through setuid, so that DROP_CAPS
     after it can still trim the bounding set and keep what the spec asks for. */
  int keep = s->nints > 3 && s->ints[3];
  if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return -1;
  if (s->ints[2] && setgroups(0, NULL) < 0) return -1;
  if (setresgid((gid_t)s->ints[1], (gid_t)s->ints[1], (gid_t)s->ints[1]) < 0) return -1;
  if (setresuid((uid_t)s->ints[0], (uid_t)s->ints[0], (uid_t)s->ints[0]) < 0) return -1;
  if (keep) {
    struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &head, data) < 0) return -1;
    for (int i = 0; i < 2; i++) data[i].effective = data[i].permitted;
    if (syscall(SYS_capset, &head, data) < 0) return -1;
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return -1;
  struct pollfd server = {exec_pipe[1], 0, 0};
  if (poll(&server, 1, 0) == 1 && (server.revents & POLLERR)) _exit(127);
  return 0;
}

/*
 * A directory the container's root is made of (an overlay layer), opened while the clone's
 * file system uid is still the caller's: as root in its user namespace, but nobody on the host,
 * it may not look up the path (a layer store under a 0700 home). Overlayfs then takes it through
 * /proc/self/fd, which needs no lookup of the path.
 */
static int do_open_path(struct step *s) {
  int fd = open(s->strs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = dup3(fd, (int)s->ints[0], O_CLOEXEC);
  int e = errno;
  close(fd);
  errno = e;
  return r < 0 ? -1 : 0;
}

/* Marks every descriptor from the lowest up close-on-exec, or closes it. */
static int close_from(int lowest, int cloexec) {
  if (syscall(SYS_close_range, lowest, ~0U, cloexec ? 4 /* CLOSE_RANGE_CLOEXEC */ : 0) == 0) return 0;
  /* Before Linux 5.9 (5.11 for CLOEXEC): walk the open descriptors instead of guessing a highest number. */
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return -1;
  int fds[1024], n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 1024) {
    int fd = atoi(e->d_name);
    if (fd >= lowest && fd != dirfd(d)) fds[n++] = fd;
  }
  closedir(d);
  for (int i = 0; i < n; i++) cloexec ? fcntl(fds[i], F_SETFD, FD_CLOEXEC) : close(fds[i]);
  return n == 1024 ? close_from(lowest, cloexec) : 0;
}

static int do_close_fds(void) { return close_from(3, 1); }

static void __attribute__((noreturn)) do_exec(struct step *s, int32_t index) {
  if (s->nints < 1 || s->ints[0] < 1 || s->ints[0] > s->nstrs) child_fail(index, EINVAL);
  char **argv = s->strs; /* read_plan put a NULL after the arguments */
  char **envp = s->strs + s->ints[0] + 1;
  char found[4096];
  const char *program = find_program(argv[0], envp, found, sizeof found);
  if (program == NULL) child_fail(index, errno);
  for (int i = 0; i < nfilters; i++) {
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filters[i].prog) < 0) child_fail(filters[i].step, errno);
  }
  execve(program, argv, envp);
  child_fail(index, errno); /* under a filter that blocks write, the exit status says 127 */
}

/* Landlock, declared here: the C library's headers may predate it (the numbers are the same on
   every architecture). The plan's masks are already restricted to what the kernel's ABI knows. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LANDLOCK_RULE_PATH_BENEATH_ 1
struct landlock_path_beneath_compat {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

/*
 * Restricts this process and every process it starts to the plan's filesystem rules. A path that
 * fails is reported with its number, from 1, as the value, so that Java can name it. Needs
 * no_new_privs (set before) or CAP_SYS_ADMIN.
 */
static void do_landlock(struct step *s, int32_t index) {
  if (s->nints != 3 + s->nstrs) child_fail(index, EINVAL);
  uint64_t handled = s->ints[1]; /* struct landlock_ruleset_attr's first field, all we set */
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &handled, sizeof handled, 0);
  if (ruleset < 0) child_fail(index, errno);
  for (uint32_t i = 0; i < s->nstrs; i++) {
    struct landlock_path_beneath_compat rule = {s->ints[3 + i], open_target(s->strs[i], 0)};
    struct stat st;
    if (rule.parent_fd < 0 || fstat(rule.parent_fd, &st) < 0) child_fail_value(index, errno, (int32_t)i + 1);
    if (!S_ISDIR(st.st_mode)) rule.allowed_access &= s->ints[2];
    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH_, &rule, 0) < 0) {
      child_fail_value(index, errno, (int32_t)i + 1);
    }
    close(rule.parent_fd);
  }
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) child_fail(index, errno);
  close(ruleset);
}

/*
 * pid 1 of the container: passes signals on to the command and reaps everything. The kernel
 * drops a signal for a namespace's init that has no handler for it, unless it is blocked: a
 * blocked signal is never ignored (it could have a handler by the time it is unblocked). So the
 * init keeps every signal blocked, with no handler at all, and takes them with sigwaitinfo.
 */
static void __attribute__((noreturn)) run_init(pid_t command, sigset_t *all) {
  close(exec_pipe[1]);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(command, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p == command) {
        int32_t st = status;
        while (write(result_pipe[1], &st, sizeof st) < 0 && errno == EINTR) {
        }
        _exit(0); /* as pid 1, this ends every process left in the namespace */
      }
    }
  }
}

static void __attribute__((noreturn)) run_child(uint32_t first);

/*
 * The command's side of the INIT step runs on a stack of its own in the init's memory: it is
 * cloned with CLONE_VM | CLONE_VFORK, so no copy of the address space is made for a process that
 * is about to exec anyway (a fork's page tables and copy-on-write faults cost more than the rest
 * of the step). The init sleeps until the command has exec'd or failed; only then does it touch
 * its memory again, so the command may use it freely before that.
 */
static char command_stack[256 * 1024] __attribute__((aligned(64)));

struct command_start {
  pid_t init;
  uint32_t next;
  sigset_t old;
};

static int start_command(void *arg) {
  struct command_start *c = arg;
  /* death with its init */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != c->init) _exit(127);
  sigprocmask(SIG_SETMASK, &c->old, NULL);
  close(result_pipe[1]);
  run_child(c->next);
}

static void __attribute__((noreturn)) do_init(struct step *s, int32_t index) {
  struct command_start c = {getpid(), (uint32_t)index + 1, {{0}}};
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &c.old);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* the bounding set, once for both: what neither keeps (see bounding_left) */
  for (uint32_t i = (uint32_t)index + 1; i < nsteps; i++) {
    if (steps[i].op == OP_DROP_CAPS) {
      uint64_t either = s->ints[0] | steps[i].ints[0];
      if (drop_bounding(either) < 0) child_fail(index, errno);
      bounding_left = either;
      break;
    }
  }
  pid_t pid = clone(start_command, command_stack + sizeof command_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
  if (pid < 0) child_fail(index, errno);
  prctl(PR_SET_NAME, "isola-init", 0, 0, 0);
  /*
   * The init runs none of the container's code, but it lives in the container: it keeps no
   * more privilege than the command (CAP-01), none at all by default; reaping and passing on
   * signals to a command of its own uid need none.
   */
  struct step caps = {OP_DROP_CAPS, 1, 0, s->ints, NULL};
  if (do_drop_caps(&caps) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    child_fail(index, e);
  }
  run_init(pid, &all);
}

static void __attribute__((noreturn)) run_child(uint32_t first) {
  for (uint32_t i = first; i < nsteps; i++) {
    struct step *s = &steps[i];
    int32_t index = (int32_t)i;
    int r = 0;
    switch (s->op) {
      case OP_WRITE_PROC:
      case OP_RUN_HELPER:
      case OP_JOIN_CGROUP:
      case OP_WALL_LIMIT:
      case OP_CPU_LIMIT:
        break;
      case OP_SYNC: {
        char c;
        ssize_t n;
        while ((n = read(sync_pipe[0], &c, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) _exit(127); /* the server failed and said so */
        close(sync_pipe[0]);
        /*
         * Dumpable until now, so that an unprivileged server could write its maps (the kernel
         * gives a non-dumpable process's /proc files to root). From here on the container may
         * run code: no ptrace, no /proc/<pid>/mem or exe of this process (ESC-01/03).
         */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) child_fail(index, errno);
        break;
      }
      case OP_MOUNT: r = do_mount(s); break;
      case OP_REMOUNT: r = do_remount(s); break;
      case OP_MKDIR: r = do_make(s, 1); break;
      case OP_MKFILE: r = do_make(s, 0); break;
      case OP_SYMLINK: r = do_symlink(s); break;
      case OP_PIVOT_ROOT: r = do_pivot_root(s); break;
      case OP_CHDIR: r = do_chdir(s); break;
      case OP_SET_ROOT: r = do_set_root(s); break;
      case OP_HOSTNAME:
        r = sethostname(s->strs[0], strlen(s->strs[0]));
        if (r == 0 && s->nstrs > 1) r = setdomainname(s->strs[1], strlen(s->strs[1]));
        break;
      case OP_LOOPBACK_UP: r = spare_net_taken ? 0 : do_loopback_up(); break;
      case OP_SETSID: r = setsid() < 0 ? -1 : 0; break;
      case OP_NO_NEW_PRIVS: r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); break;
      case OP_DROP_CAPS: r = do_drop_caps(s); break;
      case OP_INIT: do_init(s, index);
      case OP_CLOSE_FDS: r = do_close_fds(); break;
      case OP_SET_IDS: r = do_set_ids(s); break;
      case OP_SECCOMP: r = do_seccomp(s, index); break;
      case OP_MASK: r = do_mask(s); break;
      case OP_READ_ONLY: r = do_read_only(s); break;
      case OP_UNSHARE: r = unshare((int)s->ints[0]); break;
      case OP_WRITE: r = do_write(s); break;
      case OP_OPEN_PATH: r = do_open_path(s); break;
      case OP_CLOSE:
        for (uint32_t k = 0; k < s->nints && r == 0; k++) r = close((int)s->ints[k]);
        break;
      case OP_LANDLOCK: do_landlock(s, index); break;
      case OP_RLIMIT: {
        struct rlimit rl = {(rlim_t)s->ints[1], (rlim_t)s->ints[2]};
        r = setrlimit((int)s->ints[0], &rl);
        break;
      }
      case OP_EXEC: do_exec(s, index);
      default: errno = EINVAL; r = -1;
    }
    if (r < 0) child_fail(index, errno);
  }
  child_fail((int32_t)nsteps, EINVAL); /* a plan without EXEC */
}

/* ---- the server: starting a container ---- */

enum watch_kind { WATCH_SERVER, WATCH_SIGCHLD, WATCH_EXEC, WATCH_CONTROL };

struct container;
struct watch {
  struct container *c;
  enum watch_kind kind;
};

/* What the server keeps of one container, from its start to its end. */
struct container {
  struct container *next;
  pid_t child;
  int status, control, exec_fd, result_fd;
  int mount_ns; /* held until the exit report has gone: see finish() */
  struct report failure;
  int failed;
  int64_t started_ms; /* CLOCK_MONOTONIC, for the wall-time limit */
  int64_t wall_limit_ms, cpu_limit_us, cpu_grace_us;
  int cpu_usage_fd, cpu_usage_format;
  int64_t check_at; /* when to look at the limits again (CLOCK_MONOTONIC, ms) */
  int killed;
  struct watch on_exec, on_control;
};

static struct container *containers;
static int epoll_fd = -1, sigchld_fd = -1, server_fd = -1;
static int one_container; /* a monitor forked for one container that keeps the host's pid namespace */
static struct watch server_watch = {NULL, WATCH_SERVER}, sigchld_watch = {NULL, WATCH_SIGCHLD};

static void watch_fd(int fd, struct watch *w) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void close_watched(int *fd) {
  if (*fd < 0) return;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, *fd, NULL);
  close(*fd);
  *fd = -1;
}

static int write_proc(pid_t child, struct step *s) {
  char path[128];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)child, s->strs[0]);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = strlen(s->strs[1]);
  int r = write(fd, s->strs[1], len) == (ssize_t)len ? 0 : -1;
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* Runs a helper (newuidmap) to its end; its failure is reported with its exit status and words. */
static int run_helper(pid_t child, struct step *s, int32_t index, struct report *r) {
  char pid[16];
  snprintf(pid, sizeof pid, "%d", (int)child);
  char **argv = calloc(s->nstrs + 1, sizeof *argv);
  if (argv == NULL) return fail_with(r, index, ENOMEM, 0);
  for (uint32_t i = 0; i < s->nstrs; i++) argv[i] = strcmp(s->strs[i], "%pid") == 0 ? pid : s->strs[i];
  int err[2];
  if (pipe2(err, O_CLOEXEC) < 0) {
    int e = errno;
    free(argv);
    return fail_with(r, index, e, 0);
  }
  pid_t h = fork();
  if (h == 0) {
    dup2(err[1], 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(argv[0], argv, envp);
    dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  int e = errno;
  free(argv);
  close(err[1]);
  if (h < 0) {
    close(err[0]);
    return fail_with(r, index, e, 0);
  }
  ssize_t n = read_full(err[0], r->text, sizeof r->text);
  close(err[0]);
  int status;
  while (waitpid(h, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  while (n > 0 && (r->text[n - 1] == '\n' || r->text[n - 1] == ' ')) n--;
  r->text_len = n > 0 ? (size_t)n : 0;
  return fail_with(r, index, 0, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int join_cgroup(pid_t child, const char *procs) {
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char pid[16];
  int n = snprintf(pid, sizeof pid, "%d", (int)child);
  int r = write(fd, pid, (size_t)n) == n ? 0 : -1;
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CLONE_INTO_CGROUP_ 0x200000000ULL
struct clone_args_compat {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
      cgroup;
};

/*
 * A raw clone, like fork, so that new pid and user namespaces apply to the child itself; started
 * in its cgroup v2 directory, when the plan names one, with clone3(CLONE_INTO_CGROUP) (Linux 5.7):
 * a later write of its pid to cgroup.procs would take the cgroup threadgroup lock for writing,
 * which waits for an RCU grace period. Older kernels get the write (*joined stays 0).
 */
static pid_t clone_child(struct step *s, int *joined) {
  unsigned long flags = (unsigned long)s->ints[0];
  if (spare_net_taken) flags &= ~(unsigned long)CLONE_NEWNET;
  const char *cgroup = s->nstrs > 0 && s->strs[0][0] != '\0' ? s->strs[0] : NULL;
  pid_t pid = -1;
  *joined = cgroup == NULL;
  errno = ENOSYS; /* without a cgroup to start in: the plain clone below */
  if (cgroup != NULL) {
    int dir = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    struct clone_args_compat args;
    memset(&args, 0, sizeof args);
    args.flags = flags | CLONE_INTO_CGROUP_;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)dir;
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    int e = errno;
    close(dir); /* the child's copy too: nothing of the host's cgroup tree stays in the container */
    errno = e;
    *joined = pid >= 0;
  }
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  return pid;
}

/*
 * The clone, before its steps: its stdio at 0-2 and its ends of the three pipes at 3-5, nothing
 * else of the server's (the other containers' descriptors among them).
 */
static void __attribute__((noreturn)) become_child(const int stdio[3], pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* in a new pid namespace the parent reads as 0; a dead server also shows at OP_SYNC */
  if (getppid() != parent && getppid() != 0) _exit(127);
  int keep[6] = {stdio[0], stdio[1], stdio[2], sync_pipe[0], exec_pipe[1], result_pipe[1]};
  int high[6];
  /* out of the way first, then into place: a number may be one of 0-5 */
  for (int i = 0; i < 6; i++) high[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 64);
  for (int i = 0; i < 6; i++) {
    if (high[i] < 0 || dup3(high[i], i, i < 3 ? 0 : O_CLOEXEC) < 0) _exit(127);
  }
  sync_pipe[0] = 3;
  exec_pipe[1] = 4;
  result_pipe[1] = 5;
  if (close_from(6, 0) < 0) child_fail(0, errno);
  run_child(1);
}

/*
 * A network namespace made ahead of time, while the server has nothing else to do: making one
 * costs the kernel about half a millisecond here (every protocol's per-namespace set-up), the
 * largest part of a clone into new namespaces. Only a server that is root in its own network
 * namespace's user namespace has one (it must get back into its namespace; an ordinary user
 * makes network namespaces only inside a user namespace of its own), and only a
 * container that keeps no capability takes it (its plan says so): the spare belongs to the
 * host's user namespace, so a capability of the container's root would not act on it, where it
 * would on a namespace of its own. Without any, the two are the same to it. Each spare is used
 * once.
 */
static int host_net = -1, spare_net = -1;

/* No spares (any more): not permitted here, or this process is not the server. */
static void no_spares(void) {
  if (spare_net >= 0) close(spare_net);
  if (host_net >= 0) close(host_net);
  spare_net = host_net = -1;
}

static void make_spare_net(void) {
  if (host_net < 0 || spare_net >= 0) return;
  if (unshare(CLONE_NEWNET) < 0) {
    no_spares();
    return;
  }
  spare_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int made = spare_net >= 0 && do_loopback_up() == 0;
  /* the server's own namespace again, or no container may share the host's network through it */
  if (setns(host_net, CLONE_NEWNET) < 0) _exit(1);
  if (!made) no_spares(); /* it would fail again at every idle moment */
}

/* Enters the spare for the next clone, when the plan lets it; leave_spare_net() after it. */
static void take_spare_net(struct step *clone) {
  spare_net_taken = spare_net >= 0 && clone->nints > 1 && clone->ints[1] && (clone->ints[0] & CLONE_NEWNET) &&
                    setns(spare_net, CLONE_NEWNET) == 0;
}

static void leave_spare_net(void) {
  if (!spare_net_taken) return;
  if (setns(host_net, CLONE_NEWNET) < 0) _exit(1);
  close(spare_net);
  spare_net = -1;
  spare_net_taken = 0;
}

/*
 * The clone and the server's steps of the plan, up to SYNC. Returns -1 with the report filled
 * (the child, if there is one, is c->child: the caller ends it).
 */
static int clone_and_prepare(struct container *c, const int stdio[3], struct report *r) {
  if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(exec_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
      pipe2(result_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
    return fail_with(r, 0, errno, 0);
  }
  c->exec_fd = exec_pipe[0];
  c->result_fd = result_pipe[0];
  /*
   * Dumpable while it clones (the server is not): the clone inherits the flag, and the kernel
   * gives a non-dumpable process's /proc files, the clone's uid_map among them, to root. The
   * child drops it at SYNC, before the container can run code.
   */
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  pid_t parent = getpid();
  int joined;
  take_spare_net(&steps[0]);
  c->child = clone_child(&steps[0], &joined);
  if (c->child == 0) become_child(stdio, parent);
  int e = errno;
  leave_spare_net();
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  close(exec_pipe[1]);
  close(result_pipe[1]);
  close(sync_pipe[0]);
  int go = sync_pipe[1];
  int r0 = 0;
  if (c->child < 0) {
    r0 = fail_with(r, 0, e, 0);
  } else if (!joined) {
    char procs[4096];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", steps[0].strs[0]);
    if (join_cgroup(c->child, procs) < 0) r0 = fail_with(r, 0, errno, 0);
  }
  /*
   * Held until the exit report has gone: the teardown of the container's mount namespace (an
   * unmount of every mount, which waits for an RCU grace period) then comes after the report
   * instead of before it, in the container's last process. If it cannot be held, the teardown
   * just stays where it was.
   */
  if (r0 == 0 && (steps[0].ints[0] & CLONE_NEWNS)) {
    char ns[64];
    snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", (int)c->child);
    c->mount_ns = open(ns, O_RDONLY | O_CLOEXEC);
  }
  for (uint32_t i = 1; r0 == 0 && i < nsteps; i++) {
    struct step *s = &steps[i];
    int32_t index = (int32_t)i;
    switch (s->op) {
      case OP_WRITE_PROC:
        if (write_proc(c->child, s) < 0) r0 = fail_with(r, index, errno, 0);
        break;
      case OP_RUN_HELPER: r0 = run_helper(c->child, s, index, r); break;
      case OP_JOIN_CGROUP:
        if (join_cgroup(c->child, s->strs[0]) < 0) r0 = fail_with(r, index, errno, 0);
        break;
      case OP_WALL_LIMIT: c->wall_limit_ms = (int64_t)s->ints[0]; break;
      case OP_CPU_LIMIT:
        c->cpu_limit_us = (int64_t)s->ints[0];
        c->cpu_grace_us = (int64_t)s->ints[1];
        c->cpu_usage_format = (int)s->ints[2];
        c->cpu_usage_fd = open(s->strs[0], O_RDONLY | O_CLOEXEC);
        if (c->cpu_usage_fd < 0) r0 = fail_with(r, index, errno, 0);
        break;
      case OP_SYNC:
        if (write(go, "g", 1) != 1) r0 = fail_with(r, index, errno, 0);
        i = nsteps;
        break;
      default: break;
    }
  }
  close(go); /* without the byte: the child ends at its SYNC */
  return r0;
}

static void release(struct container *c) {
  for (struct container **p = &containers; *p != NULL; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      break;
    }
  }
  close_watched(&c->exec_fd);
  close_watched(&c->control);
  if (c->result_fd >= 0) close(c->result_fd);
  if (c->cpu_usage_fd >= 0) close(c->cpu_usage_fd);
  if (c->mount_ns >= 0) close(c->mount_ns);
  close(c->status); /* last: its end tells the JVM that all of the container is gone */
  free(c);
}

static void kill_and_reap(pid_t child) {
  kill(child, SIGKILL);
  while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR) {
  }
}

/*
 * The first process the container had, reaped: its exit (or its failure to start) goes to the
 * JVM. With the host's pid namespace, its orphans go first.
 */
static void end_adopted(void);

static void finish(struct container *c, int status, const struct rusage *ru) {
  if (c->exec_fd >= 0) {
    /* reaped before its exec pipe was read: what that pipe holds decides */
    int32_t report[3];
    if (read(c->exec_fd, report, sizeof report) == (ssize_t)sizeof report) {
      c->failed = 1;
      c->failure.step = report[0];
      c->failure.err = report[1];
      c->failure.value = report[2];
    } else if (!c->failed) {
      send_msg(c->status, MSG_STARTED, 0, (int32_t)getpid(), (int32_t)c->child);
    }
  }
  if (one_container) end_adopted();
  if (c->failed) {
    send_failure(c->status, &c->failure);
    release(c);
    return;
  }
  int32_t command_status;
  if (read(c->result_fd, &command_status, sizeof command_status) == (ssize_t)sizeof command_status) {
    status = command_status;
  }
  /* the usage (the init reaps every process, so this counts them all) and the end, in one write:
     the JVM wakes once */
  int64_t usage[3] = {(int64_t)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec,
                      (int64_t)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec, ru->ru_maxrss};
  char buf[16 + sizeof usage + 16];
  int32_t head[4] = {MSG_USAGE, 0, 0, (int32_t)sizeof usage};
  int32_t end[4] = {MSG_EXITED, 0, 0, status};
  memcpy(buf, head, sizeof head);
  memcpy(buf + sizeof head, usage, sizeof usage);
  memcpy(buf + sizeof head + sizeof usage, end, sizeof end);
  write_all(c->status, buf, sizeof buf);
  release(c);
}

/* ---- the server: watching the containers ---- */

static void on_exec_pipe(struct container *c) {
  int32_t report[3];
  ssize_t n = read(c->exec_fd, report, sizeof report);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  close_watched(&c->exec_fd);
  if (n == (ssize_t)sizeof report) {
    /* it failed: reported once it is reaped, so that nothing of it is left when the JVM hears */
    c->failed = 1;
    c->failure.step = report[0];
    c->failure.err = report[1];
    c->failure.value = report[2];
    kill(c->child, SIGKILL);
    return;
  }
  send_msg(c->status, MSG_STARTED, 0, (int32_t)getpid(), (int32_t)c->child);
}

static void on_control(struct container *c) {
  int32_t sigs[16];
  ssize_t n = read(c->control, sigs, sizeof sigs);
  if (n > 0) {
    for (ssize_t i = 0; i < n / (ssize_t)sizeof sigs[0]; i++) kill(c->child, sigs[i]);
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    /* the JVM closed the container, or died: nothing may outlive it */
    kill(c->child, SIGKILL);
    close_watched(&c->control);
  }
}

/* The CPU time of the whole container, in microseconds, from its cgroup; -1 if unreadable. */
static int64_t cpu_usage_us(struct container *c) {
  char buf[512];
  ssize_t n = pread(c->cpu_usage_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = '\0';
  if (c->cpu_usage_format == USAGE_NANOSECONDS) return strtoll(buf, NULL, 10) / 1000;
  char *line = strstr(buf, "usage_usec ");
  return line == NULL ? -1 : strtoll(line + 11, NULL, 10);
}

static int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int64_t elapsed_ms(struct container *c) { return now_ms() - c->started_ms; }

/*
 * How long the server may sleep before it must look at a container's limits again: until the
 * wall deadline, or until it could have used its remaining CPU time on every CPU.
 */
static int64_t limit_timeout_ms(struct container *c) {
  int64_t t = -1;
  if (c->wall_limit_ms >= 0) t = c->wall_limit_ms - elapsed_ms(c);
  if (c->cpu_limit_us >= 0) {
    int64_t used = cpu_usage_us(c);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t left = used < 0 ? 100 : (c->cpu_limit_us + c->cpu_grace_us - used) / 1000 / (cpus > 0 ? cpus : 1);
    if (left > 100) left = 100;
    if (t < 0 || left < t) t = left;
  }
  return t > 0 ? t : 1;
}

/* Kills the container for a limit it reached. */
static void enforce_limits(struct container *c) {
  int which = 0;
  if (c->wall_limit_ms >= 0 && elapsed_ms(c) >= c->wall_limit_ms) which = LIMIT_WALL;
  if (!which && c->cpu_limit_us >= 0 && cpu_usage_us(c) >= c->cpu_limit_us + c->cpu_grace_us) which = LIMIT_CPU;
  if (!which) return;
  kill(c->child, SIGKILL);
  send_msg(c->status, MSG_LIMIT, 0, 0, which);
  c->killed = 1;
}

/*
 * Looks at the limits of the containers whose time has come (a CPU limit costs a read of the
 * cgroup: not on every event of every container); returns how long the loop may sleep, -1 for
 * as long as it likes.
 */
static int check_limits(void) {
  int64_t now = now_ms(), timeout = -1;
  for (struct container *c = containers; c != NULL; c = c->next) {
    if (c->killed || (c->wall_limit_ms < 0 && c->cpu_limit_us < 0)) continue;
    if (now >= c->check_at) {
      enforce_limits(c);
      if (c->killed) continue;
      c->check_at = now + limit_timeout_ms(c);
    }
    if (timeout < 0 || c->check_at - now < timeout) timeout = c->check_at - now;
  }
  return (int)timeout;
}

/*
 * Ends the processes a monitor adopted. With the host's pid namespace the kernel ends nothing
 * when the container's first process ends: its orphans (a daemon that left the session, a
 * process whose parent died) come to the monitor, their subreaper, and are killed here, again
 * and again until none is left, since killing one hands its children over too.
 */
static void end_adopted(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {
    }
    if (waitpid(-1, NULL, WNOHANG | __WALL) < 0 && errno == ECHILD) return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    ssize_t n = read_full(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    /* a child stays ours, and its pid unused by others, until we reap it */
    for (char *p = buf, *end; *p; p = end) {
      long pid = strtol(p, &end, 10);
      if (end == p) break;
      if (pid > 0) kill((pid_t)pid, SIGKILL);
    }
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
}

/* Reaps every child that ended: containers' first processes, and forked monitors. */
static void on_sigchld(void) {
  struct signalfd_siginfo si;
  while (read(sigchld_fd, &si, sizeof si) > 0) {
  }
  int status;
  struct rusage ru;
  pid_t p;
  while ((p = wait4(-1, &status, WNOHANG | __WALL, &ru)) > 0) {
    for (struct container *c = containers; c != NULL; c = c->next) {
      if (c->child == p) {
        finish(c, status, &ru);
        break;
      }
    }
  }
}

/* ---- the server: requests ---- */

#define LAUNCH_FDS 6

/* Becomes the monitor of one container: nothing of the server's, and the subreaper. */
static void become_monitor(void) {
  /* first: the epoll instance is the server's, shared since the fork; nothing may leave it */
  close(epoll_fd);
  epoll_fd = -1;
  while (containers != NULL) release(containers); /* this process's copies only */
  close(server_fd);
  no_spares(); /* the spare is the server's: a copy here could go to a second container */
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  watch_fd(sigchld_fd, &sigchld_watch);
  one_container = 1;
  prctl(PR_SET_NAME, "isola-monitor", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static void __attribute__((noreturn)) run_loop(void);

/* Starts a container; takes the six descriptors (0-3 are closed once the clone has its own). */
static void start_container(const int fds[LAUNCH_FDS]) {
  struct container *c = calloc(1, sizeof *c);
  if (c == NULL) {
    send_msg(fds[4], MSG_FAILED, -1, ENOMEM, 0);
    for (int i = 0; i < LAUNCH_FDS; i++) close(fds[i]);
    return;
  }
  c->status = fds[4];
  c->control = fds[5];
  c->child = c->exec_fd = c->result_fd = c->mount_ns = c->cpu_usage_fd = -1;
  c->wall_limit_ms = c->cpu_limit_us = -1;
  c->started_ms = now_ms();
  struct report r;
  memset(&r, 0, sizeof r);
  int ok = read_plan(fds[3], &r) == 0;
  if (ok && !(steps[0].ints[0] & CLONE_NEWPID) && !one_container) {
    pid_t m = fork();
    if (m < 0) ok = fail_with(&r, -1, errno, 6) == 0;
    if (m > 0) {
      /* the monitor goes on with this container; the server forgets it */
      for (int i = 0; i < LAUNCH_FDS; i++) close(fds[i]);
      free(c);
      free_plan();
      return;
    }
    if (m == 0) become_monitor();
  }
  if (ok) ok = clone_and_prepare(c, fds, &r) == 0;
  free_plan();
  for (int i = 0; i < 4; i++) close(fds[i]);
  if (!ok) {
    if (c->child > 0) kill_and_reap(c->child);
    send_failure(c->status, &r);
    release(c);
    if (one_container) _exit(1);
    return;
  }
  fcntl(c->control, F_SETFL, O_NONBLOCK);
  c->on_exec = (struct watch){c, WATCH_EXEC};
  c->on_control = (struct watch){c, WATCH_CONTROL};
  watch_fd(c->exec_fd, &c->on_exec);
  watch_fd(c->control, &c->on_control);
  c->next = containers;
  containers = c;
  if (one_container) run_loop(); /* the server's loop and its events are not the monitor's */
}

/* One request: the six descriptors of a container. 0 when the JVM is gone. */
static int on_request(void) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    char buf[CMSG_SPACE(LAUNCH_FDS * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n = recvmsg(server_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return 0;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  int fds[LAUNCH_FDS];
  int count = 0;
  if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
    count = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    memcpy(fds, CMSG_DATA(cm), (size_t)(count < LAUNCH_FDS ? count : LAUNCH_FDS) * sizeof(int));
  }
  if (count == LAUNCH_FDS && (msg.msg_flags & MSG_CTRUNC) == 0) {
    start_container(fds);
  } else {
    for (int i = 0; i < count && i < LAUNCH_FDS; i++) close(fds[i]);
  }
  return 1;
}

/*
 * Server mode ("isola-launcher --server"), started once per JVM: descriptor 3 is a SOCK_SEQPACKET
 * socket whose other end only the JVM holds. One loop: requests, each container's exec pipe
 * (its start) and control pipe (signals, close), the end of every child, the time limits.
 */
static void __attribute__((noreturn)) serve(void) {
  signal(SIGPIPE, SIG_IGN); /* a JVM that went away must not kill the server mid-report */
  prctl(PR_SET_NAME, "isola-server", 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /*
   * Nor the JVM's umask (REL-08): the directories the plan creates get the modes it names, and
   * the command starts with the umask of Docker and runc.
   */
  umask(022);
  server_fd = 3;
  if (close_from(4, 0) < 0) _exit(1);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  sigchld_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (sigchld_fd < 0 || epoll_fd < 0) _exit(1);
  watch_fd(server_fd, &server_watch);
  watch_fd(sigchld_fd, &sigchld_watch);
  /* spares only where the server may come back to its own network namespace: as root in it */
  host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_net >= 0 && setns(host_net, CLONE_NEWNET) < 0) no_spares();
  run_loop();
}

static void __attribute__((noreturn)) run_loop(void) {
  for (;;) {
    if (one_container && containers == NULL) _exit(0);
    int timeout = check_limits();
    struct epoll_event ev[64];
    int n = epoll_wait(epoll_fd, ev, 64, 0);
    if (n == 0 && host_net >= 0 && spare_net < 0) {
      make_spare_net(); /* nothing to do: time to make one */
      n = epoll_wait(epoll_fd, ev, 64, 0);
    }
    if (n == 0) n = epoll_wait(epoll_fd, ev, 64, timeout);
    int reap = 0;
    for (int i = 0; i < n; i++) {
      struct watch *w = ev[i].data.ptr;
      switch (w->kind) {
        case WATCH_SERVER:
          if (!on_request()) _exit(0); /* the JVM is gone; the containers die with the server */
          break;
        case WATCH_SIGCHLD: reap = 1; break;
        case WATCH_EXEC: on_exec_pipe(w->c); break;
        case WATCH_CONTROL: on_control(w->c); break;
      }
    }
    /* last: it frees containers that later events of this batch may name */
    if (reap) on_sigchld();
  }
}

int main(int argc, char **argv) {
  /* Nothing from the JVM's signal state carries over (it blocks and handles signals). */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  if (argc > 1 && strcmp(argv[1], "--server") == 0) serve();
  fprintf(stderr, "isola-launcher: started by Isola's Java runtime only (--server)\n");
  return 2;
}
