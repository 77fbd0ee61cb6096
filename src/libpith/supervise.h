/* Staying in the foreground with a container process (`run`, `exec`):
 * pith forwards the signals it gets, relays the terminal when it holds the
 * pty, reaps, and gives back the exit status.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SUPERVISE_H
#define PITH_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "pith.h"

struct notify_proxy;

struct supervisor
{
  int sigfd; /* -1 until supervise_begin */
  sigset_t old_mask;
};

/* Before the process exists, so that no signal is lost: blocks every
 * forwardable signal and reads them from a signalfd instead; with
 * SUBREAPER, orphans of the process come to us.  Children forked meanwhile
 * call signals_reset. */
int supervise_begin (struct supervisor *s, bool subreaper, pith_error *err);
/* Restores the signal mask. */
void supervise_end (struct supervisor *s);

struct supervise_target
{
  pid_t pid;                   /* the process to wait for: our child */
  int pty;                     /* a pty master to relay to our stdio, or -1 */
  struct notify_proxy *notify; /* sd_notify messages to pass on meanwhile, or NULL */
};

/* Waits for T->pid, forwarding signals to it, relaying T->pty with the
 * caller's terminal in raw mode and its window size followed, and reaping
 * every child.  *EXIT_STATUS: the exit status, or 128+N after signal N. */
int supervise_wait (struct supervisor *s, const struct supervise_target *t, int *exit_status, pith_error *err);

/* In a child forked under supervise_begin: default dispositions, nothing
 * blocked. */
void signals_reset (void);

#endif
