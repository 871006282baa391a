/*
 * Isola launcher: runs a launch plan that the Java runtime compiled. It holds no policy: every
 * path, flag, id map and argument comes from the plan; the launcher only knows how to carry out
 * each kind of step and how to report the first one that fails.
 *
 * Processes, and the unit each lives in:
 *   server     (server.c, clone.c) started once per JVM ("isola-launcher --server"), and the
 *              monitor of every container it starts: for each container the JVM sends it six
 *              descriptors over a socket; it clones the container, writes its id maps, reports
 *              "started", passes on the signals the JVM sends, keeps the time limits, and
 *              reports the exit. One event loop for all of them: a container costs no process
 *              of its own outside its namespaces. When the JVM goes away (the socket closes) it
 *              exits, and the containers die of their parent-death signal.
 *   monitor    (monitor.c) forked by the server for a container that keeps the host's pid
 *              namespace: no init ends that container's orphans, so a monitor of its own adopts
 *              them as their subreaper and kills them at the end. It runs the same loop, for one.
 *   child      (child.c, fs.c) the clone, inside the new namespaces: mounts, pivots, and either
 *              execs the command or, at an INIT step, starts it and stays as its init (init.c).
 *
 * This header is the one source of the protocol with the JVM: LauncherProtocolTest in the Java
 * tests reads the PLAN_, OP_, MSG_, LIMIT_, USAGE_, FD_ and LAUNCH_ names below and fails when a
 * number differs from LauncherProtocol.java.
 */
#ifndef ISOLA_LAUNCHER_H
#define ISOLA_LAUNCHER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* ---- the protocol ---- */

/*
 * Plan: a plan_header, then per step a step_header, the ints (u64 each), the strings (u32 length
 * with the NUL, bytes, NUL). Native byte order: both ends run on the same machine.
 */
#define PLAN_MAGIC 0x4c4f5349u /* "ISOL" */
#define PLAN_VERSION 1u

struct plan_header {
  uint32_t magic, version, nsteps;
};

struct step_header {
  uint32_t op, nints, nstrs;
};

enum op {
  /* carried out by the server (or monitor), outside */
  OP_CLONE = 1,       /* ints: clone flags, whether a spare network namespace will do (see take_spare_net);
                         strs: a cgroup v2 directory to start in ("" = none) */
  OP_WRITE_PROC = 2,  /* strs: file under /proc/<child>/, content */
  OP_RUN_HELPER = 3,  /* strs: argv, where "%pid" becomes the child's pid */
  OP_SYNC = 4,        /* server: let the child go on; child: wait for that */
  OP_JOIN_CGROUP = 5, /* strs: a cgroup.procs file to write the child's pid to */
  OP_WALL_LIMIT = 6,  /* ints: milliseconds from the start to the kill */
  OP_CPU_LIMIT = 7,   /* ints: limit and grace in microseconds, a usage_format; strs: usage file */
  OP_NET_HELPER = 9,  /* strs: argv of the network helper (pasta), where %netns, %userns and %ready become
                         its descriptors of the container's namespaces and of the pipe it reports ready on */
  OP_ENTER = 8,       /* instead of CLONE, for an exec: ints: the namespaces to join (clone flags), the pid of
                         the container's first process; strs: cgroup v2 directory to start in ("" = none) */
  /* carried out by the child, inside */
  OP_MOUNT = 10,      /* ints: flags; strs: source, target, fstype, data ("" = none) */
  OP_REMOUNT = 11,    /* ints: flags to add; strs: target. Keeps the flags the mount has */
  OP_MKDIR = 13,      /* ints: mode; strs: path */
  OP_MKFILE = 14,     /* ints: mode; strs: path */
  OP_SYMLINK = 15,    /* strs: link content, path */
  OP_PIVOT_ROOT = 16, /* strs: new root, put_old (relative to it; "." detaches the old root) */
  OP_CHDIR = 17,      /* strs: path; fails if the result is outside the root */
  OP_SET_ROOT = 18,   /* strs: directory to resolve targets in ("" = none), procfs path */
  OP_HOSTNAME = 19,   /* strs: host name, NIS domain name (optional) */
  OP_LOOPBACK_UP = 20,
  OP_SETSID = 21,
  OP_NO_NEW_PRIVS = 22,
  OP_DROP_CAPS = 23,  /* ints: the capabilities to keep, as a bit mask */
  OP_INIT = 24,       /* ints: the capabilities the init keeps; the command goes on in a clone, the init stays */
  OP_CLOSE_FDS = 25,  /* mark every descriptor from 3 up close-on-exec */
  OP_EXEC = 26,       /* ints: argc; strs: argv..., envp... */
  OP_SET_IDS = 27,    /* ints: uid, gid, whether to clear the supplementary groups, whether to keep caps */
  OP_SECCOMP = 28,    /* ints: the BPF program, one struct sock_filter per int; loaded by EXEC */
  OP_MASK = 29,       /* strs: path, file to bind over a masked file. Absent paths are skipped */
  OP_READ_ONLY = 30,  /* strs: path, bound onto itself read-only. Absent paths are skipped */
  OP_UNSHARE = 31,    /* ints: unshare flags */
  OP_RLIMIT = 32,     /* ints: resource, soft, hard */
  OP_WRITE = 33,      /* strs: path (inside the root), content */
  OP_OPEN_PATH = 34,  /* ints: descriptor number; strs: a host directory, opened as O_PATH */
  OP_CLOSE = 35,      /* ints: descriptors the container must not keep (OPEN_PATH's, once used) */
  OP_TTY = 36,        /* ints: columns, rows. A new pty of the container's devpts on 0-2, its controlling
                         terminal; the master goes to the JVM over descriptor 0, a socket */
  OP_LANDLOCK = 40,   /* ints: ABI, handled rights, rights a file rule may hold, one mask per path;
                         strs: paths. Restricts this process and its children for good */
  OP_BIND_FILE = 41,  /* ints: whether to create the target where absent; strs: a file, the target.
                         Binds the file read-only over the target if that is a regular file (or was
                         created); a target the root lacks and cannot take is skipped */
  OP_NET_FORWARD = 42, /* server: strs: slirp4netns's API socket, then one JSON request per port; the
                          socket's path is removed after them */
};

/*
 * What the server writes to a container's status pipe: a wire_msg each; a TEXT or USAGE message
 * is followed by `value` bytes (the helper's words; user and system microseconds and the peak
 * RSS in KiB, as three int64).
 */
enum msg { MSG_STARTED = 1, MSG_FAILED = 2, MSG_EXITED = 3, MSG_TEXT = 4, MSG_LIMIT = 5, MSG_USAGE = 6, MSG_HELPER_ENDED = 7 };
enum limit { LIMIT_WALL = 1, LIMIT_CPU = 2 };                  /* a LIMIT message's value */
enum usage_format { USAGE_NANOSECONDS = 1, USAGE_CPU_STAT = 2 }; /* OP_CPU_LIMIT's third int */

struct wire_msg {
  int32_t type, step, err, value;
};
#define WIRE_MSG_SIZE 16
_Static_assert(sizeof(struct wire_msg) == WIRE_MSG_SIZE, "the JVM reads 16-byte messages");

/* A container's descriptors, as the JVM sends them in one SCM_RIGHTS message. The end of the
   status pipe tells the JVM that the container and everything of it on the host are gone. */
enum launch_fd { FD_STDIN = 0, FD_STDOUT = 1, FD_STDERR = 2, FD_PLAN = 3, FD_STATUS = 4, FD_CONTROL = 5, LAUNCH_FDS = 6 };

/* The launch server's end of its socket to the JVM; 0-2 are /dev/null. */
#define SERVER_SOCKET_FD 3

/* ---- inside the launcher ---- */

/*
 * The clone's own descriptors, from become_child on: its ends of three pipes to the server. Fixed
 * numbers, so that the child and its init need no variables for them.
 */
enum child_fd {
  CHILD_SYNC_FD = 3,   /* server -> child: go on */
  CHILD_EXEC_FD = 4,   /* child -> server: a failure report (three int32); closes on exec */
  CHILD_RESULT_FD = 5, /* init -> server: the command's wait status */
};

struct step {
  uint32_t op;
  uint32_t nints;
  uint32_t nstrs;
  uint64_t *ints;
  char **strs;
};

/* A plan as read_plan left it: all of it in one mapping of its own (see plan.c). */
struct plan {
  struct step *steps;
  uint32_t nsteps;
  char *arena;
  size_t arena_size, arena_used;
};

/* Why a start failed: the plan's step, the error, a value; a helper's message, if any. */
struct report {
  int32_t step, err, value;
  size_t text_len;
  char text[240];
};

/* io.c: descriptors and messages */
int fail_with(struct report *r, int32_t step, int err, int32_t value);
void write_all(int fd, const void *buf, size_t len);
void send_msg(int fd, int32_t type, int32_t step, int32_t err, int32_t value);
void send_failure(int fd, const struct report *r);
ssize_t read_full(int fd, void *buf, size_t len);
ssize_t read_full_at(int fd, void *buf, size_t len);
int close_from(int lowest, int cloexec);
const char *str_or_null(const char *s);

/* plan.c */
int read_plan(int fd, struct plan *p, struct report *r);
void free_plan(struct plan *p);

/* fs.c: the child's steps on paths, resolved beneath the root once SET_ROOT named one */
int open_target(const char *path, int flags);
int do_mount(const struct step *s);
int do_remount(const struct step *s);
int do_make(const struct step *s, int dir);
int do_symlink(const struct step *s);
int do_pivot_root(const struct step *s);
int do_chdir(const struct step *s);
int do_set_root(const struct step *s);
int do_mask(const struct step *s);
int do_write(const struct step *s);
int do_read_only(const struct step *s);
int do_bind_file(const struct step *s);
int do_open_path(const struct step *s);

/* child.c */
__attribute__((noreturn)) void child_main(const struct plan *p, int loopback_ready);
__attribute__((noreturn)) void run_child(uint32_t first);
__attribute__((noreturn)) void child_fail(int32_t step, int err);
__attribute__((noreturn)) void child_fail_value(int32_t step, int err, int32_t value);
int loopback_up(void);
int drop_caps(uint64_t keep);
int drop_bounding_for_both(uint64_t either);

/* init.c */
__attribute__((noreturn)) void do_init(const struct plan *p, const struct step *s, int32_t index);

/* clone.c: the clone and the server's steps of a plan, and the spare network namespace */
struct container;
int clone_and_prepare(struct container *c, const struct plan *p, const int stdio[3], struct report *r);
void spares_init(void);
int spares_refill(void);
void no_spares(void);

/* server.c */
enum watch_kind { WATCH_SERVER, WATCH_SIGCHLD, WATCH_EXEC, WATCH_CONTROL };

struct watch {
  struct container *c;
  enum watch_kind kind;
};

/* The namespaces the server holds of each container (clone.c), in the order an exec joins them. */
enum held_ns { NS_USER, NS_MNT, NS_UTS, NS_IPC, NS_NET, NS_PID, NS_HELD };

/* A container's cgroup directories: the v2 one and one per v1 controller. */
#define MAX_CGROUPS 8

/* What the server keeps of one container, from its start to its end. */
struct container {
  struct container *next;
  pid_t child;
  int status, control, exec_fd, result_fd;
  int ns[NS_HELD]; /* its namespaces, for an exec to join (see clone.c); the mount namespace's also
                     holds its teardown until the exit report has gone */
  struct report failure;
  int failed;
  int64_t started_ms; /* CLOCK_MONOTONIC, for the wall-time limit */
  int64_t wall_limit_ms, cpu_limit_us, cpu_grace_us;
  int cpu_usage_fd, cpu_usage_format;
  int64_t check_at; /* when to look at the limits again (CLOCK_MONOTONIC, ms) */
  int killed;
  pid_t net_helper; /* its network helper, killed with it; 0 if none */
  char *cgroups[MAX_CGROUPS]; /* its cgroup directories, removed by the server if the JVM dies first */
  int ncgroups;
  int limit_hit; /* the LIMIT_* that killed it, 0 if none: reported once its start is */
  struct watch on_exec, on_control;
};

/* The state of the server's (or a monitor's) event loop: one process holds one. */
struct server {
  struct container *containers;
  int epoll_fd, sigchld_fd, socket_fd;
  int one_container; /* a monitor forked for one container that keeps the host's pid namespace */
  struct watch on_socket, on_sigchld;
};
extern struct server server;

__attribute__((noreturn)) void serve(void);
__attribute__((noreturn)) void run_loop(void);
void watch_fd(int fd, struct watch *w);
void release(struct container *c);
int64_t now_ms(void);

/* net.c: the network helper */
int start_net_helper(struct container *c, const struct step *s, int32_t index, struct report *r);
int net_forward(const struct step *s, int32_t index, struct report *r);

/* limits.c: the wall and CPU time limits */
int check_limits(void);

/* monitor.c */
void become_monitor(void);
void end_adopted(void);

#endif
