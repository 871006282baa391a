/*
 * Escape probe, run inside containers by the Escape*Test classes: each subcommand makes the
 * essential move of one catalog attack and prints one line per attempt, "LABEL ok [VALUE]" or
 * "LABEL errno NAME", so the test can tell a denial from a success.
 *   exe PID...           ESC-01: write the binary behind /proc/PID/exe, directly and by O_PATH reopen
 *   trace PID...         ESC-03: ptrace, process_vm_readv/writev, pidfd_getfd, kcmp, /proc/PID/{mem,fd,cwd,root}
 *   fds                  ESC-02: every open descriptor, its kind, and for a directory (and the working
 *                        directory) whether climbing ".." ends at this root ("inside") or elsewhere
 *   exchange A B MS [HOLD_A_US HOLD_B_US]
 *                        FS-01/02/05: swap A and B with renameat2(RENAME_EXCHANGE) for MS milliseconds,
 *                        back to back, or keeping each state that many microseconds
 *   write PATH TEXT      FS-11: open for writing and write TEXT
 *   read PATH...         FS-14: open and read to the end; prints the number of bytes
 *   create PATH          FS-10: create a new file
 *   mount SRC TGT TYPE FLAGS [DATA]   FS-10/12/13: mount(2) ("-" for NULL)
 *   umount PATH FLAGS    FS-10: umount2(2)
 *   fsopen TYPE          FS-12/13: the new mount API, fsopen(2)
 *   open_tree PATH       FS-10: open_tree(OPEN_TREE_CLONE)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif
#define OPEN_TREE_CLONE_ 1
#define F_GET_SEALS_ 1034

/* Prints "label ok VALUE" for r >= 0, else "label errno NAME"; returns r. */
static long report(const char *label, long r) {
  if (r < 0) {
    const char *name = strerrorname_np(errno);
    printf("%s errno %s\n", label, name ? name : "?");
  } else {
    printf("%s ok %ld\n", label, r);
  }
  fflush(stdout);
  return r;
}

static void exe(const char *pid) {
  char path[64], label[96], fdpath[64];
  snprintf(path, sizeof path, "/proc/%s/exe", pid);
  snprintf(label, sizeof label, "%s readlink", pid);
  char target[256];
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n >= 0) {
    target[n] = '\0';
    printf("%s ok %s\n", label, target);
  } else {
    report(label, -1);
  }
  int flags[] = {O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC};
  const char *names[] = {"wronly", "rdwr", "trunc"};
  for (int i = 0; i < 3; i++) {
    snprintf(label, sizeof label, "%s %s", pid, names[i]);
    int fd = (int)report(label, open(path, flags[i] | O_CLOEXEC));
    if (fd >= 0) close(fd);
  }
  snprintf(label, sizeof label, "%s path", pid);
  int p = (int)report(label, open(path, O_PATH | O_CLOEXEC));
  if (p < 0) return;
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", p);
  snprintf(label, sizeof label, "%s reopen-wronly", pid);
  int w = (int)report(label, open(fdpath, O_WRONLY | O_CLOEXEC));
  if (w >= 0) {
    /* write back the byte that is there: proves write access without changing anything */
    char c;
    int r = open(fdpath, O_RDONLY | O_CLOEXEC);
    if (r >= 0 && pread(r, &c, 1, 0) == 1) {
      snprintf(label, sizeof label, "%s write", pid);
      report(label, pwrite(w, &c, 1, 0));
    }
    if (r >= 0) close(r);
    close(w);
  }
  int r = open(fdpath, O_RDONLY | O_CLOEXEC);
  snprintf(label, sizeof label, "%s seals", pid);
  if (r >= 0) {
    report(label, fcntl(r, F_GET_SEALS_));
    close(r);
  } else {
    report(label, -1);
  }
  close(p);
}

static void trace(const char *arg) {
  pid_t pid = (pid_t)atoi(arg);
  char label[96], path[64];
  /* where an attach succeeds (the defence is missing), let the tracee go again: wait for its stop, detach */
  snprintf(label, sizeof label, "%d ptrace-attach", pid);
  if (report(label, ptrace(PTRACE_ATTACH, pid, 0, 0)) == 0) {
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, 0, 0);
  }
  snprintf(label, sizeof label, "%d ptrace-seize", pid);
  if (report(label, ptrace(PTRACE_SEIZE, pid, 0, 0)) == 0) {
    ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, 0, 0);
  }
  char buf[8];
  /* page 1 is never mapped: where access is allowed, the kernel answers EFAULT, and writes nothing */
  struct iovec local = {buf, sizeof buf}, remote = {(void *)0x1000, sizeof buf};
  snprintf(label, sizeof label, "%d process_vm_readv", pid);
  report(label, syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0));
  snprintf(label, sizeof label, "%d process_vm_writev", pid);
  report(label, syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 0));
  snprintf(label, sizeof label, "%d pidfd_open", pid);
  int pidfd = (int)report(label, syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    for (int fd = 0; fd < 16; fd++) {
      snprintf(label, sizeof label, "%d pidfd_getfd-%d", pid, fd);
      long got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
      if (got >= 0 || errno != EBADF) report(label, got);
      if (got >= 0) close((int)got);
    }
    close(pidfd);
  }
  snprintf(label, sizeof label, "%d kcmp", pid);
  report(label, syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, 0, 0));
  const char *files[] = {"mem", "environ", "fd/0", "exe"};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, files[i]);
    snprintf(label, sizeof label, "%d open-%s", pid, files[i]);
    int fd = (int)report(label, open(path, O_RDONLY | O_CLOEXEC));
    if (fd >= 0) close(fd);
  }
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  snprintf(label, sizeof label, "%d list-fd", pid);
  DIR *d = opendir(path);
  report(label, d == NULL ? -1 : 0);
  if (d != NULL) closedir(d);
  const char *links[] = {"cwd", "root"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, links[i]);
    snprintf(label, sizeof label, "%d %s", pid, links[i]);
    char target[256];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n >= 0) {
      target[n] = '\0';
      printf("%s ok %s\n", label, target);
    } else {
      report(label, -1);
    }
  }
}

/* For a directory descriptor: climbs ".." until it stops moving and compares that with "/". */
static const char *climb(int fd) {
  struct stat root, here, up;
  if (stat("/", &root) < 0) return "?";
  int cur = dup(fd);
  for (int i = 0; i < 4096; i++) {
    int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0 || fstat(cur, &here) < 0 || fstat(parent, &up) < 0) break;
    close(cur);
    cur = parent;
    if (here.st_dev == up.st_dev && here.st_ino == up.st_ino) break;
  }
  int inside = fstat(cur, &here) == 0 && here.st_dev == root.st_dev && here.st_ino == root.st_ino;
  close(cur);
  return inside ? "inside" : "OUTSIDE";
}

static void fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) {
    report("fds", -1);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == dirfd(d)) continue;
    struct stat st;
    char path[64], target[256] = "?";
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n >= 0) target[n] = '\0';
    const char *kind = fstat(fd, &st) < 0 ? "?" : S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file"
                       : S_ISFIFO(st.st_mode) ? "pipe" : S_ISCHR(st.st_mode) ? "chr" : S_ISSOCK(st.st_mode) ? "sock" : "other";
    printf("fd %d %s %s%s%s\n", fd, kind, target, S_ISDIR(st.st_mode) ? " " : "", S_ISDIR(st.st_mode) ? climb(fd) : "");
  }
  closedir(d);
  int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  printf("cwd %s\n", cwd < 0 ? "?" : climb(cwd));
}

static void exchange(const char *a, const char *b, const char *ms, long hold_a_us, long hold_b_us) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  struct timespec hold_a = {0, hold_a_us * 1000}, hold_b = {0, hold_b_us * 1000};
  long limit = atol(ms), swaps = 0, failures = 0;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) swaps++; else failures++;
      /* with holds, B's content stays under A's name for hold_b, then A's again for hold_a */
      if (hold_a_us > 0 || hold_b_us > 0) nanosleep(i % 2 == 0 ? &hold_b : &hold_a, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= limit) break;
  }
  printf("exchange ok %ld failed %ld\n", swaps, failures);
}

static const char *arg(const char *s) { return strcmp(s, "-") == 0 ? NULL : s; }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: escape exe|trace|fds|exchange|write|read|create|mount|umount|fsopen|open_tree ...\n");
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "exe") == 0) {
    for (int i = 2; i < argc; i++) exe(argv[i]);
  } else if (strcmp(cmd, "trace") == 0) {
    for (int i = 2; i < argc; i++) trace(argv[i]);
  } else if (strcmp(cmd, "fds") == 0) {
    fds();
  } else if (strcmp(cmd, "exchange") == 0 && (argc == 5 || argc == 7)) {
    exchange(argv[2], argv[3], argv[4], argc == 7 ? atol(argv[5]) : 0, argc == 7 ? atol(argv[6]) : 0);
  } else if (strcmp(cmd, "write") == 0 && argc == 4) {
    char label[300];
    snprintf(label, sizeof label, "write %s", argv[2]);
    int fd = open(argv[2], O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      report(label, -1);
    } else {
      report(label, write(fd, argv[3], strlen(argv[3])));
      close(fd);
    }
  } else if (strcmp(cmd, "read") == 0 && argc >= 3) {
    for (int i = 2; i < argc; i++) {
      char label[300], buf[4096];
      snprintf(label, sizeof label, "read %s", argv[i]);
      int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        report(label, -1);
        continue;
      }
      long total = 0, n;
      while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
      report(label, n < 0 ? n : total);
      close(fd);
    }
  } else if (strcmp(cmd, "create") == 0 && argc == 3) {
    char label[300];
    snprintf(label, sizeof label, "create %s", argv[2]);
    int fd = (int)report(label, open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd >= 0) close(fd);
  } else if (strcmp(cmd, "mount") == 0 && argc >= 6) {
    report("mount", mount(arg(argv[2]), argv[3], arg(argv[4]), strtoul(argv[5], NULL, 0), argc > 6 ? argv[6] : NULL));
  } else if (strcmp(cmd, "umount") == 0 && argc == 4) {
    report("umount", umount2(argv[2], (int)strtol(argv[3], NULL, 0)));
  } else if (strcmp(cmd, "fsopen") == 0 && argc == 3) {
    report("fsopen", syscall(SYS_fsopen, argv[2], 0));
  } else if (strcmp(cmd, "open_tree") == 0 && argc == 3) {
    report("open_tree", syscall(SYS_open_tree, AT_FDCWD, argv[2], OPEN_TREE_CLONE_));
  } else {
    fprintf(stderr, "escape: bad arguments\n");
    return 2;
  }
  return 0;
}
