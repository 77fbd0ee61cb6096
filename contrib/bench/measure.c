/* Runs one command and reports what it cost: wall time from fork to reap,
 * user+system CPU and peak RSS of the command and the children it waited
 * for.  Only the command is in the figures, not the caller: a Python
 * parent would add its own fork (with preexec_fn, a full copy of the
 * interpreter) to every sample, and ru_maxrss survives exec, so this
 * wrapper is small and static.
 *
 *   measure [--no-unified] -o FILE COMMAND [ARGS...]
 *
 * FILE gets one line: "wall_us cpu_us maxrss_kib".  The exit status is the
 * command's.  --no-unified runs COMMAND in a private mount namespace
 * without /sys/fs/cgroup/unified (Debian 12's crun refuses hybrid hosts);
 * the namespace is made before the clock starts.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
usec (const struct timeval *tv)
{
  return (long long) tv->tv_sec * 1000000 + tv->tv_usec;
}

int
main (int argc, char **argv)
{
  struct timespec t0, t1;
  const char *out = NULL;
  int first = 1, status;
  struct rusage ru;
  FILE *f;
  pid_t pid;

  for (; first < argc && argv[first][0] == '-'; first++)
    if (strcmp (argv[first], "--no-unified") == 0)
      {
        if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
          return 121;
        umount2 ("/sys/fs/cgroup/unified", MNT_DETACH);
      }
    else if (strcmp (argv[first], "-o") == 0 && first + 1 < argc)
      out = argv[++first];
    else
      break;
  if (first >= argc || out == NULL)
    {
      fprintf (stderr, "usage: measure [--no-unified] -o FILE COMMAND [ARGS...]\n");
      return 2;
    }
  clock_gettime (CLOCK_MONOTONIC, &t0);
  pid = fork ();
  if (pid == 0)
    {
      execvp (argv[first], argv + first);
      _exit (127);
    }
  if (pid < 0 || wait4 (pid, &status, 0, &ru) < 0)
    return 120;
  clock_gettime (CLOCK_MONOTONIC, &t1);
  f = fopen (out, "w");
  if (f == NULL)
    return 120;
  fprintf (f, "%lld %lld %ld\n", (long long) (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000,
           usec (&ru.ru_utime) + usec (&ru.ru_stime), ru.ru_maxrss);
  fclose (f);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
