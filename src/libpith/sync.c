/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"
#include "utils.h"

#define SYNC_MAX_PAYLOAD (1 << 20)

struct sync_header
{
  uint32_t type;
  int32_t errno_value;
};

void
sync_msg_release (struct sync_msg *m)
{
  free (m->payload);
  m->payload = NULL;
  if (m->fd >= 0)
    close (m->fd);
  m->fd = -1;
}

static int
send_with_fd (int sock, struct iovec *iov, int iovcnt, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = iovcnt };

  if (fd >= 0)
    {
      struct cmsghdr *cmsg;

      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));
    }
  return TEMP_FAILURE_RETRY (sendmsg (sock, &msg, MSG_NOSIGNAL)) < 0 ? -1 : 0;
}

static int
received_fd (struct msghdr *msg)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c; c = CMSG_NXTHDR (msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (sizeof (int)))
      {
        int fd;
        memcpy (&fd, CMSG_DATA (c), sizeof fd);
        return fd;
      }
  return -1;
}

int
sync_send (int sock, enum sync_type type, int errno_value, const char *payload, int fd, pith_error *err)
{
  struct sync_header h = { .type = type, .errno_value = errno_value };
  struct iovec iov[2] = { { &h, sizeof h }, { (void *) payload, payload ? strlen (payload) : 0 } };

  if (iov[1].iov_len > SYNC_MAX_PAYLOAD)
    return pith_fail (err, EMSGSIZE, "sync message too large");
  if (send_with_fd (sock, iov, 2, fd) < 0)
    return pith_fail (err, errno, "send to container init");
  return 0;
}

void
sync_send_error (int sock, const pith_error *err)
{
  pith_error ignored = { 0 };

  sync_send (sock, SYNC_ERROR, err->errno_value, err->msg ? err->msg : "unknown error", -1, &ignored);
  pith_error_release (&ignored);
}

static int
sync_recv (int sock, struct sync_msg *m, int flags, pith_error *err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct sync_header h;
  cleanup_free char *buf = NULL;
  struct iovec iov[2];
  struct msghdr msg = { 0 };
  ssize_t size, r;

  m->payload = NULL;
  m->fd = -1;
  /* Peek at the size first: SEQPACKET would silently truncate. */
  size = TEMP_FAILURE_RETRY (recv (sock, NULL, 0, MSG_PEEK | MSG_TRUNC | flags));
  if (size < 0)
    return pith_fail (err, errno, "receive from container init");
  if (size == 0)
    return pith_fail (err, 0, "the container init exited during setup");
  if ((size_t) size < sizeof h || size > SYNC_MAX_PAYLOAD)
    return pith_fail (err, EPROTO, "malformed sync message");
  buf = xmalloc (size - sizeof h + 1);
  iov[0] = (struct iovec){ &h, sizeof h };
  iov[1] = (struct iovec){ buf, size - sizeof h };
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  r = TEMP_FAILURE_RETRY (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC | flags));
  if (r < 0)
    return pith_fail (err, errno, "receive from container init");
  buf[r - sizeof h] = '\0';
  m->type = h.type;
  m->errno_value = h.errno_value;
  m->fd = received_fd (&msg);
  m->payload = steal_pointer (&buf);
  return 0;
}

int
sync_expect (int sock, enum sync_type type, struct sync_msg *m, pith_error *err)
{
  if (sync_recv (sock, m, 0, err) < 0)
    return -1;
  if (m->type == SYNC_ERROR)
    {
      pith_error_release (err);
      err->errno_value = m->errno_value;
      err->msg = steal_pointer (&m->payload);
      sync_msg_release (m);
      return -1;
    }
  if (m->type != type)
    {
      sync_msg_release (m);
      return pith_fail (err, EPROTO, "unexpected sync message %d (wanted %d)", (int) m->type, (int) type);
    }
  return 0;
}

void
sync_prefer_peer_error (int sock, pith_error *err)
{
  for (;;)
    {
      pith_error ignored = { 0 };
      struct sync_msg m;

      if (sync_recv (sock, &m, MSG_DONTWAIT, &ignored) < 0)
        {
          pith_error_release (&ignored);
          return;
        }
      if (m.type == SYNC_ERROR && m.payload)
        {
          pith_error_release (err);
          err->errno_value = m.errno_value;
          err->msg = steal_pointer (&m.payload);
        }
      sync_msg_release (&m);
    }
}

int
send_fd (int sock, int fd, pith_error *err)
{
  char byte = 0;
  struct iovec iov = { &byte, 1 };

  if (send_with_fd (sock, &iov, 1, fd) < 0)
    return pith_fail (err, errno, "send file descriptor");
  return 0;
}

int
recv_fd (int sock, pith_error *err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  char byte;
  struct iovec iov = { &byte, 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  int fd;

  if (TEMP_FAILURE_RETRY (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
    return pith_fail (err, errno, "receive file descriptor");
  fd = received_fd (&msg);
  if (fd < 0)
    return pith_fail (err, EPROTO, "no file descriptor received");
  return fd;
}

int
send_fd_with_data (int sock, int fd, const char *data, size_t len, pith_error *err)
{
  struct iovec iov = { (void *) data, len };

  if (send_with_fd (sock, &iov, 1, fd) < 0)
    return pith_fail (err, errno, "send file descriptor");
  return 0;
}
