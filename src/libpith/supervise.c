/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "notify.h"
#include "supervise.h"
#include "terminal.h"
#include "utils.h"

/* Signals that report a fault of pith itself are never forwarded. */
static bool
forwardable (int sig)
{
  return sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL
         && sig != SIGTRAP && sig != SIGSYS && sig != SIGABRT;
}

void
signals_reset (void)
{
  sigset_t none;

  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

int
supervise_begin (struct supervisor *s, bool subreaper, pith_error *err)
{
  sigset_t set;

  sigemptyset (&set);
  for (int sig = 1; sig < SIGRTMIN; sig++)
    if (forwardable (sig))
      sigaddset (&set, sig);
  sigprocmask (SIG_BLOCK, &set, &s->old_mask);
  s->sigfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (s->sigfd < 0)
    {
      sigprocmask (SIG_SETMASK, &s->old_mask, NULL);
      return pith_fail (err, errno, "signalfd");
    }
  if (subreaper && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    {
      supervise_end (s);
      return pith_fail (err, errno, "become a child subreaper");
    }
  return 0;
}

void
supervise_end (struct supervisor *s)
{
  if (s->sigfd < 0)
    return;
  close (s->sigfd);
  s->sigfd = -1;
  sigprocmask (SIG_SETMASK, &s->old_mask, NULL);
}

static int
exit_status_of (int status)
{
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

/* Copies what is readable on the pty to our stdout; false once the pty has
 * no writer left (EIO) or nothing is waiting on a non-blocking one.  Output
 * nobody can take any more is dropped, so the container never blocks on it. */
static bool
relay_out (int pty)
{
  char buf[8192];
  ssize_t n = TEMP_FAILURE_RETRY (read (pty, buf, sizeof buf));

  if (n <= 0)
    return false;
  write_all (STDOUT_FILENO, buf, n);
  return true;
}

/* Our stdin to the pty.  At the end of a stdin that is not a terminal
 * (a pipe, a file), the pty gets its end-of-file character, so that a
 * reading program sees the end too.  False at the end. */
static bool
relay_in (int pty)
{
  char buf[4096];
  ssize_t n = TEMP_FAILURE_RETRY (read (STDIN_FILENO, buf, sizeof buf));
  struct termios tio;

  if (n > 0)
    return write_all (pty, buf, n) == 0;
  if (n == 0 && !isatty (STDIN_FILENO) && tcgetattr (pty, &tio) == 0)
    write_all (pty, &tio.c_cc[VEOF], 1);
  return false;
}

/* What is left on the pty once the process is gone, without waiting for
 * other holders of its terminal. */
static void
drain (int pty)
{
  int flags = fcntl (pty, F_GETFL);

  if (flags < 0 || fcntl (pty, F_SETFL, flags | O_NONBLOCK) < 0)
    return;
  while (relay_out (pty))
    ;
  fcntl (pty, F_SETFL, flags);
}

/* Reaps every child that has exited (as a subreaper we inherit the
 * container's orphans); true when PID was one of them. */
static bool
reap (pid_t pid, int *exit_status)
{
  bool found = false;
  int status;
  pid_t r;

  while ((r = waitpid (-1, &status, WNOHANG)) > 0)
    if (r == pid)
      {
        *exit_status = exit_status_of (status);
        found = true;
      }
  return found;
}

enum
{
  POLL_SIGNALS,
  POLL_PTY,
  POLL_STDIN,
  POLL_NOTIFY,
  POLL_COUNT,
};

int
supervise_wait (struct supervisor *s, const struct supervise_target *t, int *exit_status, pith_error *err)
{
  struct terminal_host host = { .fd = -1 };
  struct pollfd fds[POLL_COUNT] = {
    [POLL_SIGNALS] = { .fd = s->sigfd, .events = POLLIN },
    [POLL_PTY] = { .fd = t->pty, .events = POLLIN },
    [POLL_STDIN] = { .fd = t->pty >= 0 ? STDIN_FILENO : -1, .events = POLLIN },
    [POLL_NOTIFY] = { .fd = t->notify && !t->notify->ready ? t->notify->sock : -1, .events = POLLIN },
  };
  int ret = 0;

  if (t->pty >= 0)
    {
      terminal_host_begin (&host);
      terminal_host_copy_size (&host, t->pty);
    }
  for (;;)
    {
      struct signalfd_siginfo si;

      if (TEMP_FAILURE_RETRY (poll (fds, POLL_COUNT, -1)) < 0)
        {
          ret = pith_fail (err, errno, "poll");
          break;
        }
      /* Signals first: a new window size applies to the input after it. */
      if ((fds[POLL_SIGNALS].revents & POLLIN)
          && TEMP_FAILURE_RETRY (read (s->sigfd, &si, sizeof si)) == sizeof si)
        {
          if ((int) si.ssi_signo == SIGWINCH && t->pty >= 0)
            terminal_host_copy_size (&host, t->pty);
          else if ((int) si.ssi_signo != SIGCHLD)
            kill (t->pid, (int) si.ssi_signo);
          else if (reap (t->pid, exit_status))
            {
              if (fds[POLL_PTY].fd >= 0)
                drain (t->pty);
              break;
            }
        }
      if ((fds[POLL_PTY].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_out (t->pty))
        fds[POLL_PTY].fd = -1;
      if ((fds[POLL_STDIN].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_in (t->pty))
        fds[POLL_STDIN].fd = -1;
      if (fds[POLL_NOTIFY].revents & POLLIN)
        {
          pith_error ignored = { 0 };
          /* Readiness that cannot be passed on must not end the wait. */
          notify_proxy_handle (t->notify, &ignored);
          pith_error_release (&ignored);
          if (t->notify->ready)
            fds[POLL_NOTIFY].fd = -1;
        }
    }
  terminal_host_end (&host);
  return ret;
}
