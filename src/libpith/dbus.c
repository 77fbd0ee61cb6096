/* A minimal D-Bus client (see dbus.h): the wire format of the D-Bus
 * specification, "Message Protocol", for method calls and their replies.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "dbus.h"
#include "utils.h"

/* sd-bus's default method call timeout. */
#define DBUS_TIMEOUT_SEC 25
#define DBUS_MAX_HEADER (64 * 1024)
#define DBUS_MAX_BODY (1024 * 1024)

enum
{
  DBUS_METHOD_CALL = 1,
  DBUS_METHOD_RETURN = 2,
  DBUS_ERROR = 3,
};

enum
{
  DBUS_FIELD_PATH = 1,
  DBUS_FIELD_INTERFACE = 2,
  DBUS_FIELD_MEMBER = 3,
  DBUS_FIELD_ERROR_NAME = 4,
  DBUS_FIELD_REPLY_SERIAL = 5,
  DBUS_FIELD_DESTINATION = 6,
  DBUS_FIELD_SIGNATURE = 8,
};

void
dbus_buf_release (struct dbus_buf *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static void
put_raw (struct dbus_buf *b, const void *p, size_t n)
{
  if (b->len + n > b->cap)
    {
      b->cap = (b->len + n) * 2 + 64;
      b->data = xrealloc (b->data, b->cap);
    }
  if (n)
    memcpy (b->data + b->len, p, n);
  b->len += n;
}

static void
put_align (struct dbus_buf *b, size_t align)
{
  static const uint8_t zeros[8];

  put_raw (b, zeros, (align - b->len % align) % align);
}

void
dbus_put_byte (struct dbus_buf *b, uint8_t v)
{
  put_raw (b, &v, 1);
}

void
dbus_put_u32 (struct dbus_buf *b, uint32_t v)
{
  put_align (b, 4);
  put_raw (b, &v, 4);
}

void
dbus_put_bool (struct dbus_buf *b, bool v)
{
  dbus_put_u32 (b, v ? 1 : 0);
}

void
dbus_put_u64 (struct dbus_buf *b, uint64_t v)
{
  put_align (b, 8);
  put_raw (b, &v, 8);
}

void
dbus_put_string (struct dbus_buf *b, const char *s)
{
  size_t n = strlen (s);

  dbus_put_u32 (b, (uint32_t) n);
  put_raw (b, s, n + 1);
}

void
dbus_put_signature (struct dbus_buf *b, const char *sig)
{
  size_t n = strlen (sig);

  dbus_put_byte (b, (uint8_t) n);
  put_raw (b, sig, n + 1);
}

void
dbus_struct_begin (struct dbus_buf *b)
{
  put_align (b, 8);
}

struct dbus_array
dbus_array_begin (struct dbus_buf *b, size_t element_align)
{
  struct dbus_array a;

  put_align (b, 4);
  a.length_at = b->len;
  dbus_put_u32 (b, 0);
  /* The padding to the first element is not part of the array's length. */
  put_align (b, element_align);
  a.first = b->len;
  return a;
}

void
dbus_array_end (struct dbus_buf *b, struct dbus_array a)
{
  uint32_t n = (uint32_t) (b->len - a.first);

  memcpy (b->data + a.length_at, &n, 4);
}

void
dbus_put_bytes (struct dbus_buf *b, const void *p, size_t n)
{
  struct dbus_array a = dbus_array_begin (b, 1);

  put_raw (b, p, n);
  dbus_array_end (b, a);
}

/* "unix:path=/run/x,guid=..." or "unix:abstract=..." (the first address of a
 * ';' list) into SA; false for anything else. */
static bool
parse_address (const char *address, struct sockaddr_un *sa, socklen_t *sa_len)
{
  cleanup_free char *copy = NULL;
  char *saveptr = NULL, *end;

  if (address == NULL || !str_has_prefix (address, "unix:"))
    return false;
  copy = xstrdup (address + 5);
  if ((end = strchr (copy, ';')))
    *end = '\0';
  for (char *kv = strtok_r (copy, ",", &saveptr); kv; kv = strtok_r (NULL, ",", &saveptr))
    {
      bool abstract = str_has_prefix (kv, "abstract=");
      const char *value;

      if (!abstract && !str_has_prefix (kv, "path="))
        continue;
      value = strchr (kv, '=') + 1;
      if (strlen (value) + 1 > sizeof sa->sun_path)
        return false;
      memset (sa, 0, sizeof *sa);
      sa->sun_family = AF_UNIX;
      memcpy (sa->sun_path + abstract, value, strlen (value));
      *sa_len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + abstract + strlen (value) + !abstract);
      return true;
    }
  return false;
}

static int
connect_address (const char *address)
{
  struct sockaddr_un sa;
  socklen_t sa_len;
  struct timeval timeout = { .tv_sec = DBUS_TIMEOUT_SEC };
  int fd;

  if (!parse_address (address, &sa, &sa_len))
    {
      errno = EAFNOSUPPORT;
      return -1;
    }
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0
      || setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) < 0
      || connect (fd, (struct sockaddr *) &sa, sa_len) < 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

static int
read_exact (int fd, void *p, size_t n, pith_error *err)
{
  for (size_t got = 0; got < n;)
    {
      ssize_t r = read (fd, (uint8_t *) p + got, n - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return pith_fail (err, r == 0 ? ECONNRESET : errno == EAGAIN ? ETIMEDOUT : errno, "read from D-Bus");
      got += (size_t) r;
    }
  return 0;
}

/* SASL EXTERNAL: the peer checks our uid against the socket's credentials. */
static int
authenticate (int fd, pith_error *err)
{
  char uid[16], request[64] = "", reply[256];
  size_t len = 1, got = 0;

  snprintf (uid, sizeof uid, "%u", (unsigned) geteuid ());
  len += (size_t) snprintf (request + 1, sizeof request - 1, "AUTH EXTERNAL ");
  for (const char *c = uid; *c; c++)
    len += (size_t) snprintf (request + len, sizeof request - len, "%02x", (unsigned char) *c);
  len += (size_t) snprintf (request + len, sizeof request - len, "\r\n");
  if (send_all (fd, request, len) < 0)
    return pith_fail (err, errno, "D-Bus authentication");
  while (got < 3 || memcmp (reply + got - 2, "\r\n", 2) != 0)
    {
      ssize_t r = read (fd, reply + got, sizeof reply - 1 - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || (got += (size_t) r) == sizeof reply - 1)
        return pith_fail (err, r < 0 ? errno : EPROTO, "D-Bus authentication: no answer");
    }
  reply[got - 2] = '\0';
  if (!str_has_prefix (reply, "OK "))
    return pith_fail (err, EACCES, "D-Bus authentication refused: %s", reply);
  if (send_all (fd, "BEGIN\r\n", 7) < 0)
    return pith_fail (err, errno, "D-Bus authentication");
  return 0;
}

void
dbus_close (struct dbus_conn *conn)
{
  if (conn->fd >= 0)
    close (conn->fd);
  conn->fd = -1;
}

int
dbus_connect_address (struct dbus_conn *conn, const char *address, bool bus_daemon, pith_error *err)
{
  conn->serial = 0;
  if ((conn->fd = connect_address (address)) < 0)
    return pith_fail (err, errno, "connect to D-Bus at %s", address);
  if (authenticate (conn->fd, err) < 0)
    return -1;
  /* A bus daemon drops a connection whose first call is not Hello. */
  if (bus_daemon)
    return dbus_call (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", NULL,
                      NULL, NULL, err);
  return 0;
}

int
dbus_connect_systemd (struct dbus_conn *conn, pith_error *err)
{
  const char *runtime_dir = getenv ("XDG_RUNTIME_DIR");
  cleanup_free char *private = NULL, *user_bus = NULL;
  const char *bus;
  bool root = geteuid () == 0;

  /* systemd's private socket speaks D-Bus peer to peer: no bus daemon needed. */
  if (root)
    private = xstrdup ("unix:path=/run/systemd/private");
  else if (runtime_dir)
    private = xasprintf ("unix:path=%s/systemd/private", runtime_dir);
  if (private && dbus_connect_address (conn, private, false, err) == 0)
    return 0;
  dbus_close (conn);
  pith_error_release (err);
  if (root)
    bus = getenv ("DBUS_SYSTEM_BUS_ADDRESS") ?: "unix:path=/run/dbus/system_bus_socket";
  else if ((bus = getenv ("DBUS_SESSION_BUS_ADDRESS")) == NULL && runtime_dir)
    bus = user_bus = xasprintf ("unix:path=%s/bus", runtime_dir);
  if (bus == NULL)
    return pith_fail (err, ENOENT, "cannot reach the systemd user manager: neither XDG_RUNTIME_DIR nor "
                      "DBUS_SESSION_BUS_ADDRESS is set");
  if (dbus_connect_address (conn, bus, true, err) < 0)
    return pith_wrap (err, "cannot reach the systemd %s manager over D-Bus (is systemd running?)",
                      root ? "system" : "user");
  return 0;
}

static void
put_header_field (struct dbus_buf *h, uint8_t code, const char *type, const char *value)
{
  dbus_struct_begin (h);
  dbus_put_byte (h, code);
  dbus_put_signature (h, type);
  if (type[0] == 'g')
    dbus_put_signature (h, value);
  else
    dbus_put_string (h, value);
}

static uint32_t
get_u32 (const uint8_t *p, bool swap)
{
  uint32_t v;

  memcpy (&v, p, 4);
  return swap ? __builtin_bswap32 (v) : v;
}

struct dbus_reply
{
  uint8_t type;
  uint32_t reply_serial;
  const char *error_name, *signature;
  const uint8_t *body;
  size_t body_len;
  bool swap;
};

/* The header fields of MSG (LEN bytes, fields from 16 to END). */
static int
parse_fields (const uint8_t *msg, size_t end, struct dbus_reply *r, pith_error *err)
{
  size_t pos = 16;

  while ((pos = (pos + 7) & ~(size_t) 7) < end)
    {
      uint8_t code, sig_len;
      const char *sig;
      const char *str = NULL;
      uint32_t n = 0;

      if (pos + 2 > end || (sig_len = msg[pos + 1]) != 1 || pos + 4 > end)
        return pith_fail (err, EPROTO, "D-Bus reply: malformed header field");
      code = msg[pos];
      sig = (const char *) msg + pos + 2;
      pos += 4;
      switch (sig[0])
        {
        case 'u':
          pos = (pos + 3) & ~(size_t) 3;
          if (pos + 4 > end)
            return pith_fail (err, EPROTO, "D-Bus reply: truncated header");
          n = get_u32 (msg + pos, r->swap);
          pos += 4;
          break;
        case 's':
        case 'o':
          pos = (pos + 3) & ~(size_t) 3;
          if (pos + 4 > end || (n = get_u32 (msg + pos, r->swap)) >= end - pos - 4 || msg[pos + 4 + n] != '\0')
            return pith_fail (err, EPROTO, "D-Bus reply: truncated header");
          str = (const char *) msg + pos + 4;
          pos += 4 + (size_t) n + 1;
          break;
        case 'g':
          if (pos >= end || (n = msg[pos]) >= end - pos - 1 || msg[pos + 1 + n] != '\0')
            return pith_fail (err, EPROTO, "D-Bus reply: truncated header");
          str = (const char *) msg + pos + 1;
          pos += (size_t) n + 2;
          break;
        default:
          return pith_fail (err, EPROTO, "D-Bus reply: header field of type '%c'", sig[0]);
        }
      if (code == DBUS_FIELD_REPLY_SERIAL && sig[0] == 'u')
        r->reply_serial = n;
      else if (code == DBUS_FIELD_ERROR_NAME && str)
        r->error_name = str;
      else if (code == DBUS_FIELD_SIGNATURE && sig[0] == 'g')
        r->signature = str;
    }
  return 0;
}

/* Reads messages until the reply to SERIAL; signals and other traffic are dropped. */
static int
read_reply (int fd, uint32_t serial, uint8_t **out, struct dbus_reply *r, pith_error *err)
{
  for (;;)
    {
      uint8_t fixed[16];
      cleanup_free uint8_t *msg = NULL;
      uint32_t fields_len, body_len;
      size_t header_len;

      if (read_exact (fd, fixed, sizeof fixed, err) < 0)
        return -1;
      if (fixed[0] != 'l' && fixed[0] != 'B')
        return pith_fail (err, EPROTO, "D-Bus reply: unknown byte order '%c'", fixed[0]);
      memset (r, 0, sizeof *r);
      r->swap = fixed[0] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 'l' : 'B');
      r->type = fixed[1];
      body_len = get_u32 (fixed + 4, r->swap);
      fields_len = get_u32 (fixed + 12, r->swap);
      if (fields_len > DBUS_MAX_HEADER || body_len > DBUS_MAX_BODY)
        return pith_fail (err, EPROTO, "D-Bus reply too large");
      header_len = (16 + (size_t) fields_len + 7) & ~(size_t) 7;
      msg = xmalloc (header_len + body_len + 1);
      memcpy (msg, fixed, sizeof fixed);
      if (read_exact (fd, msg + 16, header_len - 16 + body_len, err) < 0
          || parse_fields (msg, 16 + fields_len, r, err) < 0)
        return -1;
      msg[header_len + body_len] = '\0';
      if ((r->type == DBUS_METHOD_RETURN || r->type == DBUS_ERROR) && r->reply_serial == serial)
        {
          r->body = msg + header_len;
          r->body_len = body_len;
          *out = steal_pointer (&msg);
          return 0;
        }
    }
}

/* The first argument of an error reply, when it is the usual message string. */
static const char *
error_message (const struct dbus_reply *r)
{
  uint32_t n;

  if (r->signature == NULL || r->signature[0] != 's' || r->body_len < 5)
    return NULL;
  n = get_u32 (r->body, r->swap);
  if (n > r->body_len - 5 || r->body[4 + n] != '\0')
    return NULL;
  return (const char *) r->body + 4;
}

int
dbus_call (struct dbus_conn *conn, const char *destination, const char *path, const char *interface,
           const char *member, const char *signature, const struct dbus_buf *body, char **error_name,
           pith_error *err)
{
  cleanup_dbus_buf struct dbus_buf h = { 0 };
  cleanup_free uint8_t *reply = NULL;
  struct dbus_array fields;
  struct dbus_reply r;
  uint32_t serial = ++conn->serial;
  const char *message;

  if (error_name)
    *error_name = NULL;
  dbus_put_byte (&h, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 'l' : 'B');
  dbus_put_byte (&h, DBUS_METHOD_CALL);
  dbus_put_byte (&h, 0);
  dbus_put_byte (&h, 1); /* protocol version */
  dbus_put_u32 (&h, body ? (uint32_t) body->len : 0);
  dbus_put_u32 (&h, serial);
  fields = dbus_array_begin (&h, 8);
  put_header_field (&h, DBUS_FIELD_PATH, "o", path);
  put_header_field (&h, DBUS_FIELD_INTERFACE, "s", interface);
  put_header_field (&h, DBUS_FIELD_MEMBER, "s", member);
  put_header_field (&h, DBUS_FIELD_DESTINATION, "s", destination);
  if (signature && signature[0])
    put_header_field (&h, DBUS_FIELD_SIGNATURE, "g", signature);
  dbus_array_end (&h, fields);
  put_align (&h, 8);
  if (send_all (conn->fd, h.data, h.len) < 0 || (body && body->len && send_all (conn->fd, body->data, body->len) < 0))
    return pith_fail (err, errno, "D-Bus call %s.%s", interface, member);
  if (read_reply (conn->fd, serial, &reply, &r, err) < 0)
    return pith_wrap (err, "D-Bus call %s.%s", interface, member);
  if (r.type == DBUS_METHOD_RETURN)
    return 0;
  if (error_name)
    *error_name = xstrdup (r.error_name ? r.error_name : "");
  message = error_message (&r);
  return pith_fail (err, 0, "%s", message ? message : r.error_name ? r.error_name : "D-Bus error");
}
