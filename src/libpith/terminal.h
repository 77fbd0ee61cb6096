/* The container's terminal: a pty made inside the container, its master
 * handed to whoever listens on --console-socket.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_TERMINAL_H
#define PITH_TERMINAL_H

#include "oci-types.h"
#include "pith.h"

/* In the init, after pivot_root: opens a pty from the container's devpts,
 * makes its slave the controlling terminal and stdio, binds it on
 * /dev/console.  Returns the master. */
int terminal_setup (const oci_box *size, pith_error *err);

/* Sends MASTER to the unix socket at PATH. */
int terminal_send_to_socket (const char *path, int master, pith_error *err);

#endif
