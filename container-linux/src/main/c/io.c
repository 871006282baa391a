/* Descriptors and messages: what the server, the monitor and the child all use. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

int fail_with(struct report *r, int32_t step, int err, int32_t value) {
  r->step = step;
  r->err = err;
  r->value = value;
  return -1;
}

void write_all(int fd, const void *buf, size_t len) {
  /* EPIPE (signal ignored): the JVM is gone or gave up on the container; nothing to tell */
  while (write(fd, buf, len) < 0 && errno == EINTR) {
  }
}

void send_msg(int fd, int32_t type, int32_t step, int32_t err, int32_t value) {
  struct wire_msg m = {type, step, err, value};
  write_all(fd, &m, sizeof m);
}

void send_failure(int fd, const struct report *r) {
  if (r->text_len > 0) {
    /* in one write with its text: the JVM reads a message at a time */
    char buf[sizeof(struct wire_msg) + sizeof r->text];
    struct wire_msg head = {MSG_TEXT, 0, 0, (int32_t)r->text_len};
    memcpy(buf, &head, sizeof head);
    memcpy(buf + sizeof head, r->text, r->text_len);
    write_all(fd, buf, sizeof head + r->text_len);
  }
  send_msg(fd, MSG_FAILED, r->step, r->err, r->value);
}

ssize_t read_full_at(int fd, void *buf, size_t len) {
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

ssize_t read_full(int fd, void *buf, size_t len) {
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

/* Marks every descriptor from the lowest up close-on-exec, or closes it. */
int close_from(int lowest, int cloexec) {
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

const char *str_or_null(const char *s) { return s[0] == '\0' ? NULL : s; }
