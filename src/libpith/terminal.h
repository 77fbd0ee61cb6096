/* The container's terminal: a pty made inside the container, its master
 * handed to whoever listens on --console-socket, or relayed by pith itself
 * to the caller's terminal.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_TERMINAL_H
#define PITH_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "oci-types.h"
#include "pith.h"

/* In the init, after pivot_root: opens a pty from the container's devpts,
 * makes its slave the controlling terminal and stdio, binds it on
 * /dev/console.  Returns the master. */
int terminal_setup (const oci_box *size, pith_error *err);

/* In a process joining a container (exec): the same without /dev/console,
 * the slave owned by OWNER (the process's user).  Returns the master. */
int terminal_new_pty (const oci_box *size, uid_t owner, pith_error *err);

/* Sends MASTER to the unix socket at PATH. */
int terminal_send_to_socket (const char *path, int master, pith_error *err);

/* The caller's terminal while pith relays a container's pty to it. */
struct terminal_host
{
  int fd; /* the first of stdin, stdout, stderr that is a terminal, or -1 */
  struct termios saved;
  bool raw;
};

/* Finds the caller's terminal and puts it in raw mode: keys, ^C included,
 * go to the container's terminal, which does its own line discipline. */
void terminal_host_begin (struct terminal_host *t);
/* Puts back the mode terminal_host_begin found. */
void terminal_host_end (struct terminal_host *t);
/* Gives the pty MASTER the caller's window size (SIGWINCH). */
void terminal_host_copy_size (const struct terminal_host *t, int master);

#endif
