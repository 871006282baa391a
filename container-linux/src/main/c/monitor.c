/*
 * The monitor: a fork of the server for one container that keeps the host's pid namespace. No
 * init of the container's own ends its orphans, so the monitor adopts them as their subreaper
 * and kills them when the container's first process ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

/* Becomes the monitor of one container: nothing of the server's, and the subreaper. */
void become_monitor(void) {
  /* first: the epoll instance is the server's, shared since the fork; nothing may leave it */
  close(server.epoll_fd);
  server.epoll_fd = -1;
  while (server.containers != NULL) release(server.containers); /* this process's copies only */
  close(server.socket_fd);
  no_spares(); /* the spare is the server's: a copy here could go to a second container */
  server.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  watch_fd(server.sigchld_fd, &server.on_sigchld);
  server.one_container = 1;
  prctl(PR_SET_NAME, "isola-monitor", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/*
 * Ends the processes a monitor adopted. With the host's pid namespace the kernel ends nothing
 * when the container's first process ends: its orphans (a daemon that left the session, a
 * process whose parent died) come to the monitor, their subreaper, and are killed here, again
 * and again until none is left, since killing one hands its children over too.
 */
void end_adopted(void) {
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

