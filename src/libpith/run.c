/* `run`: create + start, and in the foreground stay as the container's
 * parent: forward signals, relay the terminal if pith holds it, reap, and
 * report the exit status.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "launch.h"
#include "log.h"
#include "utils.h"

/* Signals that report a fault of pith itself are never forwarded. */
static bool
forwardable (int sig)
{
  return sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL
         && sig != SIGTRAP && sig != SIGSYS && sig != SIGABRT;
}

static void
forwarded_set (sigset_t *set)
{
  sigemptyset (set);
  for (int sig = 1; sig < SIGRTMIN; sig++)
    if (forwardable (sig))
      sigaddset (set, sig);
}

static int
exit_status_of (int status)
{
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

/* Copies what is readable on FROM to TO; false at EOF or error. */
static bool
relay (int from, int to)
{
  char buf[4096];
  ssize_t n = TEMP_FAILURE_RETRY (read (from, buf, sizeof buf));

  return n > 0 && write_all (to, buf, n) == 0;
}

/* Waits for PID, forwarding signals and relaying PTY (-1: none). */
static int
supervise (pid_t pid, int pty, int sigfd, int *exit_status, pith_error *err)
{
  struct pollfd fds[3] = {
    { .fd = sigfd, .events = POLLIN },
    { .fd = pty, .events = POLLIN },
    { .fd = pty >= 0 ? STDIN_FILENO : -1, .events = POLLIN },
  };

  for (;;)
    {
      if (TEMP_FAILURE_RETRY (poll (fds, 3, -1)) < 0)
        return pith_fail (err, errno, "poll");
      if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && !relay (pty, STDOUT_FILENO))
        fds[1].fd = -1;
      if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) && !relay (STDIN_FILENO, pty))
        fds[2].fd = -1;
      if (!(fds[0].revents & POLLIN))
        continue;
      struct signalfd_siginfo si;
      if (TEMP_FAILURE_RETRY (read (sigfd, &si, sizeof si)) != sizeof si)
        continue;
      if ((int) si.ssi_signo != SIGCHLD)
        {
          kill (pid, si.ssi_signo);
          continue;
        }
      /* As a subreaper we inherit the container's orphans: reap them all. */
      for (;;)
        {
          int status;
          pid_t r = waitpid (-1, &status, WNOHANG);
          if (r <= 0)
            break;
          if (r == pid)
            {
              while (fds[1].fd >= 0 && relay (pty, STDOUT_FILENO))
                ;
              *exit_status = exit_status_of (status);
              return 0;
            }
        }
    }
}

PITH_PUBLIC int
pith_container_run (pith_context *ctx, const char *id, const pith_create_options *opts, int *exit_status,
                    pith_error *err)
{
  bool foreground = !(opts->flags & PITH_RUN_DETACH);
  struct launch l;
  struct container c;
  sigset_t forwarded, old;
  cleanup_close int sigfd = -1;
  int ret;

  *exit_status = 0;
  if (foreground)
    {
      /* Blocked before the clone so that no signal is lost; the init
       * restores its own mask. */
      forwarded_set (&forwarded);
      sigprocmask (SIG_BLOCK, &forwarded, &old);
      sigfd = signalfd (-1, &forwarded, SFD_CLOEXEC);
      if (sigfd < 0)
        {
          sigprocmask (SIG_SETMASK, &old, NULL);
          return pith_fail (err, errno, "signalfd");
        }
      if (!(opts->flags & PITH_RUN_NO_SUBREAPER))
        prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
  ret = launch_create (ctx, id, opts, foreground, &l, err);
  if (ret == 0)
    {
      /* Release create's lock; start takes its own. */
      close (steal_fd (&l.state_dirfd));
      ret = container_open (ctx, id, true, &c, err);
      if (ret == 0)
        ret = container_start (ctx, &c, err);
      container_close (&c);
      if (ret < 0)
        {
          pith_error ignored = { 0 };
          pith_container_delete (ctx, id, true, &ignored);
          pith_error_release (&ignored);
        }
    }
  if (ret == 0 && foreground)
    {
      ret = supervise (l.pid, l.pty_master, sigfd, exit_status, err);
      if (!(opts->flags & PITH_RUN_KEEP))
        {
          pith_error del_err = { 0 };
          if (pith_container_delete (ctx, id, true, &del_err) < 0)
            pith_warn (ctx, "%s", del_err.msg);
          pith_error_release (&del_err);
        }
    }
  if (foreground)
    sigprocmask (SIG_SETMASK, &old, NULL);
  launch_release (&l);
  return ret;
}
