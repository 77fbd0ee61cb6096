/* Messages between pith and the container init over a SOCK_SEQPACKET pair,
 * and file-descriptor passing with SCM_RIGHTS.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SYNC_H
#define PITH_SYNC_H

#include <stddef.h>

#include "pith.h"

enum sync_type
{
  SYNC_GO = 1,      /* parent -> init: id maps written, cgroup joined */
  SYNC_HOOKS_NOW,   /* init -> parent: mounts made, run prestart/createRuntime */
  SYNC_HOOKS_DONE,  /* parent -> init */
  SYNC_PTY_MASTER,  /* init -> parent, with the pty master fd */
  SYNC_READY,       /* init -> parent: set up */
  SYNC_SAVED,       /* parent -> init: state saved; wait for start */
  SYNC_ERROR,       /* either way: payload is the message */
  SYNC_PID,         /* init -> parent: pid of the init forked into its pid namespace */
};

struct sync_msg
{
  enum sync_type type;
  int errno_value;
  char *payload; /* NUL-terminated, malloc'd, may be NULL */
  int fd;        /* received fd or -1 */
};

void sync_msg_release (struct sync_msg *m);

int sync_send (int sock, enum sync_type type, int errno_value, const char *payload, int fd, pith_error *err);
/* Receives one message; SYNC_ERROR becomes a failure carrying the peer's
 * message, and an unexpected type or EOF is a failure too. */
int sync_expect (int sock, enum sync_type type, struct sync_msg *m, pith_error *err);
/* If the peer left an error message unread, it replaces ERR: when the init
 * fails, the parent's own error (a broken pipe, a vanished pid) is only a
 * consequence. */
void sync_prefer_peer_error (int sock, pith_error *err);
/* Sends ERR to the peer (used by the init before it exits). */
void sync_send_error (int sock, const pith_error *err);

/* Sends FD over a stream socket (console socket). */
int send_fd (int sock, int fd, pith_error *err);
/* Sends FD with DATA as the payload, all in one sendmsg (stream socket). */
int send_fd_with_data (int sock, int fd, const char *data, size_t len, pith_error *err);
/* Receives one fd, or -1 with ERR filled. */
int recv_fd (int sock, pith_error *err);

#endif
