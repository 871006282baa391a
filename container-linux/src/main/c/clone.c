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
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  pid_t parent = getpid();
  int joined;
  take_spare_net(&steps[0]);
  c->child = clone_child(&steps[0], &joined);
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
  for (uint32_t i = 1; r0 == 0 && i < p->nsteps; i++) {
    const struct step *s = &steps[i];
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
        i = p->nsteps;
        break;
      default: break;
    }
  }
  close(go); /* without the byte: the child ends at its SYNC */
  return r0;
}

