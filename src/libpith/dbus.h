/* A minimal D-Bus client: enough to call systemd's manager methods for the
 * systemd cgroup driver without linking libsystemd (a static pith binary
 * cannot dlopen it safely, and loading it cost every command time).
 * It marshals the basic types the driver's calls need (y b u t s o g,
 * arrays, structs, variants), sends one method call and waits for its
 * reply or error.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_DBUS_H
#define PITH_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A message body (or header) being marshalled; offsets are relative to
 * the start of the message, which the header padding keeps 8-aligned. */
struct dbus_buf
{
  uint8_t *data;
  size_t len, cap;
};

void dbus_buf_release (struct dbus_buf *b);
#define cleanup_dbus_buf __attribute__ ((cleanup (dbus_buf_release)))

void dbus_put_byte (struct dbus_buf *b, uint8_t v);
void dbus_put_bool (struct dbus_buf *b, bool v);
void dbus_put_u32 (struct dbus_buf *b, uint32_t v);
void dbus_put_u64 (struct dbus_buf *b, uint64_t v);
void dbus_put_string (struct dbus_buf *b, const char *s); /* 's' and 'o' */
void dbus_put_signature (struct dbus_buf *b, const char *sig);
void dbus_put_bytes (struct dbus_buf *b, const void *p, size_t n); /* 'ay' */
/* Structs and dict entries start 8-aligned. */
void dbus_struct_begin (struct dbus_buf *b);
/* An array of elements aligned to ELEMENT_ALIGN: end fills in the length. */
struct dbus_array
{
  size_t length_at, first;
};
struct dbus_array dbus_array_begin (struct dbus_buf *b, size_t element_align);
void dbus_array_end (struct dbus_buf *b, struct dbus_array array);

struct dbus_conn
{
  int fd;
  uint32_t serial;
};

/* Connects to ADDRESS ("unix:path=..." or "unix:abstract=...") and
 * authenticates; BUS_DAEMON: the peer is a bus daemon, which wants Hello. */
int dbus_connect_address (struct dbus_conn *conn, const char *address, bool bus_daemon, pith_error *err);

/* Connects to the service manager of the caller: systemd's private socket
 * (root: /run/systemd/private, others: $XDG_RUNTIME_DIR/systemd/private),
 * else the system (root) or session bus, and authenticates. */
int dbus_connect_systemd (struct dbus_conn *conn, pith_error *err);
void dbus_close (struct dbus_conn *conn);
#define cleanup_dbus_conn __attribute__ ((cleanup (dbus_close)))

/* Calls DESTINATION's PATH INTERFACE.MEMBER with BODY of SIGNATURE (NULL
 * for none) and waits for the reply.  A D-Bus error fills ERR with its
 * message; ERROR_NAME, when not NULL, receives its name (or "").  */
int dbus_call (struct dbus_conn *conn, const char *destination, const char *path, const char *interface,
               const char *member, const char *signature, const struct dbus_buf *body, char **error_name,
               pith_error *err);

#endif
