/* The launcher's entry: only the server mode, which Isola's Java runtime starts (see launcher.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/*
 * --check-plan FILE: reads a plan as the server would and prints its ops, running nothing. It lets
 * a build check a launcher made for another architecture (under qemu-user) on a real plan.
 */
static int check_plan(const char *file) {
  struct plan p;
  struct report r = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read_plan(fd, &p, &r) < 0) {
    fprintf(stderr, "isola-launcher: %s: not a valid plan (errno %d, reason %d)\n", file, fd < 0 ? 1 : r.err, r.value);
    return 1;
  }
  printf("plan of %u steps:", p.nsteps);
  for (uint32_t i = 0; i < p.nsteps; i++) printf(" %u/%u/%u", p.steps[i].op, p.steps[i].nints, p.steps[i].nstrs);
  printf("\n");
  free_plan(&p);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  /* Nothing from the JVM's signal state carries over (it blocks and handles signals). */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  if (argc > 1 && strcmp(argv[1], "--server") == 0) serve();
  if (argc == 3 && strcmp(argv[1], "--check-plan") == 0) return check_plan(argv[2]);
  fprintf(stderr, "isola-launcher: started by Isola's Java runtime only (--server)\n");
  return 2;
}
