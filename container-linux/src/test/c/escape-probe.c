/*
 * Escape probe for the network, process, cross-sandbox and reliability tests (catalog groups H,
 * I, J, M). Static, so that it runs in any root and on the host. One subcommand per run; each
 * prints one line per result, "ok ..." or "errno N", and exits 0 unless its arguments are wrong.
 * Subcommands that serve (listen, hold, watch) print "ready" once set up and run until their
 * stdin reaches end of file, printing a line per event.
 *
 *   tcp-connect ADDR PORT            connect(); ADDR is IPv4 or IPv6
 *   tcp-serve ADDR PORT              listen; "accepted" per connection
 *   udp-send ADDR PORT TEXT          sendto()
 *   udp-serve ADDR PORT              "received TEXT" per datagram
 *   abstract-connect NAME            connect() to the abstract unix socket @NAME
 *   abstract-serve NAME              bind @NAME, listen; "accepted" per connection
 *   socket DOMAIN TYPE PROTOCOL      socket(); numbers
 *   ipc-put KEY TOKEN                SysV shm, msg queue and semaphore under KEY, holding TOKEN
 *   ipc-get KEY                      what of those the caller can find, and the token
 *   mq-put NAME TOKEN / mq-get NAME  a POSIX message queue /NAME
 *   key-put DESC TOKEN / key-get DESC   a "user" key in the user keyring, by description
 *   flock-hold PATH                  an exclusive flock() on PATH opened read-only
 *   flock-try PATH                   a non-blocking exclusive flock(): ok, or errno 11 if held
 *   lease PATH                       fcntl(F_SETLEASE, F_RDLCK) on PATH opened read-only
 *   inotify-watch PATH               "event MASK" per open/access of PATH
 *   kill PID SIG                     kill(); also: setpriority PID, affinity PID, ioprio PID
 *   pdeathsig                        prctl(PR_GET_PDEATHSIG)
 *   as-uid UID GID PROG ARG...       setgroups(0), setresgid, setresuid, then exec PROG
 *   umask                            the umask, in octal
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int result(long r) {
  if (r < 0) {
    printf("errno %d\n", errno);
  } else {
    printf("ok %ld\n", r);
  }
  return 0;
}

static socklen_t inet_address(const char *addr, const char *port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((unsigned short)atoi(port));
    return sizeof *in4;
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((unsigned short)atoi(port));
    return sizeof *in6;
  }
  fprintf(stderr, "not an address: %s\n", addr);
  exit(2);
}

static socklen_t abstract_address(const char *name, struct sockaddr_un *un) {
  memset(un, 0, sizeof *un);
  un->sun_family = AF_UNIX;
  size_t n = strlen(name);
  if (n + 1 > sizeof un->sun_path) exit(2);
  memcpy(un->sun_path + 1, name, n); /* sun_path[0] = '\0': the abstract namespace */
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* Until stdin ends: calls on_ready(fd) whenever fd is readable. */
static void serve(int fd, void (*on_ready)(int)) {
  printf("ready\n");
  fflush(stdout);
  struct pollfd fds[2] = {{0, POLLIN, 0}, {fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) on_ready(fd);
    if (fds[0].revents) {
      char buf[64];
      if (read(0, buf, sizeof buf) <= 0) break;
    }
  }
}

static void accept_one(int fd) {
  int c = accept(fd, NULL, NULL);
  if (c >= 0) {
    printf("accepted\n");
    fflush(stdout);
    close(c);
  }
}

static void receive_one(int fd) {
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  if (n >= 0) {
    buf[n] = '\0';
    printf("received %s\n", buf);
    fflush(stdout);
  }
}

static void inotify_one(int fd) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  ssize_t n = read(fd, buf, sizeof buf);
  for (char *p = buf; n > 0 && p < buf + n;) {
    struct inotify_event *e = (struct inotify_event *)p;
    printf("event 0x%x\n", e->mask);
    p += sizeof *e + e->len;
  }
  fflush(stdout);
}

static void wait_for_stdin_end(void) {
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
}

struct token_msg {
  long type;
  char text[64];
};

static int ipc_put(key_t key, const char *token) {
  int shm = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0666);
  if (shm < 0) return result(-1);
  char *mem = shmat(shm, NULL, 0);
  if (mem == (void *)-1) return result(-1);
  snprintf(mem, 4096, "%s", token);
  int msg = msgget(key, IPC_CREAT | IPC_EXCL | 0666);
  if (msg < 0) return result(-1);
  struct token_msg m = {1, ""};
  snprintf(m.text, sizeof m.text, "%s", token);
  if (msgsnd(msg, &m, sizeof m.text, IPC_NOWAIT) < 0) return result(-1);
  int sem = semget(key, 1, IPC_CREAT | IPC_EXCL | 0666);
  if (sem < 0) return result(-1);
  if (semctl(sem, 0, SETVAL, 42) < 0) return result(-1);
  printf("ok shm %d msg %d sem %d\n", shm, msg, sem);
  return 0;
}

static int ipc_get(key_t key) {
  int shm = shmget(key, 0, 0);
  if (shm < 0) {
    printf("shm errno %d\n", errno);
  } else {
    char *mem = shmat(shm, NULL, SHM_RDONLY);
    printf("shm %s\n", mem == (void *)-1 ? "unreadable" : mem);
  }
  int msg = msgget(key, 0);
  if (msg < 0) {
    printf("msg errno %d\n", errno);
  } else {
    struct token_msg m;
    /* MSG_COPY: read without taking it, so that the owner still sees it */
    ssize_t n = msgrcv(msg, &m, sizeof m.text, 0, IPC_NOWAIT | MSG_COPY);
    printf("msg %s\n", n < 0 ? "empty" : m.text);
  }
  int sem = semget(key, 0, 0);
  if (sem < 0) {
    printf("sem errno %d\n", errno);
  } else {
    printf("sem %d\n", semctl(sem, 0, GETVAL));
  }
  return 0;
}

static int mq_put(const char *name, const char *token) {
  struct mq_attr attr = {0, 4, 64, 0, {0}};
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_WRONLY, 0666, &attr);
  if (q == (mqd_t)-1) return result(-1);
  return result(mq_send(q, token, strlen(token) + 1, 0));
}

static int mq_get(const char *name) {
  mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);
  if (q == (mqd_t)-1) return result(-1);
  char buf[128];
  ssize_t n = mq_receive(q, buf, sizeof buf, NULL);
  if (n < 0) return result(-1);
  printf("ok %s\n", buf);
  return 0;
}

#define KEY_SPEC_USER_KEYRING -4

static int key_put(const char *desc, const char *token) {
  return result(syscall(SYS_add_key, "user", desc, token, strlen(token), KEY_SPEC_USER_KEYRING));
}

static int key_get(const char *desc) {
  long id = syscall(SYS_request_key, "user", desc, NULL, 0);
  printf("request_key ");
  result(id);
  printf("keyctl-search ");
  return result(syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, KEY_SPEC_USER_KEYRING, "user", desc, 0));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) goto usage;
  const char *cmd = argv[1];
  struct sockaddr_storage ss;
  struct sockaddr_un un;

  if (strcmp(cmd, "tcp-connect") == 0 && argc == 4) {
    socklen_t len = inet_address(argv[2], argv[3], &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return result(-1);
    return result(connect(fd, (struct sockaddr *)&ss, len));
  }
  if (strcmp(cmd, "tcp-serve") == 0 && argc == 4) {
    socklen_t len = inet_address(argv[2], argv[3], &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) return result(-1);
    serve(fd, accept_one);
    return 0;
  }
  if (strcmp(cmd, "udp-send") == 0 && argc == 5) {
    socklen_t len = inet_address(argv[2], argv[3], &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) return result(-1);
    return result(sendto(fd, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&ss, len));
  }
  if (strcmp(cmd, "udp-serve") == 0 && argc == 4) {
    socklen_t len = inet_address(argv[2], argv[3], &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) return result(-1);
    serve(fd, receive_one);
    return 0;
  }
  if (strcmp(cmd, "abstract-connect") == 0 && argc == 3) {
    socklen_t len = abstract_address(argv[2], &un);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return result(-1);
    return result(connect(fd, (struct sockaddr *)&un, len));
  }
  if (strcmp(cmd, "abstract-serve") == 0 && argc == 3) {
    socklen_t len = abstract_address(argv[2], &un);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&un, len) < 0 || listen(fd, 16) < 0) return result(-1);
    serve(fd, accept_one);
    return 0;
  }
  if (strcmp(cmd, "socket") == 0 && argc == 5) {
    return result(socket(atoi(argv[2]), atoi(argv[3]), atoi(argv[4])));
  }
  if (strcmp(cmd, "ipc-put") == 0 && argc == 4) return ipc_put((key_t)strtol(argv[2], NULL, 0), argv[3]);
  if (strcmp(cmd, "ipc-get") == 0 && argc == 3) return ipc_get((key_t)strtol(argv[2], NULL, 0));
  if (strcmp(cmd, "mq-put") == 0 && argc == 4) return mq_put(argv[2], argv[3]);
  if (strcmp(cmd, "mq-get") == 0 && argc == 3) return mq_get(argv[2]);
  if (strcmp(cmd, "key-put") == 0 && argc == 4) return key_put(argv[2], argv[3]);
  if (strcmp(cmd, "key-get") == 0 && argc == 3) return key_get(argv[2]);
  if (strcmp(cmd, "flock-hold") == 0 && argc == 3) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) return result(-1);
    printf("ready\n");
    fflush(stdout);
    wait_for_stdin_end();
    return 0;
  }
  if (strcmp(cmd, "flock-try") == 0 && argc == 3) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return result(-1);
    return result(flock(fd, LOCK_EX | LOCK_NB));
  }
  if (strcmp(cmd, "lease") == 0 && argc == 3) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return result(-1);
    return result(fcntl(fd, F_SETLEASE, F_RDLCK));
  }
  if (strcmp(cmd, "inotify-watch") == 0 && argc == 3) {
    int fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, argv[2], IN_OPEN | IN_ACCESS) < 0) return result(-1);
    serve(fd, inotify_one);
    return 0;
  }
  if (strcmp(cmd, "kill") == 0 && argc == 4) return result(kill(atoi(argv[2]), atoi(argv[3])));
  if (strcmp(cmd, "setpriority") == 0 && argc == 3) return result(setpriority(PRIO_PROCESS, (id_t)atoi(argv[2]), 19));
  if (strcmp(cmd, "affinity") == 0 && argc == 3) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    return result(sched_setaffinity(atoi(argv[2]), sizeof set, &set));
  }
  if (strcmp(cmd, "ioprio") == 0 && argc == 3) {
    /* IOPRIO_WHO_PROCESS, class idle */
    return result(syscall(SYS_ioprio_set, 1, atoi(argv[2]), 3 << 13));
  }
  if (strcmp(cmd, "pdeathsig") == 0 && argc == 2) {
    int sig = -1;
    if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0) return result(-1);
    return result(sig);
  }
  if (strcmp(cmd, "as-uid") == 0 && argc >= 5) {
    uid_t uid = (uid_t)atol(argv[2]);
    gid_t gid = (gid_t)atol(argv[3]);
    if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) return result(-1);
    execvp(argv[4], argv + 4);
    return result(-1);
  }
  if (strcmp(cmd, "umask") == 0 && argc == 2) {
    mode_t m = umask(0);
    printf("%04o\n", (unsigned)m);
    return 0;
  }
usage:
  fprintf(stderr, "escape-probe: bad arguments (see the source for the subcommands)\n");
  return 2;
}
