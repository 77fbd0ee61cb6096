/* NOTIFY_SOCKET: a container's sd_notify readiness passed on to whoever
 * started pith (systemd with Type=notify, Podman --sdnotify=container).
 *
 *   create  pith's environment has NOTIFY_SOCKET: <state>/notify/ is made
 *           and bind-mounted at /run/notify in the container, whose process
 *           gets NOTIFY_SOCKET=/run/notify/notify.sock.  Nothing listens yet
 *           and no process of pith's stays behind.
 *   start   (and `run`) with NOTIFY_SOCKET in its environment: binds
 *           notify.sock before the program runs, then passes READY=1 and
 *           MAINPID=<init's host pid> to the caller's socket.  `start` and
 *           `run --detach` wait for that READY, or for the container to end
 *           without it; a foreground `run` passes it on while it waits.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_NOTIFY_H
#define PITH_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci-types.h"
#include "pith.h"

#define NOTIFY_DIR "notify"

/* create, before the mounts are planned: when pith's environment has
 * NOTIFY_SOCKET, adds the /run/notify mount of STATE_DIR/notify (the
 * container's state directory, absolute) and the process's NOTIFY_SOCKET
 * to CONFIG.  *WANTED tells whether it did. */
int notify_plan (pith_context *ctx, const char *id, oci_config *config, bool *wanted, pith_error *err);
/* create, once the state directory exists: the directory that is mounted. */
int notify_make_dir (int state_dirfd, pith_error *err);

struct notify_proxy
{
  int sock;   /* bound at <state>/notify/notify.sock, or -1: nothing to pass on */
  char *host; /* the caller's NOTIFY_SOCKET */
  pid_t mainpid;
  bool ready; /* READY=1 has been passed on */
};

/* start, before the program runs.  Leaves P->sock -1 when the container
 * was created without NOTIFY_SOCKET or ours has none. */
int notify_proxy_open (int state_dirfd, pid_t mainpid, struct notify_proxy *p, pith_error *err);
/* Reads what is waiting on P->sock; READY=1 goes on to the caller. */
int notify_proxy_handle (struct notify_proxy *p, pith_error *err);
/* Until READY=1 has been passed on, or the process behind PIDFD is gone. */
int notify_proxy_wait (struct notify_proxy *p, int pidfd, pith_error *err);
void notify_proxy_close (struct notify_proxy *p);

#endif
