/* Reading a plan from its memfd, and checking that it is well formed before anything runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

/*
 * The plan goes into one mapping of its own, made populated: the server writes it only before the
 * clone and unmaps it once the clone has its copy, and the clone only reads it, so that none of
 * its pages is ever a fault on either side (on a paravirtualized guest every fault is a trip to
 * the hypervisor, 17 us here, and a copy-on-write one flushes the TLB besides).
 */
static void *plan_alloc(struct plan *p, size_t size) {
  void *a = p->arena + p->arena_used;
  p->arena_used += (size + 7) & ~(size_t)7;
  return a;
}

void free_plan(struct plan *p) {
  if (p->arena != NULL) munmap(p->arena, p->arena_size);
  memset(p, 0, sizeof *p);
}

/* Reads the plan from a descriptor (a memfd) into p; on failure, the report's value says why. */
int read_plan(int fd, struct plan *p, struct report *r) {
  struct stat st;
  struct plan_header header;
  memset(p, 0, sizeof *p);
  if (fstat(fd, &st) < 0) return fail_with(r, -1, errno, 0);
  size_t len = (size_t)st.st_size;
  if (pread(fd, &header, sizeof header, 0) != (ssize_t)sizeof header) return fail_with(r, -1, EINVAL, 1);
  if (header.magic != PLAN_MAGIC || header.version != PLAN_VERSION) return fail_with(r, -1, EINVAL, 2);
  if (header.nsteps > len / sizeof(struct step_header)) return fail_with(r, -1, EINVAL, 1);
  /* at most: the bytes; the steps, each with two more pointers and padding; as many numbers as
     there are 8 bytes, as many strings as there are 5 */
  size_t size = 2 * len + (len / 5) * sizeof(char *) + header.nsteps * (sizeof(struct step) + 48) + 64;
  size = (size + 4095) & ~(size_t)4095;
  char *arena = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (arena == MAP_FAILED) return fail_with(r, -1, errno, 0);
  p->arena = arena;
  p->arena_size = size;
  char *buf = plan_alloc(p, len);
  if (read_full_at(fd, buf, len) != (ssize_t)len) return fail_with(r, -1, errno ? errno : EINVAL, 1);

  size_t pos = sizeof header;
#define TAKE(dst, size)                                    \
  do {                                                     \
    if (len - pos < (size)) return fail_with(r, -1, EINVAL, 1); \
    memcpy((dst), buf + pos, (size));                      \
    pos += (size);                                         \
  } while (0)
  p->nsteps = header.nsteps;
  p->steps = plan_alloc(p, p->nsteps * sizeof *p->steps);
  for (uint32_t i = 0; i < p->nsteps; i++) {
    struct step *s = &p->steps[i];
    struct step_header h;
    TAKE(&h, sizeof h);
    if (h.nints > (len - pos) / 8 || h.nstrs > (len - pos) / 5) return fail_with(r, -1, EINVAL, 1);
    s->op = h.op;
    s->nints = h.nints;
    s->ints = plan_alloc(p, (h.nints + 1) * sizeof *s->ints);
    s->strs = plan_alloc(p, (h.nstrs + 2) * sizeof *s->strs);
    TAKE(s->ints, s->nints * sizeof *s->ints);
    /* an EXEC's strings are argv, then envp: a NULL goes between them, so that both are arrays */
    int gap = s->op == OP_EXEC && s->nints > 0 && s->ints[0] <= h.nstrs;
    for (uint32_t j = 0; j < h.nstrs; j++) {
      uint32_t n;
      TAKE(&n, sizeof n);
      if (n == 0 || len - pos < n || buf[pos + n - 1] != '\0') return fail_with(r, -1, EINVAL, 3);
      s->strs[j + (gap && j >= s->ints[0])] = buf + pos;
      s->nstrs = j + 1;
      pos += n;
    }
  }
#undef TAKE
  if (p->nsteps == 0 || (p->steps[0].op != OP_CLONE && p->steps[0].op != OP_ENTER)) return fail_with(r, -1, EINVAL, 5);
  if (p->steps[0].nints < 2 && p->steps[0].op == OP_ENTER) return fail_with(r, -1, EINVAL, 5);
  return 0;
}
