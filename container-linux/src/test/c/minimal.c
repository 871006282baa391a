/*
 * The smallest static program: no C library, three system calls in its whole life (execve, by
 * whoever starts it, then write and exit_group). CONF-03 runs it under an allow-list of exactly
 * those, to show that nothing the launcher does after loading the filter needs another call.
 * Build: cc -static -nostdlib -fno-stack-protector -o minimal minimal.c
 */
#include <sys/syscall.h>

static long sys3(long nr, long a, long b, long c) {
  long r;
#if defined(__x86_64__)
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  r = x0;
#else
#error "x86_64 or aarch64 only"
#endif
  return r;
}

void _start(void) {
  static const char text[] = "minimal ok\n";
  long r = sys3(SYS_write, 1, (long)text, sizeof text - 1);
  sys3(SYS_exit_group, r == (long)sizeof text - 1 ? 0 : 1, 0, 0);
  for (;;) {
  }
}
