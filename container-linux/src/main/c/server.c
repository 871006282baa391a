/*
 * The launch server ("isola-launcher --server"), started once per JVM: one event loop for the
 * requests, each container's exec pipe (its start) and control pipe (signals, close), the end of
 * every child and the time limits. A monitor (monitor.c) runs the same loop for one container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

struct server server = {
    .epoll_fd = -1,
    .sigchld_fd = -1,
    .socket_fd = -1,
    .on_socket = {NULL, WATCH_SERVER},
    .on_sigchld = {NULL, WATCH_SIGCHLD},
};

void watch_fd(int fd, struct watch *w) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
  epoll_ctl(server.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void close_watched(int *fd) {
  if (*fd < 0) return;
  epoll_ctl(server.epoll_fd, EPOLL_CTL_DEL, *fd, NULL);
  close(*fd);
  *fd = -1;
}

int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void release(struct container *c) {
  for (struct container **p = &server.containers; *p != NULL; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      break;
    }
  }
  if (c->net_helper > 0) kill(c->net_helper, SIGKILL); /* reaped with the other children */
  close_watched(&c->exec_fd);
  close_watched(&c->control);
  if (c->result_fd >= 0) close(c->result_fd);
  if (c->cpu_usage_fd >= 0) close(c->cpu_usage_fd);
  for (int i = 0; i < NS_HELD; i++)
    if (c->ns[i] >= 0) close(c->ns[i]);
  for (int i = 0; i < c->ncgroups; i++) free(c->cgroups[i]);
  close(c->status); /* last: its end tells the JVM that all of the container is gone */
  free(c);
}

static void kill_and_reap(pid_t child) {
  kill(child, SIGKILL);
  while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR) {
  }
}

/* Tells the JVM the command runs (or ran), and then of a limit that killed it before that. */
static void report_started(struct container *c) {
  send_msg(c->status, MSG_STARTED, 0, (int32_t)getpid(), (int32_t)c->child);
  if (c->limit_hit) send_msg(c->status, MSG_LIMIT, 0, 0, c->limit_hit);
}

/*
 * The first process the container had, reaped: its exit (or its failure to start) goes to the
 * JVM. With the host's pid namespace, its orphans go first.
 */
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
      report_started(c);
    }
  }
  if (server.one_container) end_adopted();
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
  report_started(c);
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

/* Reaps every child that ended: containers' first processes, and forked monitors. */
static void on_sigchld(void) {
  struct signalfd_siginfo si;
  while (read(server.sigchld_fd, &si, sizeof si) > 0) {
  }
  int status;
  struct rusage ru;
  pid_t p;
  while ((p = wait4(-1, &status, WNOHANG | __WALL, &ru)) > 0) {
    for (struct container *c = server.containers; c != NULL; c = c->next) {
      if (c->child == p) {
        finish(c, status, &ru);
        break;
      }
      if (c->net_helper == p) {
        /* the container runs on, without its network: the JVM says so */
        c->net_helper = 0;
        send_msg(c->status, MSG_HELPER_ENDED, 0, (int32_t)p, status);
        break;
      }
    }
  }
}

/* Starts a container; takes the six descriptors (0-3 are closed once the clone has its own). */
static void start_container(const int fds[LAUNCH_FDS]) {
  struct container *c = calloc(1, sizeof *c);
  if (c == NULL) {
    send_msg(fds[FD_STATUS], MSG_FAILED, -1, ENOMEM, 0);
    for (int i = 0; i < LAUNCH_FDS; i++) close(fds[i]);
    return;
  }
  c->status = fds[FD_STATUS];
  c->control = fds[FD_CONTROL];
  c->child = c->exec_fd = c->result_fd = c->cpu_usage_fd = -1;
  for (int i = 0; i < NS_HELD; i++) c->ns[i] = -1;
  c->wall_limit_ms = c->cpu_limit_us = -1;
  c->started_ms = now_ms();
  struct report r;
  memset(&r, 0, sizeof r);
  struct plan plan;
  int ok = read_plan(fds[FD_PLAN], &plan, &r) == 0;
  if (ok && plan.steps[0].op == OP_CLONE && !(plan.steps[0].ints[0] & CLONE_NEWPID) && !server.one_container) {
    pid_t m = fork();
    if (m < 0) ok = fail_with(&r, -1, errno, 6) == 0;
    if (m > 0) {
      /* the monitor goes on with this container; the server forgets it */
      for (int i = 0; i < LAUNCH_FDS; i++) close(fds[i]);
      free(c);
      free_plan(&plan);
      return;
    }
    if (m == 0) become_monitor();
  }
  if (ok) ok = clone_and_prepare(c, &plan, fds, &r) == 0;
  free_plan(&plan);
  for (int i = 0; i <= FD_PLAN; i++) close(fds[i]);
  if (!ok) {
    if (c->child > 0) kill_and_reap(c->child);
    send_failure(c->status, &r);
    release(c);
    if (server.one_container) _exit(1);
    return;
  }
  fcntl(c->control, F_SETFL, O_NONBLOCK);
  c->on_exec = (struct watch){c, WATCH_EXEC};
  c->on_control = (struct watch){c, WATCH_CONTROL};
  watch_fd(c->exec_fd, &c->on_exec);
  watch_fd(c->control, &c->on_control);
  c->next = server.containers;
  server.containers = c;
  if (server.one_container) run_loop(); /* the server's loop and its events are not the monitor's */
}

/*
 * The JVM is gone, killed before it could close its containers: nothing of them may outlive it,
 * their cgroups included, which the JVM removes after each container's end. Kills each, reaps it,
 * removes its cgroup directories (an empty cgroup goes at once; a dying one, within moments), and
 * ends, within a few seconds at most.
 */
static void __attribute__((noreturn)) jvm_gone(void) {
  for (struct container *c = server.containers; c != NULL; c = c->next) {
    if (c->child > 0) kill(c->child, SIGKILL);
  }
  int64_t deadline = now_ms() + 4000;
  while (server.containers != NULL && now_ms() < deadline) {
    int status;
    pid_t p = waitpid(-1, &status, WNOHANG | __WALL);
    if (p < 0 && errno != EINTR) break;
    if (p <= 0) {
      struct timespec pause = {0, 5 * 1000 * 1000};
      nanosleep(&pause, NULL);
      continue;
    }
    for (struct container *c = server.containers; c != NULL; c = c->next) {
      if (c->child != p) continue;
      for (int i = c->ncgroups - 1; i >= 0; i--) {
        for (int tries = 0; rmdir(c->cgroups[i]) < 0 && errno == EBUSY && tries < 200; tries++) {
          struct timespec pause = {0, 5 * 1000 * 1000};
          nanosleep(&pause, NULL);
        }
      }
      release(c);
      break;
    }
  }
  _exit(0);
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
  ssize_t n = recvmsg(server.socket_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
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
void serve(void) {
  signal(SIGPIPE, SIG_IGN); /* a JVM that went away must not kill the server mid-report */
  prctl(PR_SET_NAME, "isola-server", 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /*
   * Nor the JVM's umask (REL-08): the directories the plan creates get the modes it names, and
   * the command starts with the umask of Docker and runc.
   */
  umask(022);
  server.socket_fd = SERVER_SOCKET_FD;
  if (close_from(SERVER_SOCKET_FD + 1, 0) < 0) _exit(1);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  server.sigchld_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  server.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (server.sigchld_fd < 0 || server.epoll_fd < 0) _exit(1);
  watch_fd(server.socket_fd, &server.on_socket);
  watch_fd(server.sigchld_fd, &server.on_sigchld);
  spares_init();
  run_loop();
}

void run_loop(void) {
  for (;;) {
    if (server.one_container && server.containers == NULL) _exit(0);
    int timeout = check_limits();
    struct epoll_event ev[64];
    int n = epoll_wait(server.epoll_fd, ev, 64, 0);
    /* nothing to do: time to make a spare network namespace */
    if (n == 0 && spares_refill()) n = epoll_wait(server.epoll_fd, ev, 64, 0);
    if (n == 0) n = epoll_wait(server.epoll_fd, ev, 64, timeout);
    int reap = 0;
    for (int i = 0; i < n; i++) {
      struct watch *w = ev[i].data.ptr;
      switch (w->kind) {
        case WATCH_SERVER:
          if (!on_request()) jvm_gone();
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
