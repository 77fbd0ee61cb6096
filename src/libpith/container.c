/* The lifecycle operations of runtime.md on an existing container: start,
 * state, kill, delete, list; and create, which launch.c does.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "hooks.h"
#include "intelrdt.h"
#include "launch.h"
#include "seccomp-notify.h"
#include "log.h"
#include "notify.h"
#include "state-store.h"
#include "utils.h"

#define KILL_WAIT_MS 10000

int
container_open (pith_context *ctx, const char *id, bool exclusive, struct container *c, pith_error *err)
{
  memset (c, 0, sizeof *c);
  c->rootfd = c->dirfd = -1;
  c->id = id;
  if (validate_container_id (id, err) < 0)
    return -1;
  c->rootfd = state_root_open (ctx, false, err);
  if (c->rootfd < 0)
    {
      if (err->errno_value == ENOENT)
        return container_not_found (err, id);
      return -1;
    }
  c->dirfd = state_dir_open (c->rootfd, id, exclusive, err);
  if (c->dirfd < 0)
    return -1;
  c->state = state_load (c->dirfd, id, err);
  if (c->state == NULL)
    return -1;
  c->status = container_status_of (c->dirfd, c->state);
  return 0;
}

int
container_from_launch (struct launch *l, struct container *c, pith_error *err)
{
  memset (c, 0, sizeof *c);
  c->rootfd = -1;
  c->id = l->id;
  c->dirfd = steal_fd (&l->state_dirfd);
  c->state = state_load (c->dirfd, l->id, err);
  if (c->state == NULL)
    return -1;
  c->status = STATUS_CREATED;
  c->config = l->bundle.config;
  c->config_borrowed = true;
  return 0;
}

void
container_close (struct container *c)
{
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->rootfd >= 0)
    close (c->rootfd);
  oci_saved_state_free (c->state);
  if (!c->config_borrowed)
    oci_config_free (c->config);
  memset (c, 0, sizeof *c);
  c->rootfd = c->dirfd = -1;
}

/* The config the container was created from, kept in its state directory. */
const oci_config *
container_config (struct container *c, pith_error *err)
{
  cleanup_free char *data = NULL, *parse_err = NULL;
  size_t len;

  if (c->config)
    return c->config;
  if (read_file_at (c->dirfd, STATE_CONFIG_FILE, 64 << 20, &data, &len, err) < 0)
    return NULL;
  c->config = oci_config_parse_data (data, len, STATE_CONFIG_FILE, &parse_err);
  if (c->config == NULL)
    pith_fail (err, 0, "stored config of \"%s\": %s", c->id, parse_err);
  return c->config;
}

/* Runs hooks whose failure is only a warning (poststart, poststop). */
static void
run_hooks_warn (pith_context *ctx, struct container *c, const char *phase, const char *status)
{
  pith_error err = { 0 };
  cleanup_free char *state_json = NULL;
  const oci_config *config = container_config (c, &err);
  const oci_hooks *h = config ? config->hooks : NULL;
  oci_hook **list = NULL;
  size_t n = 0;

  if (h)
    {
      list = strcmp (phase, "poststart") == 0 ? h->poststart : h->poststop;
      n = strcmp (phase, "poststart") == 0 ? h->poststart_len : h->poststop_len;
    }
  if (config && n > 0)
    state_json = state_document (c->state, status, &err);
  /* A failing hook here is a warning, and the ones after it still run. */
  for (size_t i = 0; state_json && i < n; i++)
    if (hooks_run (&list[i], 1, phase, state_json, &err) < 0)
      {
        pith_warn (ctx, "%s", err.msg);
        pith_error_release (&err);
      }
  if (err.msg)
    pith_warn (ctx, "%s", err.msg);
  pith_error_release (&err);
}

PITH_PUBLIC int
pith_container_create (pith_context *ctx, const char *id, const pith_create_options *opts, pith_error *err)
{
  struct launch l;
  int ret = launch_create (ctx, id, opts, false, &l, err);

  launch_release (&l);
  return ret;
}

int
container_start (pith_context *ctx, struct container *c, struct notify_proxy *notify, struct phase_clock *clock,
                 pith_error *err)
{
  cleanup_free char *state_json = NULL, *reply = NULL;
  cleanup_close int conn = -1, agent = -1;
  const oci_config *config;
  size_t reply_len = 0;

  if (c->status != STATUS_CREATED)
    return pith_fail (err, 0, "container \"%s\" is not created (it is %s)", c->id,
                      container_status_name (c->status));
  state_json = state_document (c->state, "created", err);
  if (state_json == NULL)
    return -1;
  /* Listening before the program runs: its READY cannot be missed. */
  if (notify_proxy_open (c->dirfd, c->state->pid, notify, err) < 0)
    return -1;
  /* A seccomp agent must be there before the program can run. */
  config = container_config (c, err);
  if (config == NULL || seccomp_notify_open_agent (config, &agent, err) < 0)
    return -1;
  conn = start_socket_connect (c->dirfd, err);
  if (conn < 0)
    return -1;
  /* From here on the container is no longer "created", whatever happens. */
  unlinkat (c->dirfd, START_SOCKET, 0);
  if (send_all (conn, state_json, strlen (state_json)) < 0 || shutdown (conn, SHUT_WR) < 0)
    return pith_fail (err, errno, "start container \"%s\"", c->id);
  if (agent >= 0 && seccomp_notify_relay (conn, agent, config->linux->seccomp, c->state->pid, state_json, err) < 0)
    return pith_wrap (err, "start container \"%s\"", c->id);
  /* EOF with nothing said: the program was exec'd.  Anything else is why not. */
  if (read_fd_all (conn, 64 << 10, &reply, &reply_len, err) < 0)
    return pith_wrap (err, "start container \"%s\"", c->id);
  if (reply_len > 0)
    return pith_fail (err, 0, "%s", reply);
  phase_mark (ctx, clock, "exec handshake: the init got the start and exec'd");
  if (config->hooks && config->hooks->poststart_len)
    {
      run_hooks_warn (ctx, c, "poststart", "running");
      phase_mark (ctx, clock, "hooks poststart");
    }
  return 0;
}

PITH_PUBLIC int
pith_container_start (pith_context *ctx, const char *id, pith_error *err)
{
  struct notify_proxy notify = { .sock = -1 };
  cleanup_close int pidfd = -1;
  struct phase_clock clock;
  struct container c;
  int ret;

  phase_start (ctx, &clock);
  ret = container_open (ctx, id, true, &c, err);
  phase_mark (ctx, &clock, "open and lock the state");
  if (ret == 0)
    ret = container_start (ctx, &c, &notify, &clock, err);
  if (ret == 0 && notify.sock >= 0)
    {
      pidfd = container_pidfd (&c, err);
      ret = pidfd < 0 ? -1 : 0;
    }
  /* Waiting for READY must not keep the container locked. */
  container_close (&c);
  if (ret == 0)
    ret = notify_proxy_wait (&notify, pidfd, err);
  notify_proxy_close (&notify);
  return ret;
}

PITH_PUBLIC int
pith_container_state (pith_context *ctx, const char *id, char **json, pith_error *err)
{
  struct container c;
  int ret = container_open (ctx, id, false, &c, err);

  if (ret == 0)
    {
      *json = state_document (c.state, container_status_name (c.status), err);
      ret = *json ? 0 : -1;
    }
  container_close (&c);
  return ret;
}

/* A pidfd for the init, only if it is still the process we started. */
static int
open_init_pidfd (const oci_saved_state *s, pith_error *err)
{
  int fd = (int) syscall (SYS_pidfd_open, s->pid, 0);

  if (fd < 0)
    return pith_fail (err, errno, "pidfd_open %d", s->pid);
  /* The pidfd pins the process: if the start time still matches now, the
   * pid was not reused by the time we opened it. */
  if (process_start_time (s->pid, NULL) != s->pid_start_time)
    {
      close (fd);
      return pith_fail (err, ESRCH, "process %d", s->pid);
    }
  return fd;
}

int
container_pidfd (struct container *c, pith_error *err)
{
  return open_init_pidfd (c->state, err);
}

static int
signal_init (const oci_saved_state *s, int signo, pith_error *err)
{
  cleanup_close int pidfd = open_init_pidfd (s, err);

  if (pidfd < 0)
    return -1;
  if (syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0)
    return pith_fail (err, errno, "send signal %d", signo);
  return 0;
}

PITH_PUBLIC int
pith_container_kill (pith_context *ctx, const char *id, int signo, bool all, pith_error *err)
{
  struct container c;
  int ret = container_open (ctx, id, false, &c, err);

  if (ret == 0 && c.status == STATUS_STOPPED && !all)
    ret = pith_fail (err, 0, "container \"%s\" is not running", id);
  /* The cgroup holds the init too: --all has signalled it already. */
  if (ret == 0 && all)
    ret = cgroup_state_signal (c.state, signo, err);
  else if (ret == 0 && c.status != STATUS_STOPPED)
    ret = signal_init (c.state, signo, err);
  /* A frozen (v1) task acts on SIGKILL only once thawed. */
  if (ret == 0 && signo == SIGKILL && c.status == STATUS_PAUSED)
    ret = cgroup_state_thaw (c.state, err);
  container_close (&c);
  return ret;
}

/* SIGKILL the init (and anything left in the cgroup) and wait until it is gone. */
static int
kill_and_wait (struct container *c, pith_error *err)
{
  cleanup_close int pidfd = open_init_pidfd (c->state, err);
  struct pollfd pfd;

  if (pidfd < 0)
    {
      if (err->errno_value != ESRCH)
        return -1;
      pith_error_release (err);
      return 0;
    }
  if (syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return pith_fail (err, errno, "kill container \"%s\"", c->id);
  pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
  if (TEMP_FAILURE_RETRY (poll (&pfd, 1, KILL_WAIT_MS)) == 0)
    return pith_fail (err, ETIMEDOUT, "container \"%s\" did not die after SIGKILL", c->id);
  return 0;
}

int
container_delete (pith_context *ctx, struct container *c, bool force, pith_error *err)
{
  if ((c->status == STATUS_RUNNING || c->status == STATUS_PAUSED) && !force)
    return pith_fail (err, 0, "cannot delete container \"%s\" that is not stopped: it is %s", c->id,
                      container_status_name (c->status));
  /* A paused container's tasks could not die: thaw it first. */
  if (c->status == STATUS_PAUSED && cgroup_state_thaw (c->state, err) < 0)
    return -1;
  /* A created container has run nothing yet: deleting it needs no force. */
  if (c->status != STATUS_STOPPED && kill_and_wait (c, err) < 0)
    return -1;
  if (cgroup_state_destroy (ctx, c->state, err) < 0 || intelrdt_destroy (c->dirfd, err) < 0)
    return pith_wrap (err, "delete container \"%s\"", c->id);
  run_hooks_warn (ctx, c, "poststop", "stopped");
  return state_dir_remove (c->rootfd, c->id, err);
}

PITH_PUBLIC int
pith_container_delete (pith_context *ctx, const char *id, bool force, pith_error *err)
{
  struct container c;
  int ret = container_open (ctx, id, true, &c, err);

  if (ret == 0)
    ret = container_delete (ctx, &c, force, err);
  /* As runc: forcing the delete of what is already gone succeeds
   * (engines delete --force after every failed create). */
  else if (force && err->errno_value == ENOENT)
    {
      pith_error_release (err);
      ret = 0;
    }
  container_close (&c);
  return ret;
}

/* As runc list: the user who owns the state directory, by name where
 * /etc/passwd has it.  Looked up here rather than at create, which then
 * reads no /etc/passwd for a field only `list` shows. */
static char *
state_dir_owner (int dirfd)
{
  struct stat st;
  char *name;

  if (fstat (dirfd, &st) < 0)
    return xstrdup ("");
  name = passwd_field ("/etc/passwd", st.st_uid, 0);
  return name ? name : xasprintf ("#%u", (unsigned) st.st_uid);
}

PITH_PUBLIC int
pith_container_list (pith_context *ctx, pith_list_entry **entries, size_t *count, pith_error *err)
{
  cleanup_close int rootfd = state_root_open (ctx, false, err);
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  pith_list_entry *list = NULL;
  size_t n = 0;

  *entries = NULL;
  *count = 0;
  if (rootfd < 0)
    {
      if (err->errno_value != ENOENT)
        return -1;
      pith_error_release (err);
      return 0;
    }
  dir = fdopendir (steal_fd (&rootfd));
  if (dir == NULL)
    return pith_fail (err, errno, "read state root");
  while ((de = readdir (dir)) != NULL)
    {
      pith_error skip = { 0 };
      struct container c;

      if (de->d_name[0] == '.')
        continue;
      /* A container deleted or half-created meanwhile is just not listed. */
      if (container_open (ctx, de->d_name, false, &c, &skip) == 0)
        {
          /* Also in the JSON of `list --format json`, as runc's. */
          if (c.state->owner == NULL || c.state->owner[0] == '\0')
            {
              free (c.state->owner);
              c.state->owner = state_dir_owner (c.dirfd);
            }
          list = xrealloc (list, (n + 1) * sizeof *list);
          list[n] = (pith_list_entry){
            .id = xstrdup (c.state->id),
            .pid = c.status == STATUS_STOPPED ? 0 : c.state->pid,
            .status = xstrdup (container_status_name (c.status)),
            .bundle = xstrdup (c.state->bundle),
            .created = xstrdup (c.state->created),
            .owner = xstrdup (c.state->owner),
            .state_json = state_document (c.state, container_status_name (c.status), &skip),
          };
          n++;
        }
      pith_error_release (&skip);
      container_close (&c);
    }
  *entries = list;
  *count = n;
  return 0;
}

PITH_PUBLIC void
pith_list_free (pith_list_entry *entries, size_t count)
{
  for (size_t i = 0; i < count; i++)
    {
      free (entries[i].id);
      free (entries[i].status);
      free (entries[i].bundle);
      free (entries[i].created);
      free (entries[i].owner);
      free (entries[i].state_json);
    }
  free (entries);
}
