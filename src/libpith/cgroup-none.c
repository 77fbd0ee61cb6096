/* No cgroup at all: --cgroup-manager disabled (crun's flag, which Podman
 * passes for --cgroups=disabled).  The plan has no hierarchy and the
 * "none" driver: creating and removing do nothing, the container stays in
 * the caller's cgroups, and whatever needs the container's own cgroup
 * fails saying why.  A container whose state has no cgroup paths is loaded
 * with the same driver.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>

#include "cgroup.h"
#include "error.h"
#include "log.h"

#define NO_CGROUP "the container has no cgroup (it was created with --cgroup-manager disabled)"
#define RESOURCES "config.json: /linux/resources"

static int
none_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) plan, (void) r, (void) err;
  return 0;
}

static int
none_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) plan, (void) pid, (void) r, (void) err;
  return 0;
}

static int
none_update (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) plan, (void) r;
  return pith_fail (err, 0, NO_CGROUP);
}

static int
none_freeze (const struct cgroup_plan *plan, bool frozen, pith_error *err)
{
  (void) plan, (void) frozen;
  return pith_fail (err, 0, NO_CGROUP);
}

static int
none_signal_all (const struct cgroup_plan *plan, int signo, pith_error *err)
{
  (void) plan, (void) signo;
  return pith_fail (err, 0, NO_CGROUP ": its processes cannot be found; signal its init without --all");
}

static int
none_stats (const struct cgroup_plan *plan, struct cgroup_stats *st, pith_error *err)
{
  (void) plan, (void) st;
  return pith_fail (err, 0, NO_CGROUP);
}

static int
none_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  (void) ctx, (void) plan, (void) err;
  return 0;
}

const struct cgroup_driver cgroup_driver_none = {
  .name = "none",
  .prepare = none_prepare,
  .join = none_join,
  .update = none_update,
  .freeze = none_freeze,
  .signal_all = none_signal_all,
  .stats = none_stats,
  .destroy = none_destroy,
};

bool
cgroup_plan_disabled (const struct cgroup_plan *plan)
{
  return plan->driver == &cgroup_driver_none;
}

/* Device rules are in nearly every config (runc's and Podman's defaults
 * deny all): they get a warning, not a refusal, or the flag would be of no
 * use.  Limits are refused: nothing would enforce them. */
int
cgroup_none_plan (pith_context *ctx, const oci_resources *r, struct cgroup_plan *plan, pith_error *err)
{
  const char *what = NULL;

  plan->driver = plan->fs = &cgroup_driver_none;
  if (r == NULL)
    return 0;
  if (r->memory)
    what = "memory";
  else if (r->cpu)
    what = "cpu";
  else if (r->pids)
    what = "pids";
  else if (r->block_io)
    what = "blockIO";
  else if (r->hugepage_limits_len)
    what = "hugepageLimits";
  else if (r->network)
    what = "network";
  else if (r->rdma && r->rdma->len)
    what = "rdma";
  else if (r->unified && r->unified->len)
    what = "unified";
  if (what)
    return pith_fail (err, ENOTSUP, RESOURCES "/%s: cannot be applied with --cgroup-manager disabled (the container "
                      "gets no cgroup)", what);
  if (r->devices_len)
    pith_warn (ctx, RESOURCES "/devices: not enforced with --cgroup-manager disabled (no devices cgroup)");
  return 0;
}
