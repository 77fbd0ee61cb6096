/* Creating a container: pith (the parent) clones the container init, and
 * the two walk through the setup in step over a socketpair.
 *
 *   parent                               init (the clone)
 *   ------                               ----
 *   (before: seccomp compiled, labels
 *   checked, idmapped mounts cloned;
 *   on v2, cgroup created and limited)
 *   clone with the new namespaces  ->    [new userns: wait for GO]
 *   (v1: cgroup created and limited)     join namespaces by path
 *                                  <-    [joined userns + new pidns:
 *   adopt that pid, reap the first         fork into the pidns, send
 *                                          PID, the first one exits]
 *   uid/gid maps, oom_score_adj          hostname, keyring
 *   cgroup join                          mounts up to the first cgroup one
 *   netDevices, intelRdt
 *   GO (state JSON for hooks)      ->    [wait for GO] new cgroup ns,
 *                                        the other mounts, devices
 *   state.json, config copy
 *                                  <-    HOOKS_NOW (when there are hooks)
 *   prestart, createRuntime hooks
 *   HOOKS_DONE                     ->    createContainer hooks
 *                                        sysctl, masked/readonly paths,
 *                                        pivot_root, terminal
 *                                  <-    PTY_MASTER (with terminal)
 *   console socket                       find the executable, cwd
 *                                  <-    READY
 *   pid file
 *   SAVED                          ->    wait on start.sock for `start`
 *
 * Any failure in the init is sent as ERROR and the init exits; the parent
 * then removes everything it made (the state directory with its files).
 * The init waits for GO only where it needs it, so that its work overlaps
 * the parent's; the state is written while the init sets up, under the
 * directory's lock, so no other command sees it before SAVED.  With
 * --debug the parent marks its phases on L->clock; the init inherits the
 * clock and can mark its own on the same time line.  The parent sees the
 * init's work only as the time it waited for the next message.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_LAUNCH_H
#define PITH_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "bundle.h"
#include "cgroup.h"
#include "log.h"
#include "namespaces.h"
#include "pith.h"
#include "security.h"

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
  struct process_security security; /* seccomp program, labels: prepared before clone */
  int *idmapped;    /* per mount: idmapped source clone, or -1 (NULL: none) */
  struct phase_clock clock; /* --debug phase timings, from the start of create */
};

/* Creates the container: on success the init waits for `start`, the state
 * is saved and L->pid is the init.  FOREGROUND: the caller stays (run), so a
 * terminal without --console-socket is relayed by the caller from
 * L->pty_master. */
/* state.json and the config copy of a new container whose init is PID:
 * for create (while the init sets up) and restore. */
int launch_save_state (pith_context *ctx, int dirfd, const char *id, const struct bundle *b,
                       const struct cgroup_plan *plan, pid_t pid, pith_error *err);
int launch_create (pith_context *ctx, const char *id, const pith_create_options *opts, bool foreground,
                   struct launch *l, pith_error *err);
void launch_release (struct launch *l);

/* Socket activation of pith itself (systemd's LISTEN_FDS, meant for this
 * process): how many fds from 3 on pass into a container (create, exec)
 * before the --preserve-fds ones. */
int launch_listen_fds (void);

/* Writes PID to the --pid-file PATH, atomically. */
int pid_file_write (const char *path, pid_t pid, pith_error *err);

/* The init's side.  Never returns. */
void init_main (struct launch *l) __attribute__ ((noreturn));

/* The start protocol on start.sock: `start` sends the state document and
 * shuts down its writing side; the init answers nothing if it exec'd, or an
 * error message if it could not.  With seccomp notify rules it first sends
 * a NUL byte carrying the notify fd, which `start` passes to the agent
 * (seccomp-notify.h). */
int start_socket_listen (int state_dirfd, pith_error *err);
int start_socket_connect (int state_dirfd, pith_error *err);

#endif
