/* `events`: runc's event stream for one container, JSON objects of the
 * form {"type":"stats"|"oom","id":ID,"data":...}: a stats event every
 * interval, an oom event whenever the kernel's OOM killer acts in the
 * container's cgroup, until the container stops.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "utils.h"

#define DEFAULT_INTERVAL_MS 5000

struct watch
{
  const char *id;
  struct cgroup_plan plan;
  int pidfd;
  int oom_fd;      /* eventfd (v1) or inotify (v2), -1 without a memory cgroup */
  bool oom_v1;
  uint64_t oom_kills;
  pith_event_fn fn;
  void *arg;
};

static int
emit_stats (struct watch *w, pith_error *err)
{
  struct cgroup_stats st;
  cleanup_free char *data = NULL, *line = NULL;

  if (w->plan.driver->stats (&w->plan, &st, err) < 0)
    return -1;
  data = cgroup_stats_json (&st);
  cgroup_stats_release (&st);
  line = xasprintf ("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}", w->id, data);
  if (w->fn (w->arg, line) < 0)
    return pith_fail (err, errno, "write the event");
  return 0;
}

static int
emit_oom (struct watch *w, pith_error *err)
{
  cleanup_free char *line = xasprintf ("{\"type\":\"oom\",\"id\":\"%s\"}", w->id);

  if (w->fn (w->arg, line) < 0)
    return pith_fail (err, errno, "write the event");
  return 0;
}

static uint64_t
oom_kills_now (struct watch *w)
{
  struct cgroup_stats st;
  pith_error ignored = { 0 };
  uint64_t n;

  if (w->plan.driver->stats (&w->plan, &st, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return w->oom_kills;
    }
  n = st.oom_kills;
  cgroup_stats_release (&st);
  return n;
}

/* v1: an eventfd registered on memory.oom_control fires on every OOM;
 * v2: memory.events changes (inotify) and its oom_kill counter grows. */
static int
watch_oom (struct watch *w, pith_error *err)
{
  const struct cgroup_hierarchy *h = cgroup_find (&w->plan, "memory");
  cleanup_close int efd = -1, ofd = -1;
  cleanup_free char *path = NULL, *reg = NULL;

  w->oom_fd = -1;
  if (h == NULL)
    return 0;
  w->oom_kills = oom_kills_now (w);
  if (h->unified)
    {
      cleanup_close int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      path = xasprintf ("%s/memory.events", h->dir);
      if (ifd < 0 || inotify_add_watch (ifd, path, IN_MODIFY) < 0)
        return pith_fail (err, errno, "watch `%s`", path);
      w->oom_fd = steal_fd (&ifd);
      return 0;
    }
  path = xasprintf ("%s/memory.oom_control", h->dir);
  efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ofd = open (path, O_RDONLY | O_CLOEXEC);
  if (efd < 0 || ofd < 0)
    return pith_fail (err, errno, "watch `%s`", path);
  reg = xasprintf ("%d %d", efd, ofd);
  if (cgroup_write (h->dir, "cgroup.event_control", reg, err) < 0)
    return -1;
  w->oom_v1 = true;
  w->oom_fd = steal_fd (&efd);
  return 0;
}

static int
on_oom_fd (struct watch *w, pith_error *err)
{
  char buf[4096];
  uint64_t now;

  /* Drain what woke us; the counter says whether a kill happened. */
  while (read (w->oom_fd, buf, sizeof buf) > 0)
    ;
  if (w->oom_v1)
    return emit_oom (w, err);
  now = oom_kills_now (w);
  if (now > w->oom_kills)
    {
      w->oom_kills = now;
      return emit_oom (w, err);
    }
  return 0;
}

static int
event_loop (struct watch *w, unsigned interval_ms, pith_error *err)
{
  cleanup_close int tfd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  struct itimerspec its = { 0 };

  if (tfd < 0)
    return pith_fail (err, errno, "timerfd");
  its.it_interval.tv_sec = interval_ms / 1000;
  its.it_interval.tv_nsec = (long) (interval_ms % 1000) * 1000000L;
  its.it_value = its.it_interval;
  if (timerfd_settime (tfd, 0, &its, NULL) < 0)
    return pith_fail (err, errno, "timerfd_settime");
  for (;;)
    {
      struct pollfd fds[3] = {
        { .fd = w->pidfd, .events = POLLIN },
        { .fd = tfd, .events = POLLIN },
        { .fd = w->oom_fd, .events = POLLIN },
      };
      uint64_t ticks;

      if (TEMP_FAILURE_RETRY (poll (fds, 3, -1)) < 0)
        return pith_fail (err, errno, "poll");
      if (fds[2].revents & POLLIN && on_oom_fd (w, err) < 0)
        return -1;
      /* The container stopped: the stream ends (after a last OOM check). */
      if (fds[0].revents & (POLLIN | POLLHUP))
        return 0;
      if (fds[1].revents & POLLIN)
        {
          if (read (tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
            return pith_fail (err, errno, "read timerfd");
          if (emit_stats (w, err) < 0)
            return -1;
        }
    }
}

PITH_PUBLIC int
pith_container_events (pith_context *ctx, const char *id, const pith_events_options *opts, pith_event_fn fn,
                       void *arg, pith_error *err)
{
  struct watch w = { .id = id, .pidfd = -1, .oom_fd = -1, .fn = fn, .arg = arg };
  struct container c;
  int ret = container_open (ctx, id, false, &c, err);

  memset (&w.plan, 0, sizeof w.plan);
  w.plan.clone_fd = -1;
  if (ret == 0 && c.status == STATUS_STOPPED)
    ret = pith_fail (err, 0, "container \"%s\" is not running (it is stopped)", id);
  if (ret == 0)
    ret = cgroup_plan_load (c.state, &w.plan, err);
  if (ret == 0)
    {
      /* Pinned by a pidfd, checked against the recorded start time. */
      w.pidfd = (int) syscall (SYS_pidfd_open, c.state->pid, 0);
      if (w.pidfd < 0 || process_start_time (c.state->pid, NULL) != c.state->pid_start_time)
        ret = pith_fail (err, 0, "container \"%s\" is not running", id);
    }
  /* The lock is not held while watching: `delete` must not wait for us. */
  container_close (&c);
  if (ret == 0 && opts->stats_only)
    ret = emit_stats (&w, err);
  else if (ret == 0 && (ret = watch_oom (&w, err)) == 0)
    ret = event_loop (&w, opts->interval_ms ? opts->interval_ms : DEFAULT_INTERVAL_MS, err);
  if (w.pidfd >= 0)
    close (w.pidfd);
  if (w.oom_fd >= 0)
    close (w.oom_fd);
  cgroup_plan_release (&w.plan);
  return ret;
}
