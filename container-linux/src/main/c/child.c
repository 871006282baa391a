/*
 * The child: the clone, inside the new namespaces, carrying out the plan's inside steps in order
 * (the path steps are fs.c's, the INIT step init.c's) up to the EXEC, or the first failure, which
 * goes to the server through the exec pipe (CHILD_EXEC_FD) as three int32: step, errno, value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

/* The plan, the clone's copy of the server's; and whether its network namespace is the server's
   spare, whose loopback is up already. Set once by child_main. */
static const struct plan *plan;
static int loopback_ready;

void child_fail_value(int32_t step, int err, int32_t value) {
  int32_t m[3] = {step, err, value};
  while (write(CHILD_EXEC_FD, m, sizeof m) < 0 && errno == EINTR) {
  }
  _exit(127);
}

void child_fail(int32_t step, int err) { child_fail_value(step, err, 0); }

/* Also the server's, for a spare network namespace (clone.c). */
int loopback_up(void) {
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

/* The INIT step's drop, once for the init and the command: what neither keeps. */
int drop_bounding_for_both(uint64_t either) {
  if (drop_bounding(either) < 0) return -1;
  bounding_left = either;
  return 0;
}

/* The kept capabilities in all five sets; the bounding set is what root gets back at exec. */

int drop_caps(uint64_t keep) {
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

static int do_seccomp(const struct step *s, int32_t index) {
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

/*
 * Changing ids clears the parent-death signal, so it is set again (REL-03). A server that died
 * in between sent no signal, and nothing else would end this process: its exec pipe then has no
 * reader (ESC-04).
 */
static int do_set_ids(const struct step *s) {
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
  struct pollfd exec_pipe = {CHILD_EXEC_FD, 0, 0};
  if (poll(&exec_pipe, 1, 0) == 1 && (exec_pipe.revents & POLLERR)) _exit(127);
  return 0;
}

static int do_close_fds(void) { return close_from(3, 1); }

static void __attribute__((noreturn)) do_exec(const struct step *s, int32_t index) {
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
static void do_landlock(const struct step *s, int32_t index) {
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
 * A new pseudo-terminal of the container's own devpts (never one of the host's), sized before the
 * command runs, as the controlling terminal of a session of its own (the init, if any, is not in
 * it, so Ctrl-C and job control reach the command alone). The master goes to the JVM as
 * SCM_RIGHTS over descriptor 0, a socket the JVM sent for it; the slave takes 0, 1 and 2.
 */
static int do_tty(const struct step *s) {
  if (getsid(0) != getpid() && setsid() < 0) return -1;
  int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -1;
  int unlock = 0;
  struct winsize ws = {(unsigned short)s->ints[1], (unsigned short)s->ints[0], 0, 0};
  int slave = -1;
  int r = ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCSWINSZ, &ws) < 0 ? -1 : 0;
  if (r == 0) slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) r = -1;
  if (r == 0) {
    char byte = 't';
    struct iovec iov = {&byte, 1};
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof master);
    if (sendmsg(0, &msg, MSG_NOSIGNAL) != 1) r = -1;
  }
  for (int fd = 0; r == 0 && fd < 3; fd++) {
    if (dup2(slave, fd) < 0) r = -1;
  }
  int e = errno;
  close(master);
  if (slave >= 0) close(slave);
  errno = e;
  return r;
}

/* The inside steps from the first on; the command of an INIT step goes on here too. */
void run_child(uint32_t first) {
  for (uint32_t i = first; i < plan->nsteps; i++) {
    const struct step *s = &plan->steps[i];
    int32_t index = (int32_t)i;
    int r = 0;
    switch (s->op) {
      case OP_WRITE_PROC:
      case OP_RUN_HELPER:
      case OP_NET_HELPER:
      case OP_NET_FORWARD:
      case OP_JOIN_CGROUP:
      case OP_WALL_LIMIT:
      case OP_CPU_LIMIT:
        break;
      case OP_SYNC: {
        char c;
        ssize_t n;
        while ((n = read(CHILD_SYNC_FD, &c, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) _exit(127); /* the server failed and said so */
        close(CHILD_SYNC_FD);
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
      case OP_LOOPBACK_UP: r = loopback_ready ? 0 : loopback_up(); break;
      case OP_SETSID: r = setsid() < 0 ? -1 : 0; break;
      case OP_NO_NEW_PRIVS: r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); break;
      case OP_DROP_CAPS: r = drop_caps(s->ints[0]); break;
      case OP_INIT: do_init(plan, s, index);
      case OP_CLOSE_FDS: r = do_close_fds(); break;
      case OP_SET_IDS: r = do_set_ids(s); break;
      case OP_SECCOMP: r = do_seccomp(s, index); break;
      case OP_MASK: r = do_mask(s); break;
      case OP_READ_ONLY: r = do_read_only(s); break;
      case OP_UNSHARE: r = unshare((int)s->ints[0]); break;
      case OP_WRITE: r = do_write(s); break;
      case OP_BIND_FILE: r = do_bind_file(s); break;
      case OP_OPEN_PATH: r = do_open_path(s); break;
      case OP_CLOSE:
        for (uint32_t k = 0; k < s->nints && r == 0; k++) r = close((int)s->ints[k]);
        break;
      case OP_LANDLOCK: do_landlock(s, index); break;
      case OP_TTY: r = do_tty(s); break;
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
  child_fail((int32_t)plan->nsteps, EINVAL); /* a plan without EXEC */
}

void child_main(const struct plan *p, int spare_net) {
  plan = p;
  loopback_ready = spare_net;
  run_child(1);
}
