/* `run`: create + start, and in the foreground stay as the container's
 * parent: forward signals, relay the terminal if pith holds it, reap, and
 * report the exit status.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <unistd.h>

#include "container.h"
#include "launch.h"
#include "log.h"
#include "notify.h"
#include "supervise.h"
#include "utils.h"

/* pith_container_delete --force, with the config create parsed. */
static int
delete_after_run (pith_context *ctx, struct launch *l, struct container *c)
{
  pith_error err = { 0 };
  int ret = container_open (ctx, l->id, true, c, &err);

  if (ret == 0)
    {
      c->config = l->bundle.config;
      c->config_borrowed = true;
      ret = container_delete (ctx, c, true, &err);
    }
  /* Gone already (someone ran delete): nothing left to do. */
  else if (err.errno_value == ENOENT)
    ret = 0;
  container_close (c);
  if (ret < 0)
    pith_warn (ctx, "%s", err.msg);
  pith_error_release (&err);
  return ret;
}

PITH_PUBLIC int
pith_container_run (pith_context *ctx, const char *id, const pith_create_options *opts, int *exit_status,
                    pith_error *err)
{
  bool foreground = !(opts->flags & PITH_RUN_DETACH);
  struct supervisor sup = { .sigfd = -1 };
  struct notify_proxy notify = { .sock = -1 };
  cleanup_close int pidfd = -1;
  struct launch l;
  struct container c;
  int ret;

  *exit_status = 0;
  /* Before the clone, so that no signal is lost; the init resets its own. */
  if (foreground && supervise_begin (&sup, !(opts->flags & PITH_RUN_NO_SUBREAPER), err) < 0)
    return -1;
  ret = launch_create (ctx, id, opts, foreground, &l, err);
  if (ret == 0)
    {
      /* Straight on with create's lock and parsed config. */
      ret = container_from_launch (&l, &c, err);
      if (ret == 0)
        ret = container_start (ctx, &c, &notify, &l.clock, err);
      if (ret == 0 && !foreground && notify.sock >= 0)
        {
          pidfd = container_pidfd (&c, err);
          ret = pidfd < 0 ? -1 : 0;
        }
      container_close (&c);
      if (ret < 0)
        {
          pith_error ignored = { 0 };
          pith_container_delete (ctx, id, true, &ignored);
          pith_error_release (&ignored);
        }
    }
  if (ret == 0 && !foreground)
    ret = notify_proxy_wait (&notify, pidfd, err);
  if (ret == 0 && foreground)
    {
      struct supervise_target t = { .pid = l.pid, .pty = l.pty_master, .notify = &notify };

      ret = supervise_wait (&sup, &t, exit_status, err);
      phase_mark (ctx, &l.clock, "the container ran");
      if (!(opts->flags & PITH_RUN_KEEP))
        {
          if (delete_after_run (ctx, &l, &c) == 0)
            phase_mark (ctx, &l.clock, "delete");
        }
    }
  notify_proxy_close (&notify);
  supervise_end (&sup);
  launch_release (&l);
  return ret;
}
