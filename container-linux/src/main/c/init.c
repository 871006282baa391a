/* The INIT step: the container's pid 1, which starts the command and stays to reap. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

/*
 * pid 1 of the container: passes signals on to the command and reaps everything. The kernel
 * drops a signal for a namespace's init that has no handler for it, unless it is blocked: a
 * blocked signal is never ignored (it could have a handler by the time it is unblocked). So the
 * init keeps every signal blocked, with no handler at all, and takes them with sigwaitinfo.
 */
static void __attribute__((noreturn)) run_init(pid_t command, sigset_t *all) {
  close(CHILD_EXEC_FD);
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
        while (write(CHILD_RESULT_FD, &st, sizeof st) < 0 && errno == EINTR) {
        }
        _exit(0); /* as pid 1, this ends every process left in the namespace */
      }
    }
  }
}

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
  close(CHILD_RESULT_FD);
  run_child(c->next);
}

void do_init(const struct plan *p, const struct step *s, int32_t index) {
  struct command_start c = {getpid(), (uint32_t)index + 1, {{0}}};
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &c.old);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* the bounding set, once for both: what neither keeps (see bounding_left in child.c) */
  for (uint32_t i = (uint32_t)index + 1; i < p->nsteps; i++) {
    if (p->steps[i].op == OP_DROP_CAPS) {
      if (drop_bounding_for_both(s->ints[0] | p->steps[i].ints[0]) < 0) child_fail(index, errno);
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
  if (drop_caps(s->ints[0]) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    child_fail(index, e);
  }
  run_init(pid, &all);
}

