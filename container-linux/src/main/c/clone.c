/*
 * Starting a container, the server's side: the clone into its namespaces, then the plan's outside
 * steps (id maps, helpers, cgroups, limits) up to the SYNC that lets the child go on. Also the
 * spare network namespace a clone may take.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

static int write_proc(pid_t child, const struct step *s) {
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
static int run_helper(pid_t child, const struct step *s, int32_t index, struct report *r) {
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
static int spare_net_taken; /* by the clone being made: its loopback is up already */

/* No spares (any more): not permitted here, or this process is not the server. */
void no_spares(void) {
  if (spare_net >= 0) close(spare_net);
  if (host_net >= 0) close(host_net);
  spare_net = host_net = -1;
}

/*
 * Makes a spare if there may be one and is none (the server calls it when it has nothing else to
 * do); returns whether it took time, so that the server looks for events again.
 */
int spares_refill(void) {
  if (host_net < 0 || spare_net >= 0) return 0;
  if (unshare(CLONE_NEWNET) < 0) {
    no_spares();
    return 1;
  }
  spare_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int made = spare_net >= 0 && loopback_up() == 0;
  /* the server's own namespace again, or no container may share the host's network through it */
  if (setns(host_net, CLONE_NEWNET) < 0) _exit(1);
  if (!made) no_spares(); /* it would fail again at every idle moment */
  return 1;
}

/* Spares only where the server may come back to its own network namespace: as root in it. */
void spares_init(void) {
  host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_net >= 0 && setns(host_net, CLONE_NEWNET) < 0) no_spares();
}

/* Enters the spare for the next clone, when the plan lets it; leave_spare_net() after it. */
static void take_spare_net(const struct step *clone) {
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
static pid_t clone_child(const struct step *s, int *joined) {
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

/* The namespaces a server holds of a container, in the order an exec joins them: the user
   namespace first, which gives it the right to join the others. */
static const int ns_flags[NS_HELD] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID};
static const char *const ns_names[NS_HELD] = {"user", "mnt", "uts", "ipc", "net", "pid"};

/*
 * Joins the container's namespaces that the ENTER step names; -1 with errno if one is missing or
 * may not be joined. Each is joined as soon as it may be: as root, all before the user namespace
 * (a spare network namespace belongs to the host's, where the container's root has no right); an
 * ordinary user joins the user namespace first, whose root may then join the others.
 */
static int join_namespaces(const struct container *target, uint64_t flags) {
  int joined[NS_HELD] = {0};
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < NS_HELD; i++) {
      if (!(flags & (uint64_t)ns_flags[i]) || joined[i]) continue;
      if (target->ns[i] < 0) {
        errno = EBADF;
        return -1;
      }
      /* the user namespace last in the first pass; in the second, any that still fails fails */
      if (pass == 0 && ns_flags[i] == CLONE_NEWUSER) continue;
      if (setns(target->ns[i], ns_flags[i]) == 0) {
        joined[i] = 1;
      } else if (pass == 1 || errno != EPERM) {
        return -1;
      }
    }
    if (pass == 0 && (flags & CLONE_NEWUSER)) {
      if (setns(target->ns[NS_USER], CLONE_NEWUSER) < 0) return -1;
      joined[NS_USER] = 1;
    }
  }
  return 0;
}

/*
 * An exec's process (an ENTER step instead of CLONE). A process cloned into the container's
 * cgroup joins the namespaces the server holds of the container, user namespace first: as the
 * container's root it may, where an ordinary user's server could not join the pid namespace
 * itself. Joining a pid namespace moves only the children, so it clones the exec's process there
 * as the server's child (CLONE_PARENT), tells the server its pid, and ends. The server reaps
 * both, and reports the exec's end as a container's. The cgroup namespace is a new one, rooted
 * at the container's cgroup as the container's is (the plan's UNSHARE step).
 */
static pid_t enter_child(const struct step *s, int *joined) {
  /*
   * Only into a container of this server that it has not reaped: its pid cannot have been reused
   * (a zombie keeps it), so the namespaces are the container's.
   */
  const struct container *target = server.containers;
  while (target != NULL && target->child != (pid_t)s->ints[1]) target = target->next;
  if (target == NULL) {
    errno = ESRCH;
    return -1;
  }
  int answer[2];
  if (pipe2(answer, O_CLOEXEC) < 0) return -1;
  uint64_t none[2] = {0, 0}; /* no new namespace: a plain clone, into the cgroup */
  struct step plain = {OP_CLONE, 2, s->nstrs, none, s->strs};
  pid_t mid = clone_child(&plain, joined);
  if (mid == 0) {
    int32_t pid = join_namespaces(target, s->ints[0]) < 0 ? -errno : 0;
    if (pid == 0) {
      pid = (int32_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
      if (pid == 0) return 0; /* the exec's process: on to its steps */
      if (pid < 0) pid = -errno;
    }
    while (write(answer[1], &pid, sizeof pid) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  int e = errno;
  close(answer[1]);
  int32_t pid = -e;
  if (mid > 0 && read_full(answer[0], &pid, sizeof pid) != (ssize_t)sizeof pid) pid = -ECHILD;
  close(answer[0]);
  if (pid <= 0) {
    errno = -pid;
    return -1;
  }
  return pid;
}

/*
 * The clone, before its steps: its stdio at 0-2 and its ends of the three pipes at 3-5, nothing
 * else of the server's (the other containers' descriptors among them).
 */
struct pipes {
  int sync[2], exec[2], result[2];
};

static void __attribute__((noreturn)) become_child(const struct plan *p, const int stdio[3], const struct pipes *pp,
                                                   pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* in a new pid namespace the parent reads as 0; a dead server also shows at OP_SYNC */
  if (getppid() != parent && getppid() != 0) _exit(127);
  int keep[6] = {stdio[0], stdio[1], stdio[2], pp->sync[0], pp->exec[1], pp->result[1]};
  int high[6];
  /* out of the way first, then into place: a number may be one of 0-5 */
  for (int i = 0; i < 6; i++) high[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 64);
  _Static_assert(CHILD_SYNC_FD == 3 && CHILD_EXEC_FD == 4 && CHILD_RESULT_FD == 5, "the pipes follow stdio");
  for (int i = 0; i < 6; i++) {
    if (high[i] < 0 || dup3(high[i], i, i < 3 ? 0 : O_CLOEXEC) < 0) _exit(127);
  }
  if (close_from(6, 0) < 0) child_fail(0, errno);
  child_main(p, spare_net_taken);
}

/* The container's cgroup directories, for the server to remove should the JVM die first. */
static void remember_cgroups(struct container *c, const struct plan *p) {
  if (p->steps[0].op != OP_CLONE) return; /* an exec's are its container's */
  for (uint32_t i = 0; i < p->nsteps && c->ncgroups < MAX_CGROUPS; i++) {
    const struct step *s = &p->steps[i];
    const char *dir = NULL;
    size_t len = 0;
    if (i == 0 && s->nstrs > 0 && s->strs[0][0] != '\0') {
      dir = s->strs[0];
      len = strlen(dir);
    } else if (s->op == OP_JOIN_CGROUP && s->nstrs > 0) {
      const char *slash = strrchr(s->strs[0], '/'); /* <dir>/cgroup.procs */
      dir = s->strs[0];
      len = slash == NULL ? 0 : (size_t)(slash - dir);
    }
    if (dir == NULL || len == 0) continue;
    char *copy = strndup(dir, len);
    int seen = 0;
    for (int k = 0; copy != NULL && k < c->ncgroups; k++) seen |= strcmp(c->cgroups[k], copy) == 0;
    if (copy != NULL && !seen) {
      c->cgroups[c->ncgroups++] = copy;
    } else {
      free(copy);
    }
  }
}

/*
 * The clone and the server's steps of the plan, up to SYNC. Returns -1 with the report filled
 * (the child, if there is one, is c->child: the caller ends it).
 */
int clone_and_prepare(struct container *c, const struct plan *p, const int stdio[3], struct report *r) {
  struct pipes pp;
  if (pipe2(pp.sync, O_CLOEXEC) < 0 || pipe2(pp.exec, O_CLOEXEC | O_NONBLOCK) < 0 ||
      pipe2(pp.result, O_CLOEXEC | O_NONBLOCK) < 0) {
    return fail_with(r, 0, errno, 0);
  }
  const struct step *steps = p->steps;
  c->exec_fd = pp.exec[0];
  c->result_fd = pp.result[0];
  /*
   * Dumpable while it clones (the server is not): the clone inherits the flag, and the kernel
   * gives a non-dumpable process's /proc files, the clone's uid_map among them, to root. The
   * child drops it at SYNC, before the container can run code.
   */
  int enter = steps[0].op == OP_ENTER;
  /* not an exec's: it writes no id map, and the container's processes must never ptrace it */
  if (!enter) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  pid_t parent = getpid();
  int joined;
  if (!enter) take_spare_net(&steps[0]);
  c->child = enter ? enter_child(&steps[0], &joined) : clone_child(&steps[0], &joined);
  if (c->child == 0) become_child(p, stdio, &pp, parent);
  int e = errno;
  leave_spare_net();
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  close(pp.exec[1]);
  close(pp.result[1]);
  close(pp.sync[0]);
  int go = pp.sync[1];
  int r0 = 0;
  if (c->child < 0) {
    r0 = fail_with(r, 0, e, 0);
  } else if (!joined) {
    char procs[4096];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", steps[0].strs[0]);
    if (join_cgroup(c->child, procs) < 0) r0 = fail_with(r, 0, errno, 0);
  }
  /*
   * Its namespaces, opened while it is still dumpable (until its SYNC): an exec joins them
   * through these, since the kernel lets no ordinary user open or setns (by pidfd) the
   * namespaces of a process that is not dumpable, as the container's init never again is. The
   * mount namespace's also holds its teardown (an unmount of every mount, which waits for an RCU
   * grace period) until the exit report has gone, instead of before it. A namespace that cannot
   * be opened only leaves an exec without it (it fails).
   */
  for (int i = 0; r0 == 0 && !enter && i < NS_HELD; i++) {
    if (steps[0].ints[0] & (uint64_t)ns_flags[i]) {
      char ns[64];
      snprintf(ns, sizeof ns, "/proc/%d/ns/%s", (int)c->child, ns_names[i]);
      c->ns[i] = open(ns, O_RDONLY | O_CLOEXEC);
    }
  }
  remember_cgroups(c, p);
  for (uint32_t i = 1; r0 == 0 && i < p->nsteps; i++) {
    const struct step *s = &steps[i];
    int32_t index = (int32_t)i;
    switch (s->op) {
      case OP_WRITE_PROC:
        if (write_proc(c->child, s) < 0) r0 = fail_with(r, index, errno, 0);
        break;
      case OP_RUN_HELPER: r0 = run_helper(c->child, s, index, r); break;
      case OP_NET_HELPER: r0 = start_net_helper(c, s, index, r); break;
      case OP_NET_FORWARD: r0 = net_forward(s, index, r); break;
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
        i = p->nsteps;
        break;
      default: break;
    }
  }
  close(go); /* without the byte: the child ends at its SYNC */
  return r0;
}

