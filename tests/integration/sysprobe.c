/* sysprobe: makes one system call with the given number and arguments and
 * says what happened.  The seccomp tests build it statically and copy it
 * into the container, to probe filters with exact argument values.
 *
 *   sysprobe NR [ARG...]      "ok RET" or "errno N"
 *   sysprobe -s NR [ARG...]   with a SIGSYS handler: "sigsys NR" if trapped
 *   sysprobe -t NR [ARG...]   the call made by a second thread, then "alive"
 *
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long nr, args[6];

static void
on_sigsys (int sig, siginfo_t *info, void *ctx)
{
  (void) sig;
  (void) ctx;
  printf ("sigsys %d\n", info->si_syscall);
  fflush (stdout);
  _exit (0);
}

static void *
call (void *unused)
{
  long r;

  (void) unused;
  errno = 0;
  r = syscall (nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  if (r < 0)
    printf ("errno %d\n", errno);
  else
    printf ("ok %ld\n", r);
  fflush (stdout);
  return NULL;
}

int
main (int argc, char **argv)
{
  int first = 1;
  char mode = 0;

  if (argc > 1 && argv[1][0] == '-')
    {
      mode = argv[1][1];
      first = 2;
    }
  if (argc <= first)
    {
      fprintf (stderr, "usage: sysprobe [-s|-t] NR [ARG...]\n");
      return 2;
    }
  nr = strtol (argv[first], NULL, 0);
  for (int i = first + 1; i < argc && i - first - 1 < 6; i++)
    args[i - first - 1] = (long) strtoull (argv[i], NULL, 0);
  if (mode == 's')
    {
      struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
      sigaction (SIGSYS, &sa, NULL);
    }
  if (mode == 't')
    {
      pthread_t t;

      if (pthread_create (&t, NULL, call, NULL) != 0)
        return 3;
      pthread_join (t, NULL);
      printf ("alive\n");
      return 0;
    }
  call (NULL);
  return 0;
}
