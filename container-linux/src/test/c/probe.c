/*
 * Test probe, run inside containers: makes one raw system call and prints what happened.
 *   probe NR [ARG...]         the native ABI: syscall(NR, ARG...)
 *   probe int80 NR [ARG...]   the i386 ABI through int $0x80 (x86_64 only)
 *   probe x32 NR [ARG...]     the x32 ABI: NR | 0x40000000 (x86_64 only)
 * Arguments are numbers (0x… allowed). Prints "ok RESULT" or "errno N", and exits 0 either way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: probe [int80|x32] NR [ARG...]\n");
    return 2;
  }
  int first = 1;
  const char *abi = "native";
  if (strcmp(argv[1], "int80") == 0 || strcmp(argv[1], "x32") == 0) abi = argv[first++];
  long nr = strtol(argv[first++], NULL, 0);
  unsigned long a[6] = {0};
  for (int i = 0; i < 6 && first + i < argc; i++) a[i] = strtoul(argv[first + i], NULL, 0);
  long r;
  errno = 0;
  if (strcmp(abi, "int80") == 0) {
#if defined(__x86_64__)
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]) : "memory");
    if (r < 0 && r > -4096) {
      errno = (int)-r;
      r = -1;
    }
#else
    fprintf(stderr, "int80 needs x86_64\n");
    return 2;
#endif
  } else {
    if (strcmp(abi, "x32") == 0) nr |= 0x40000000;
    r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
  if (r == -1 && errno != 0) {
    printf("errno %d\n", errno);
  } else {
    printf("ok %ld\n", r);
  }
  return 0;
}
