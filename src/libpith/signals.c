/* Signal names for `kill`: "KILL", "SIGKILL", "9", "RTMIN+3".
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "utils.h"

static const struct
{
  const char *name;
  int signo;
} signals[] = {
  { "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },       { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },
  { "CONT", SIGCONT }, { "FPE", SIGFPE },   { "HUP", SIGHUP },       { "ILL", SIGILL },     { "INT", SIGINT },
  { "IO", SIGIO },     { "IOT", SIGIOT },   { "KILL", SIGKILL },     { "PIPE", SIGPIPE },   { "POLL", SIGPOLL },
  { "PROF", SIGPROF }, { "PWR", SIGPWR },   { "QUIT", SIGQUIT },     { "SEGV", SIGSEGV },   { "STKFLT", SIGSTKFLT },
  { "STOP", SIGSTOP }, { "SYS", SIGSYS },   { "TERM", SIGTERM },     { "TRAP", SIGTRAP },   { "TSTP", SIGTSTP },
  { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },  { "URG", SIGURG },       { "USR1", SIGUSR1 },   { "USR2", SIGUSR2 },
  { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

PITH_PUBLIC int
pith_signal_parse (const char *name, int *signo, pith_error *err)
{
  const char *n = name;
  int64_t v;

  if (parse_int64 (name, &v) == 0)
    {
      if (v <= 0 || v >= NSIG)
        return pith_fail (err, 0, "invalid signal number %s", name);
      *signo = (int) v;
      return 0;
    }
  if (strncasecmp (n, "SIG", 3) == 0)
    n += 3;
  for (size_t i = 0; i < ARRAY_SIZE (signals); i++)
    if (strcasecmp (n, signals[i].name) == 0)
      {
        *signo = signals[i].signo;
        return 0;
      }
  if (strncasecmp (n, "RTMIN", 5) == 0 || strncasecmp (n, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (n, "RTMIN", 5) == 0;
      int64_t off = 0;

      if (n[5] != '\0' && (parse_int64 (n + 5, &off) < 0 || (min ? off < 0 : off > 0)))
        return pith_fail (err, 0, "unknown signal \"%s\"", name);
      v = (min ? SIGRTMIN : SIGRTMAX) + off;
      if (v >= SIGRTMIN && v <= SIGRTMAX)
        {
          *signo = (int) v;
          return 0;
        }
    }
  return pith_fail (err, 0, "unknown signal \"%s\"", name);
}
