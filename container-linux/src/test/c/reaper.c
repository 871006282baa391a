/*
 * Test helper for ESC-04 (parent death during setup): a child subreaper that runs a JVM, kills it
 * when told, optionally kills the launchers it leaves behind (they are reparented here), and then
 * checks that every container process dies on its own.
 *   reaper DELAY_MS KILL_LAUNCHERS TIMEOUT_MS COMMAND [ARG...]
 * Runs COMMAND with its stdout on a pipe, waits for it to print a line "go", waits DELAY_MS, and
 * SIGKILLs it. With KILL_LAUNCHERS=1 it then SIGKILLs every orphan in this pid namespace (the
 * launchers; container processes are in pid namespaces of their own and are left alone). Every
 * process that is left must end within TIMEOUT_MS: prints "clean", or "survivor ..." lines for
 * those that did not (which it then kills: they are its children), and exits 0 either way.
 * Only ever signals its own children.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads /proc/PID/status: the parent, and how many pid namespaces deep the process is. */
static int status_of(int pid, int *ppid, int *depth, char *name, size_t size) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  *ppid = -1;
  *depth = 0;
  name[0] = '\0';
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Name:", 5) == 0) {
      snprintf(name, size, "%s", line + 6);
      name[strcspn(name, "\n")] = '\0';
    } else if (strncmp(line, "PPid:", 5) == 0) {
      *ppid = atoi(line + 5);
    } else if (strncmp(line, "NSpid:", 6) == 0) {
      for (char *tok = strtok(line + 6, " \t\n"); tok != NULL; tok = strtok(NULL, " \t\n")) (*depth)++;
    }
  }
  fclose(f);
  return 0;
}

/* Signals the children of this process: all of them, or only those in this pid namespace. */
static int signal_children(int only_same_ns, int report) {
  int self = getpid(), count = 0;
  DIR *d = opendir("/proc");
  if (d == NULL) return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    int pid = atoi(e->d_name);
    int ppid, depth;
    char name[64];
    if (pid <= 0 || status_of(pid, &ppid, &depth, name, sizeof name) < 0 || ppid != self) continue;
    if (only_same_ns && depth != 1) continue;
    if (report) {
      char path[64], cmd[128] = "";
      snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
      FILE *f = fopen(path, "r");
      if (f != NULL) {
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        for (size_t i = 0; i < n; i++) if (cmd[i] == '\0') cmd[i] = ' ';
        cmd[n] = '\0';
        fclose(f);
      }
      printf("survivor pid=%d name=%s nsdepth=%d cmdline=%s\n", pid, name, depth, cmd);
    }
    kill(pid, SIGKILL);
    count++;
  }
  closedir(d);
  return count;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: reaper DELAY_MS KILL_LAUNCHERS TIMEOUT_MS COMMAND [ARG...]\n");
    return 2;
  }
  long delay = atol(argv[1]), timeout = atol(argv[3]);
  int kill_launchers = atoi(argv[2]);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    perror("PR_SET_CHILD_SUBREAPER");
    return 2;
  }
  int out[2];
  if (pipe(out) < 0) return 2;
  pid_t jvm = fork();
  if (jvm == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execvp(argv[4], argv + 4);
    perror("exec");
    _exit(127);
  }
  close(out[1]);
  FILE *in = fdopen(out[0], "r");
  char line[256];
  int went = 0;
  while (fgets(line, sizeof line, in) != NULL) {
    if (strcmp(line, "go\n") == 0) {
      went = 1;
      break;
    }
  }
  if (!went) {
    printf("no go from the command\n");
  }
  usleep((useconds_t)(delay * 1000));
  kill(jvm, SIGKILL);
  while (waitpid(jvm, NULL, 0) < 0 && errno == EINTR) {
  }
  fclose(in);
  /* the JVM is gone: its children (the launchers) are now ours */
  int launchers = kill_launchers ? signal_children(1, 0) : 0;
  printf("killed the jvm%s (%d launchers)\n", kill_launchers ? " and its launchers" : "", launchers);
  fflush(stdout);

  long deadline = now_ms() + timeout;
  int survivors = 0, reaped = 0;
  for (;;) {
    pid_t p = waitpid(-1, NULL, WNOHANG | __WALL);
    if (p > 0) {
      reaped++;
      continue;
    }
    if (p < 0 && errno == ECHILD) break;
    if (now_ms() > deadline) {
      survivors += signal_children(0, 1);
      if (now_ms() > deadline + 5000) break;
    }
    usleep(10000);
  }
  printf("reaped %d\n", reaped);
  printf(survivors == 0 ? "clean\n" : "survivors %d\n", survivors);
  return 0;
}
