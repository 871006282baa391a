/*
 * The network helper of a container with a user-mode network: pasta (passt project) or
 * slirp4netns, started by the server before the container's command may run, against the
 * namespaces the server holds of it. It gets them as its own descriptors (/proc/self/fd/N): an ordinary user could not open
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
#include <sys/socket.h>
#include <sys/un.h>
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
  /* a slirp4netns that made its API socket before it failed leaves its path: NET_FORWARD won't run */
  for (uint32_t i = 0; i < s->nstrs; i++) {
    if (strncmp(s->strs[i], "--api-socket=", 13) == 0) unlink(s->strs[i] + 13);
  }
  ssize_t len = pread(err, r->text, sizeof r->text, 0);
  close(err);
  while (len > 0 && (r->text[len - 1] == '\n' || r->text[len - 1] == ' ')) len--;
  r->text_len = len > 0 ? (size_t)len : 0;
  if (n == 0) return fail_with(r, index, ETIMEDOUT, 0);
  return fail_with(r, index, 0, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* One request on slirp4netns's API socket, which answers each connection once; 0 if it said "return". */
static int api_request(const char *path, const char *request, char *reply, size_t size) {
  reply[0] = '\0';
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  size_t len = strlen(request);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 || write(fd, request, len) != (ssize_t)len) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  shutdown(fd, SHUT_WR);
  size_t got = 0;
  struct pollfd p = {fd, POLLIN, 0};
  while (got < size - 1 && poll(&p, 1, READY_TIMEOUT_MS) == 1) {
    ssize_t n = read(fd, reply + got, size - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  reply[got] = '\0';
  close(fd);
  errno = EPROTO;
  return strstr(reply, "\"return\"") != NULL ? 0 : -1;
}

/*
 * Publishes ports through slirp4netns's API socket (strs[0]), one add_hostfwd request each
 * (strs[1..]), before the command may run; then removes the socket's path, which nothing needs
 * again, so that no file of it is left. A refusal (a port in use) is reported in slirp's words.
 */
int net_forward(const struct step *s, int32_t index, struct report *r) {
  int rc = 0;
  for (uint32_t i = 1; rc == 0 && i < s->nstrs; i++) {
    char reply[sizeof r->text];
    if (api_request(s->strs[0], s->strs[i], reply, sizeof reply) < 0) {
      int e = errno;
      size_t len = strlen(reply);
      memcpy(r->text, reply, len);
      r->text_len = len;
      rc = fail_with(r, index, len > 0 ? 0 : e, len > 0 ? 1 : 0);
    }
  }
  unlink(s->strs[0]);
  return rc;
}
