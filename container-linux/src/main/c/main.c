/* The launcher's entry: only the server mode, which Isola's Java runtime starts (see launcher.h). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "launcher.h"

int main(int argc, char **argv) {
  /* Nothing from the JVM's signal state carries over (it blocks and handles signals). */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  if (argc > 1 && strcmp(argv[1], "--server") == 0) serve();
  fprintf(stderr, "isola-launcher: started by Isola's Java runtime only (--server)\n");
  return 2;
}
