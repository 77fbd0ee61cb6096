/* Creating a container: pith (the parent) clones the container init, and
 * the two walk through the setup in step over a socketpair.
 *
 *   parent                               init (the clone)
 *   ------                               ----
 *   clone with the new namespaces  ->    [new userns: wait for GO]
 *   uid/gid maps, oom_score_adj          join namespaces by path
 *   cgroups: create, limit, join         hostname, keyring
 *   GO (state JSON for hooks)      ->    mounts, devices
 *                                  <-    HOOKS_NOW (when there are hooks)
 *   prestart, createRuntime hooks
 *   HOOKS_DONE                     ->    createContainer hooks
 *                                        sysctl, masked/readonly paths,
 *                                        pivot_root, terminal
 *                                  <-    PTY_MASTER (with terminal)
 *   console socket                       find the executable, cwd
 *                                  <-    READY
 *   state.json, pid file
 *   SAVED                          ->    wait on start.sock for `start`
 *
 * Any failure in the init is sent as ERROR and the init exits; the parent
 * then removes everything it made.  The init waits for GO only where it
 * needs it, so its mount work overlaps the parent's cgroup work.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_LAUNCH_H
#define PITH_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "bundle.h"
#include "cgroup.h"
#include "namespaces.h"
#include "pith.h"

struct launch
{
  pith_context *ctx;
  const char *id;
  const pith_create_options *opts;
  struct bundle bundle;
  struct ns_plan ns;
  struct cgroup_plan cgroups;
  int state_dirfd;
  int sync_parent;  /* parent's end of the socketpair */
  int sync_child;   /* init's end */
  int start_listen; /* listening socket at <state>/start.sock */
  int preserved_fds; /* fds 3.. passed on: socket-activation ones, then --preserve-fds */
  int listen_fds;   /* of those, how many came from our own LISTEN_FDS */
  pid_t pid;        /* the init, as the host sees it */
  int pty_master;   /* kept when pith relays the terminal itself */
  bool relay_terminal;
};

/* Creates the container: on success the init waits for `start`, the state
 * is saved and L->pid is the init.  FOREGROUND: the caller stays (run), so a
 * terminal without --console-socket is relayed by the caller from
 * L->pty_master. */
int launch_create (pith_context *ctx, const char *id, const pith_create_options *opts, bool foreground,
                   struct launch *l, pith_error *err);
void launch_release (struct launch *l);

/* The init's side.  Never returns. */
void init_main (struct launch *l) __attribute__ ((noreturn));

/* The start protocol on start.sock: `start` sends the state document and
 * shuts down its writing side; the init answers nothing if it exec'd, or an
 * error message if it could not. */
int start_socket_listen (int state_dirfd, pith_error *err);
int start_socket_connect (int state_dirfd, pith_error *err);

#endif
