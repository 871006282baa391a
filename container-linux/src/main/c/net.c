/*
 * The network helper of a container with a user-mode network: pasta (passt project), started by
 * the server before the container's command may run, against the namespaces the server holds of
 * it. It gets them as its own descriptors (/proc/self/fd/N): an ordinary user could not open
 * those of the container's init, which is not dumpable. It runs in the foreground as the
 * server's child, with the parent-death signal, and is killed when the container ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

/* The helper's descriptors: the container's network and user namespaces, the ready pipe. */
enum { HELPER_NET_FD = 3, HELPER_USER_FD = 4, HELPER_READY_FD = 5 };
#define READY_TIMEOUT_MS 10000

static void __attribute__((noreturn)) exec_helper(const struct container *c, char **argv, int ready, int err) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int keep[6] = {null, null, err, c->ns[NS_NET], c->ns[NS_USER] >= 0 ? c->ns[NS_USER] : null, ready};
  int high[6];
  for (int i = 0; i < 6; i++) high[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 64);
  for (int i = 0; i < 6; i++) {
    if (high[i] < 0 || dup3(high[i], i, 0) < 0) _exit(127);
  }
  if (close_from(6, 0) < 0) _exit(127);
  char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  execve(argv[0], argv, envp);
  dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
  _exit(127);
}

/*
 * Starts the helper and waits until it says it is ready (it writes its pid to %ready); on
 * failure its words and exit status are reported, and nothing of it is left.
 */
int start_net_helper(struct container *c, const struct step *s, int32_t index, struct report *r) {
  if (c->ns[NS_NET] < 0) return fail_with(r, index, EBADF, 0);
  char **argv = calloc(s->nstrs + 1, sizeof *argv);
  if (argv == NULL) return fail_with(r, index, ENOMEM, 0);
  char netns[32], userns[32], readyfd[32];
  snprintf(netns, sizeof netns, "/proc/self/fd/%d", HELPER_NET_FD);
  snprintf(userns, sizeof userns, "/proc/self/fd/%d", HELPER_USER_FD);
  snprintf(readyfd, sizeof readyfd, "/proc/self/fd/%d", HELPER_READY_FD);
  for (uint32_t i = 0; i < s->nstrs; i++) {
    const char *a = s->strs[i];
    argv[i] = strcmp(a, "%netns") == 0 ? netns : strcmp(a, "%userns") == 0 ? userns : strcmp(a, "%ready") == 0 ? readyfd : s->strs[i];
  }
  int ready[2] = {-1, -1};
  /* its words go to a memfd, which never fills up and blocks it as a pipe could */
  int err = memfd_create("isola-net-helper", MFD_CLOEXEC);
  if (err < 0 || pipe2(ready, O_CLOEXEC) < 0) {
    int e = errno;
    free(argv);
    if (err >= 0) close(err);
    return fail_with(r, index, e, 0);
  }
  pid_t h = fork();
  if (h == 0) exec_helper(c, argv, ready[1], err);
  int e = errno;
  free(argv);
  close(ready[1]);
  if (h < 0) {
    close(ready[0]);
    close(err);
    return fail_with(r, index, e, 0);
  }
  struct pollfd p = {ready[0], POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, READY_TIMEOUT_MS)) < 0 && errno == EINTR) {
  }
  char pid[16];
  int ok = n == 1 && read(ready[0], pid, sizeof pid) > 0;
  close(ready[0]);
  if (ok) {
    close(err);
    c->net_helper = h;
    return 0;
  }
  kill(h, SIGKILL);
  int status;
  while (waitpid(h, &status, 0) < 0 && errno == EINTR) {
  }
  ssize_t len = pread(err, r->text, sizeof r->text, 0);
  close(err);
  while (len > 0 && (r->text[len - 1] == '\n' || r->text[len - 1] == ' ')) len--;
  r->text_len = len > 0 ? (size_t)len : 0;
  if (n == 0) return fail_with(r, index, ETIMEDOUT, 0);
  return fail_with(r, index, 0, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
