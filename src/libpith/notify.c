/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "process.h"
#include "state-store.h"
#include "utils.h"

#define CONTAINER_DIR "/run/notify"
#define SOCKET_NAME "notify.sock"

static oci_mount *
notify_mount (const char *source)
{
  static const char *const options[] = { "bind", "nosuid", "nodev", "noexec", "ro" };
  oci_mount *m = xzalloc (sizeof *m);

  m->destination = xstrdup (CONTAINER_DIR);
  m->type = xstrdup ("bind");
  m->source = xstrdup (source);
  m->options = xzalloc (ARRAY_SIZE (options) * sizeof *m->options);
  for (size_t i = 0; i < ARRAY_SIZE (options); i++)
    m->options[i] = xstrdup (options[i]);
  m->options_len = ARRAY_SIZE (options);
  return m;
}

int
notify_plan (pith_context *ctx, const char *id, oci_config *config, bool *wanted, pith_error *err)
{
  const char *root = state_root_path (ctx);
  cleanup_free char *cwd = NULL, *source = NULL;

  *wanted = false;
  if (getenv ("NOTIFY_SOCKET") == NULL || config->process == NULL)
    return 0;
  if (root[0] != '/')
    {
      cwd = getcwd (NULL, 0);
      if (cwd == NULL)
        return pith_fail (err, errno, "getcwd");
    }
  source = xasprintf ("%s%s%s/%s/%s", cwd ? cwd : "", cwd ? "/" : "", root, id, NOTIFY_DIR);
  config->mounts = xrealloc (config->mounts, (config->mounts_len + 1) * sizeof *config->mounts);
  config->mounts[config->mounts_len++] = notify_mount (source);
  process_env_append (config->process, "NOTIFY_SOCKET=" CONTAINER_DIR "/" SOCKET_NAME);
  *wanted = true;
  return 0;
}

int
notify_make_dir (int state_dirfd, pith_error *err)
{
  if (mkdirat (state_dirfd, NOTIFY_DIR, 0755) < 0)
    return pith_fail (err, errno, "create `%s` in the state directory", NOTIFY_DIR);
  return 0;
}

int
notify_proxy_open (int state_dirfd, pid_t mainpid, struct notify_proxy *p, pith_error *err)
{
  const char *host = getenv ("NOTIFY_SOCKET");
  cleanup_close int sock = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  memset (p, 0, sizeof *p);
  p->sock = -1;
  if (host == NULL || host[0] == '\0' || faccessat (state_dirfd, NOTIFY_DIR, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  sock = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return pith_fail (err, errno, "socket");
  /* Through the directory fd, so the address fits whatever --root is. */
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s/%s", state_dirfd, NOTIFY_DIR, SOCKET_NAME);
  unlink (addr.sun_path);
  if (bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return pith_fail (err, errno, "bind the container's notify socket");
  /* Any user of the container may report readiness. */
  if (fchmodat (state_dirfd, NOTIFY_DIR "/" SOCKET_NAME, 0777, 0) < 0)
    return pith_fail (err, errno, "chmod the container's notify socket");
  p->sock = steal_fd (&sock);
  p->host = xstrdup (host);
  p->mainpid = mainpid;
  return 0;
}

static int
send_to_host (const struct notify_proxy *p, const char *msg, pith_error *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  size_t len = strlen (p->host);
  socklen_t addr_len;

  if (sock < 0)
    return pith_fail (err, errno, "socket");
  if (len >= sizeof addr.sun_path)
    return pith_fail (err, ENAMETOOLONG, "NOTIFY_SOCKET `%s`", p->host);
  memcpy (addr.sun_path, p->host, len);
  addr_len = offsetof (struct sockaddr_un, sun_path) + len + 1;
  /* "@name" is a socket in the abstract namespace. */
  if (p->host[0] == '@')
    {
      addr.sun_path[0] = '\0';
      addr_len--;
    }
  if (TEMP_FAILURE_RETRY (sendto (sock, msg, strlen (msg), 0, (struct sockaddr *) &addr, addr_len)) < 0)
    return pith_fail (err, errno, "send to NOTIFY_SOCKET `%s`", p->host);
  return 0;
}

static bool
has_ready_line (const char *msg)
{
  for (const char *line = msg; line; line = strchr (line, '\n'))
    {
      if (*line == '\n')
        line++;
      if (str_has_prefix (line, "READY=1") && (line[7] == '\n' || line[7] == '\0'))
        return true;
    }
  return false;
}

int
notify_proxy_handle (struct notify_proxy *p, pith_error *err)
{
  char buf[4096], msg[64];
  ssize_t n = TEMP_FAILURE_RETRY (recv (p->sock, buf, sizeof buf - 1, MSG_DONTWAIT));

  if (n < 0)
    return errno == EAGAIN ? 0 : pith_fail (err, errno, "receive on the container's notify socket");
  buf[n] = '\0';
  /* Only readiness goes on, as runc does: the container's other
   * assignments (MAINPID above all) mean nothing outside it. */
  if (p->ready || !has_ready_line (buf))
    return 0;
  snprintf (msg, sizeof msg, "READY=1\nMAINPID=%d\n", (int) p->mainpid);
  if (send_to_host (p, msg, err) < 0)
    return -1;
  p->ready = true;
  return 0;
}

int
notify_proxy_wait (struct notify_proxy *p, int pidfd, pith_error *err)
{
  while (p->sock >= 0 && !p->ready)
    {
      struct pollfd fds[2] = { { .fd = p->sock, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };

      if (TEMP_FAILURE_RETRY (poll (fds, 2, -1)) < 0)
        return pith_fail (err, errno, "poll");
      if ((fds[0].revents & POLLIN) && notify_proxy_handle (p, err) < 0)
        return -1;
      if (fds[1].revents & (POLLIN | POLLHUP))
        {
          /* Gone: a READY it sent on its way out still counts. */
          return notify_proxy_handle (p, err);
        }
    }
  return 0;
}

void
notify_proxy_close (struct notify_proxy *p)
{
  if (p->sock >= 0)
    close (p->sock);
  p->sock = -1;
  free (p->host);
  p->host = NULL;
}
