/*
 * Host side of the terminal tests (TTY-01): a terminal like the one a user's shell sits on.
 *   ptyhost ctty [COMMAND...]   a new session whose controlling terminal is a new pty (as a
 *                               login shell's); COMMAND runs in it, in the foreground, with the
 *                               terminal as its stdin (as a program a user starts in a shell)
 *   ptyhost plain               a new pty that is no session's controlling terminal (a daemon's)
 * The slave is in raw mode, without echo, so that every byte pushed into its input queue stays
 * there. Prints the slave's path and "ready", proves that TIOCSTI works on it from the session
 * that owns it (ctty only: "selftest N" bytes queued), then waits for COMMAND to end, or else
 * for a line on stdin, and prints "queued N HEX": what reached the terminal's input queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

static ssize_t drain(int fd, char *buf, size_t size) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ssize_t total = 0, n;
  while ((size_t)total < size && (n = read(fd, buf + total, size - (size_t)total)) > 0) total += n;
  fcntl(fd, F_SETFL, flags);
  return total;
}

int main(int argc, char **argv) {
  int ctty = argc > 1 && strcmp(argv[1], "ctty") == 0;
  if (ctty && setsid() < 0) {
    printf("error setsid %d\n", errno);
    return 1;
  }
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
    printf("error openpt %d\n", errno);
    return 1;
  }
  const char *name = ptsname(master);
  /* a session leader without a terminal acquires the first one it opens without O_NOCTTY */
  int slave = open(name, O_RDWR | O_CLOEXEC | (ctty ? 0 : O_NOCTTY));
  if (slave < 0) {
    printf("error open %d\n", errno);
    return 1;
  }
  if (ctty && tcgetsid(slave) != getsid(0)) {
    printf("error not-the-controlling-terminal\n");
    return 1;
  }
  struct termios t;
  tcgetattr(slave, &t);
  cfmakeraw(&t);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  tcsetattr(slave, TCSANOW, &t);
  char buf[256];
  if (ctty) {
    /* the owner of the terminal can inject: the kernel allows TIOCSTI here, so a miss means a block */
    char c = 'Z';
    if (ioctl(slave, TIOCSTI, &c) < 0) {
      printf("error selftest %d\n", errno);
      return 1;
    }
    printf("selftest %zd\n", drain(slave, buf, sizeof buf));
  }
  printf("%s\nready\n", name);
  fflush(stdout);
  if (ctty && argc > 2) {
    pid_t pid = fork();
    if (pid == 0) {
      dup2(slave, 0);
      execvp(argv[2], argv + 2);
      printf("error exec %d\n", errno);
      _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    fflush(stdout);
  } else {
    char line[16];
    if (fgets(line, sizeof line, stdin) == NULL) return 1;
  }
  ssize_t n = drain(slave, buf, sizeof buf);
  printf("queued %zd ", n);
  for (ssize_t i = 0; i < n; i++) printf("%02x", (unsigned char)buf[i]);
  printf("\n");
  return 0;
}
