/*
 * The child's steps on paths: mounts, directories, files, links, the pivot. Once SET_ROOT named
 * the new root, every target is resolved beneath it, so that a symlink the container (or an image)
 * planted cannot lead a step out of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

/* Where targets are resolved: beneath root_fd when set; procfs at proc_path (SET_ROOT names both) */
static int root_fd = -1;
static const char *proc_path = "/proc";

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct open_how_compat {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_ 0x10

/*
 * Opens the target of a step without following symlinks out of the root (FS-01/FS-02): the
 * kernel resolves it as if the root were "/". Returns an O_PATH descriptor, -1 with errno.
 * Kernels without openat2 (before 5.6) resolve the plain path, which Java checked for symlinks.
 */
int open_target(const char *path, int flags) {
  if (root_fd < 0) return open(path, flags | O_PATH | O_CLOEXEC);
  struct open_how_compat how = {(uint64_t)(flags | O_PATH | O_CLOEXEC), 0,
                                RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_};
  int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  /* EAGAIN: a ".." (from a symlink) met a rename or mount anywhere on the system; try again */
  for (int i = 0; i < 64 && fd < 0 && errno == EAGAIN; i++) {
    fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  }
  if (fd < 0 && errno == ENOSYS) {
    while (*path == '/') path++;
    fd = openat(root_fd, path[0] ? path : ".", flags | O_PATH | O_CLOEXEC);
  }
  return fd;
}

/* A path through procfs that names what the descriptor names. */
static void fd_path(char *buf, size_t size, int fd) {
  snprintf(buf, size, "%s/self/fd/%d", proc_path, fd);
}

/* Splits "a/b/c" into the parent opened beneath the root and the last name. */
static int open_parent(const char *path, const char **name) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    *name = path;
    return open_target(".", O_DIRECTORY);
  }
  *name = slash + 1;
  char parent[4096];
  size_t n = (size_t)(slash - path);
  if (n >= sizeof parent) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(parent, path, n);
  parent[n] = '\0';
  return open_target(n == 0 ? "/" : parent, O_DIRECTORY);
}

/*
 * The bind the last MOUNT step made: its target as the plan names it, and what it binds. The
 * REMOUNT that sets the bind's flags resolves that target again; if a component of the path was
 * swapped for a symlink in between (a container that can write a directory on the way, FS-01),
 * the path leads to another mount, which would get the flags while the bind stays read-write.
 * So the remount must find what was bound there.
 */
static const char *bind_target;
static struct stat bind_source;

int do_mount(const struct step *s) {
  const char *target = s->strs[1];
  unsigned long flags = (unsigned long)s->ints[0];
  bind_target = NULL;
  int fd = open_target(target, 0);
  if (fd < 0) return -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  int r = mount(str_or_null(s->strs[0]), p, str_or_null(s->strs[2]), flags, str_or_null(s->strs[3]));
  if (r == 0 && (flags & MS_BIND) && !(flags & (MS_REMOUNT | MS_MOVE))) {
    r = stat(s->strs[0], &bind_source);
    if (r == 0) bind_target = target;
  }
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* A remount must repeat the flags the kernel locked on the mount (nosuid, nodev… in a user ns). */
int do_remount(const struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  struct statvfs st;
  int r = statvfs(p, &st);
  struct stat now;
  if (r == 0 && bind_target != NULL && strcmp(bind_target, s->strs[0]) == 0 &&
      (r = fstat(fd, &now)) == 0 && (now.st_dev != bind_source.st_dev || now.st_ino != bind_source.st_ino)) {
    errno = EXDEV; /* the path no longer leads to the bind it made (FS-01) */
    r = -1;
  }
  if (r == 0) {
    unsigned long flags = MS_REMOUNT | MS_BIND | (unsigned long)s->ints[0];
    static const struct { unsigned long st, ms; } map[] = {
        {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
        {ST_NOEXEC, MS_NOEXEC},     {ST_NOATIME, MS_NOATIME},       {ST_NODIRATIME, MS_NODIRATIME},
        {ST_RELATIME, MS_RELATIME},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
      if (st.f_flag & map[i].st) flags |= map[i].ms;
    r = mount(NULL, p, NULL, flags, NULL);
  }
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

int do_make(const struct step *s, int dir) {
  const char *name;
  int parent = open_parent(s->strs[0], &name);
  if (parent < 0) return -1;
  int r;
  if (dir) {
    r = mkdirat(parent, name, (mode_t)s->ints[0]);
    struct stat st;
    if (r < 0 && errno == EEXIST && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) {
      r = 0;
    }
  } else {
    int f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, (mode_t)s->ints[0]);
    r = f < 0 ? -1 : close(f);
  }
  int e = errno;
  close(parent);
  errno = e;
  return r;
}

int do_symlink(const struct step *s) {
  const char *name;
  int parent = open_parent(s->strs[1], &name);
  if (parent < 0) return -1;
  int r = symlinkat(s->strs[0], parent, name);
  int e = errno;
  close(parent);
  errno = e;
  return r;
}

/* pivot_root(".", put_old); with put_old "." the old root ends up on top and is detached. */
int do_pivot_root(const struct step *s) {
  if (chdir(s->strs[0]) < 0) return -1;
  if (syscall(SYS_pivot_root, ".", s->strs[1]) < 0) return -1;
  if (strcmp(s->strs[1], ".") == 0 && umount2(".", MNT_DETACH) < 0) return -1;
  return chdir("/");
}

int do_chdir(const struct step *s) {
  if (chdir(s->strs[0]) < 0) return -1;
  /* A working directory outside the root reads back as "(unreachable)" or fails (ESC-02). */
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL || cwd[0] != '/') {
    errno = EXDEV;
    return -1;
  }
  return 0;
}

int do_set_root(const struct step *s) {
  if (root_fd >= 0) close(root_fd);
  root_fd = -1;
  proc_path = s->strs[1];
  if (s->strs[0][0] == '\0') return 0;
  root_fd = open(s->strs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return root_fd < 0 ? -1 : 0;
}
/* Masks a file with an empty one, a directory with an empty read-only tmpfs (FS-10). */
int do_mask(const struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  struct stat st;
  int r = fstat(fd, &st);
  int file = r == 0 && !S_ISDIR(st.st_mode);
  if (r == 0) {
    r = file ? mount(s->strs[1], p, NULL, MS_BIND, NULL)
             : mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555");
  }
  int e = errno;
  close(fd);
  errno = e;
  if (r < 0 || !file) return r;
  /* the empty file read-only too (not nodev: it is /dev/null, and reads as empty); looked up
     afresh, so that the remount is the new bind's */
  struct step remount = {OP_REMOUNT, 1, 1, (uint64_t[]){MS_RDONLY | MS_NOSUID | MS_NOEXEC}, s->strs};
  return do_remount(&remount);
}

int do_write(const struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  int w = open(p, O_WRONLY | O_CLOEXEC);
  int e = errno;
  close(fd);
  if (w < 0) {
    errno = e;
    return -1;
  }
  size_t len = strlen(s->strs[1]);
  int r = write(w, s->strs[1], len) == (ssize_t)len ? 0 : -1;
  e = errno;
  close(w);
  errno = e;
  return r;
}

/*
 * Binds a generated file (/etc/hosts…) over the root's, as Docker does. The root's may be a link
 * within it (followed there), or absent: created only where the plan says the root is the
 * container's own, and skipped where it cannot be (no /etc, a dangling link, a read-only root),
 * since a program that reads no such file misses nothing.
 */
int do_bind_file(const struct step *s) {
  const char *target = s->strs[1];
  int fd = open_target(target, 0);
  if (fd < 0 && errno == ENOENT && s->ints[0]) {
    const char *name;
    int parent = open_parent(target, &name);
    if (parent < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    int e = errno;
    close(parent);
    if (f < 0) return e == EEXIST || e == EROFS || e == ELOOP || e == EACCES ? 0 : (errno = e, -1);
    close(f);
    fd = open_target(target, 0);
  }
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
  struct stat st;
  int r = fstat(fd, &st);
  if (r == 0 && !S_ISREG(st.st_mode)) {
    close(fd);
    return 0;
  }
  char p[64];
  fd_path(p, sizeof p, fd);
  if (r == 0) r = mount(s->strs[0], p, NULL, MS_BIND, NULL);
  if (r == 0) r = stat(s->strs[0], &bind_source);
  int e = errno;
  close(fd);
  if (r < 0) {
    errno = e;
    return -1;
  }
  bind_target = target; /* the remount must find this bind there (FS-01) */
  struct step remount = {OP_REMOUNT, 1, 1, (uint64_t[]){MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC}, &s->strs[1]};
  return do_remount(&remount);
}

int do_read_only(const struct step *s) {
  int fd = open_target(s->strs[0], 0);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  char p[64];
  fd_path(p, sizeof p, fd);
  int r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close(fd);
  if (r < 0) {
    errno = e;
    return -1;
  }
  struct step remount = {OP_REMOUNT, 1, 1, (uint64_t[]){MS_RDONLY | MS_NOSUID | MS_NODEV}, s->strs};
  return do_remount(&remount);
}

/*
 * A directory the container's root is made of (an overlay layer), opened while the clone's
 * file system uid is still the caller's: as root in its user namespace, but nobody on the host,
 * it may not look up the path (a layer store under a 0700 home). Overlayfs then takes it through
 * /proc/self/fd, which needs no lookup of the path.
 */
int do_open_path(const struct step *s) {
  int fd = open(s->strs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = dup3(fd, (int)s->ints[0], O_CLOEXEC);
  int e = errno;
  close(fd);
  errno = e;
  return r < 0 ? -1 : 0;
}

