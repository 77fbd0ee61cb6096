/* Peak RSS of a command and its waited-for children, without the caller's
 * memory in the figure (ru_maxrss survives exec, so the process that execs
 * the command must itself be tiny: build this statically).
 *
 *   maxrss [--no-unified] COMMAND [ARGS...]   prints "maxrss KiB" on stderr
 *
 * --no-unified runs COMMAND in a private mount namespace without
 * /sys/fs/cgroup/unified (Debian 12's crun refuses hybrid hosts).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  int first = 1, status;
  struct rusage ru;
  pid_t pid;

  if (argc > 1 && strcmp (argv[1], "--no-unified") == 0)
    {
      first = 2;
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return 121;
      umount2 ("/sys/fs/cgroup/unified", MNT_DETACH);
    }
  if (first >= argc)
    return 2;
  pid = fork ();
  if (pid == 0)
    {
      execvp (argv[first], argv + first);
      _exit (127);
    }
  if (pid < 0 || wait4 (pid, &status, 0, &ru) < 0)
    return 120;
  fprintf (stderr, "maxrss %ld\n", ru.ru_maxrss);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
