/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "seccomp-filter.h"
#include "seccomp-notify.h"
#include "sync.h"
#include "utils.h"

int
seccomp_notify_check_listener (const oci_seccomp *s, pith_error *err)
{
  struct stat st;

  if (stat (s->listener_path, &st) < 0)
    return pith_fail (err, errno, "config.json: /linux/seccomp/listenerPath: no seccomp agent at `%s`",
                      s->listener_path);
  if (!S_ISSOCK (st.st_mode))
    return pith_fail (err, ENOTSOCK, "config.json: /linux/seccomp/listenerPath: `%s`", s->listener_path);
  return 0;
}

static int
connect_agent (const oci_seccomp *s, pith_error *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int dirfd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *path = s->listener_path;

  if (sock < 0)
    return pith_fail (err, errno, "socket");
  if (strlen (path) < sizeof addr.sun_path)
    strcpy (addr.sun_path, path);
  else
    {
      /* Too long for sun_path: through its directory's fd. */
      cleanup_free char *dir = xstrdup (path);
      char *slash = strrchr (dir, '/');

      *slash = '\0';
      dirfd = open (dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return pith_fail (err, errno, "open `%s`", dir[0] ? dir : "/");
      snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1);
    }
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return pith_fail (err, errno, "connect to the seccomp agent at `%s` (linux.seccomp.listenerPath)", path);
  return steal_fd (&sock);
}

int
seccomp_notify_open_agent (const oci_config *config, int *agent, pith_error *err)
{
  const oci_seccomp *s = config->linux ? config->linux->seccomp : NULL;

  *agent = -1;
  if (!seccomp_uses_notify (s))
    return 0;
  *agent = connect_agent (s, err);
  return *agent < 0 ? -1 : 0;
}

static char *
process_state (const oci_seccomp *s, const char *state_json, pith_error *err)
{
  cleanup_free char *parse_err = NULL, *gen_err = NULL;
  static char *fd_names[] = { (char *) "seccompFd" };
  oci_process_state doc = { .oci_version = (char *) PITH_OCI_VERSION, .fds = fd_names, .fds_len = 1 };
  oci_state *state = oci_state_parse_data (state_json, strlen (state_json), "state", &parse_err);
  char *json;

  if (state == NULL)
    {
      pith_fail (err, EINVAL, "seccomp agent: %s", parse_err);
      return NULL;
    }
  doc.pid = state->pid;
  doc.pid_present = true;
  doc.metadata = s->listener_metadata && s->listener_metadata[0] ? s->listener_metadata : NULL;
  doc.state = state;
  json = oci_process_state_generate (&doc, 0, &gen_err);
  oci_state_free (state);
  if (json == NULL)
    pith_fail (err, 0, "seccomp agent: %s", gen_err ? gen_err : "cannot serialise the state");
  return json;
}

int
seccomp_notify_relay (int conn, int agent, const oci_seccomp *s, pid_t pid, const char *state_json,
                      pith_error *err)
{
  cleanup_free char *doc = NULL;
  cleanup_close int notify_fd = -1;
  char first;
  ssize_t r = TEMP_FAILURE_RETRY (recv (conn, &first, 1, MSG_PEEK));

  if (r < 0)
    return pith_fail (err, errno, "seccomp notify: read from the container");
  if (r == 0 || first != '\0')
    return 0;
  notify_fd = recv_fd (conn, err);
  if (notify_fd < 0)
    return pith_wrap (err, "seccomp notify");
  doc = process_state (s, state_json, err);
  if (doc == NULL || send_fd_with_data (agent, notify_fd, doc, strlen (doc), err) < 0)
    {
      /* Before the fd closes: then its pending calls would fail and the
       * program run on. */
      kill (pid, SIGKILL);
      return doc ? pith_wrap (err, "seccomp agent at `%s`", s->listener_path) : -1;
    }
  /* The end of the message for the agent now, whenever the caller closes
   * AGENT: the program's first calls may be waiting on the agent, and the
   * agent on the end of the state. */
  shutdown (agent, SHUT_RDWR);
  return 1;
}
