/* SCMP_ACT_NOTIFY.  The notify fd exists once the container process loads
 * its filter, just before execve, when the only host-side pith process left
 * is the one starting it (`start`, `run`, `exec`).  The container process
 * sends it the fd; that process passes it on, with the container process
 * state, to the seccomp agent at linux.seccomp.listenerPath
 * (config-linux.md, "The Container Process State") and closes the
 * connection, so the agent never waits on the container.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SECCOMP_NOTIFY_H
#define PITH_SECCOMP_NOTIFY_H

#include <sys/types.h>

#include "oci-types.h"
#include "pith.h"

/* At create: a socket must be at listenerPath (the agent runs before). */
int seccomp_notify_check_listener (const oci_seccomp *s, pith_error *err);

/* Before the container process is let go: *AGENT is a connection to the
 * agent when CONFIG has notify rules, else -1. */
int seccomp_notify_open_agent (const oci_config *config, int *agent, pith_error *err);

/* Receives the notify fd on CONN, if that is what the container process
 * PID sends first (a NUL byte carrying it), and sends it to AGENT with the
 * state built from STATE_JSON (the container's runtime.md state), then
 * shuts AGENT down: one message per connection (close it later).  Returns
 * 1 when it did, 0 when CONN had something else first (an error message,
 * EOF: for the caller to read), -1 on failure, after killing PID: its
 * notified calls must not go on without an agent. */
int seccomp_notify_relay (int conn, int agent, const oci_seccomp *s, pid_t pid, const char *state_json,
                          pith_error *err);

#endif
