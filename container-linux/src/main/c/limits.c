/* The time limits of the server's containers: wall time from the start, CPU time of the cgroup. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/* The CPU time of the whole container, in microseconds, from its cgroup; -1 if unreadable. */
static int64_t cpu_usage_us(const struct container *c) {
  char buf[512];
  ssize_t n = pread(c->cpu_usage_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = '\0';
  if (c->cpu_usage_format == USAGE_NANOSECONDS) return strtoll(buf, NULL, 10) / 1000;
  char *line = strstr(buf, "usage_usec ");
  return line == NULL ? -1 : strtoll(line + 11, NULL, 10);
}

static int64_t elapsed_ms(const struct container *c) { return now_ms() - c->started_ms; }

/*
 * How long the server may sleep before it must look at a container's limits again: until the
 * wall deadline, or until it could have used its remaining CPU time on every CPU.
 */
static int64_t limit_timeout_ms(const struct container *c) {
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
  c->killed = 1;
  c->limit_hit = which;
  /* before its start is reported, the JVM still reads the start's messages: it hears of the
     limit right after the start instead (report_started) */
  if (c->exec_fd < 0) send_msg(c->status, MSG_LIMIT, 0, 0, which);
}

/*
 * Looks at the limits of the containers whose time has come (a CPU limit costs a read of the
 * cgroup: not on every event of every container); returns how long the loop may sleep, -1 for
 * as long as it likes.
 */
int check_limits(void) {
  int64_t now = now_ms(), timeout = -1;
  for (struct container *c = server.containers; c != NULL; c = c->next) {
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
