/* The cgroupfs driver of v1 and hybrid hosts: one hierarchy per mounted
 * controller (or named hierarchy), and on a hybrid host a cgroup2 mount for
 * the controllers bound to it (cgroup-v2.c writes those).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "utils.h"

#define V1_UNLIMITED INT64_MAX

/* A v1 byte limit as a number, "unlimited" being the largest. */
static int64_t
read_limit (const char *dir, const char *file)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };
  int64_t v;

  if (cgroup_read (dir, file, &data, &ignored) < 0 || parse_int64 (data, &v) < 0)
    {
      pith_error_release (&ignored);
      return V1_UNLIMITED;
    }
  /* The kernel shows "unlimited" as the page-rounded maximum. */
  return v >= INT64_MAX / 2 ? V1_UNLIMITED : v;
}

static int
set_limit (const struct cgroup_plan *plan, const char *dir, const char *file, int64_t v, const char *what,
           pith_error *err)
{
  if (cgroup_write_i64 (dir, file, v, err) < 0)
    return cgroup_resource_error (plan, err, "%s", what);
  return 0;
}

/* memory and memory+swap limits in the order the kernel accepts: the
 * memory limit may never exceed the memory+swap one. */
static int
apply_memory_limits (const struct cgroup_plan *plan, const char *dir, const oci_memory *m, pith_error *err)
{
  bool has_limit = m->limit_present && m->limit != 0, has_swap = m->swap_present && m->swap != 0;
  int64_t limit = m->limit, swap = m->swap;

  /* Unlimited memory with no swap value: both unlimited, as runc does. */
  if (has_limit && limit == -1 && !has_swap && cgroup_has_file (dir, "memory.memsw.limit_in_bytes"))
    {
      has_swap = true;
      swap = -1;
    }
  if (has_swap && !cgroup_has_file (dir, "memory.memsw.limit_in_bytes"))
    return pith_fail (err, ENOTSUP, "%s/memory/swap: this kernel does not account swap in cgroups "
                      "(no memory.memsw.limit_in_bytes; boot with swapaccount=1)", plan->source);
  if (has_swap)
    {
      int64_t cur = read_limit (dir, "memory.memsw.limit_in_bytes");
      bool swap_first = swap == -1 || swap > cur;

      if (swap_first && set_limit (plan, dir, "memory.memsw.limit_in_bytes", swap, "memory/swap", err) < 0)
        return -1;
      if (has_limit && set_limit (plan, dir, "memory.limit_in_bytes", limit, "memory/limit", err) < 0)
        return -1;
      if (!swap_first && set_limit (plan, dir, "memory.memsw.limit_in_bytes", swap, "memory/swap", err) < 0)
        return -1;
      return 0;
    }
  if (has_limit && set_limit (plan, dir, "memory.limit_in_bytes", limit, "memory/limit", err) < 0)
    return -1;
  return 0;
}

static int
apply_memory (const struct cgroup_plan *plan, const char *dir, const oci_memory *m, pith_error *err)
{
  if (apply_memory_limits (plan, dir, m, err) < 0)
    return -1;
  if (m->reservation_present && m->reservation != 0
      && set_limit (plan, dir, "memory.soft_limit_in_bytes", m->reservation, "memory/reservation", err) < 0)
    return -1;
  if (m->kernel_present && m->kernel != 0
      && set_limit (plan, dir, "memory.kmem.limit_in_bytes", m->kernel, "memory/kernel", err) < 0)
    return -1;
  if (m->kernel_tcp_present && m->kernel_tcp != 0
      && set_limit (plan, dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, "memory/kernelTCP", err) < 0)
    return -1;
  if (m->swappiness_present)
    {
      if (m->swappiness > 100)
        return pith_fail (err, EINVAL, "%s/memory/swappiness: %" PRIu64 " is not in 0..100", plan->source,
                          m->swappiness);
      if (cgroup_write_u64 (dir, "memory.swappiness", m->swappiness, err) < 0)
        return cgroup_resource_error (plan, err, "memory/swappiness");
    }
  if (m->disable_oom_killer_present
      && cgroup_write (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
    return cgroup_resource_error (plan, err, "memory/disableOOMKiller");
  if (m->use_hierarchy_present && cgroup_write (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err) < 0)
    return cgroup_resource_error (plan, err, "memory/useHierarchy");
  return 0;
}

static int
apply_cpu (const struct cgroup_plan *plan, const char *dir, const oci_cpu *c, pith_error *err)
{
  const char *what = NULL;

  if (c->shares_present && c->shares && cgroup_write_u64 (dir, "cpu.shares", c->shares, err) < 0)
    what = "cpu/shares";
  /* The period first: a quota is checked against the current period. */
  else if (c->period_present && c->period && cgroup_write_u64 (dir, "cpu.cfs_period_us", c->period, err) < 0)
    what = "cpu/period";
  else if (c->quota_present && c->quota && cgroup_write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
    what = "cpu/quota";
  else if (c->burst_present && cgroup_write_u64 (dir, "cpu.cfs_burst_us", c->burst, err) < 0)
    what = "cpu/burst";
  else if (c->realtime_period_present && c->realtime_period
           && cgroup_write_u64 (dir, "cpu.rt_period_us", c->realtime_period, err) < 0)
    what = "cpu/realtimePeriod";
  else if (c->realtime_runtime_present && c->realtime_runtime
           && cgroup_write_i64 (dir, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    what = "cpu/realtimeRuntime";
  else if (c->idle_present && cgroup_write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    what = "cpu/idle";
  return what ? cgroup_resource_error (plan, err, "%s", what) : 0;
}

static int
apply_cpuset (const struct cgroup_plan *plan, const char *dir, const oci_cpu *c, pith_error *err)
{
  if (c->cpus && c->cpus[0] && cgroup_write (dir, "cpuset.cpus", c->cpus, err) < 0)
    return cgroup_resource_error (plan, err, "cpu/cpus");
  if (c->mems && c->mems[0] && cgroup_write (dir, "cpuset.mems", c->mems, err) < 0)
    return cgroup_resource_error (plan, err, "cpu/mems");
  return 0;
}

/* "MAJ:MIN VALUE" lines for the per-device blkio files. */
static int
write_device_value (const char *dir, const char *file, int64_t major, int64_t minor, uint64_t value,
                    pith_error *err)
{
  char buf[96];

  snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, major, minor, value);
  return cgroup_write (dir, file, buf, err);
}

static int
apply_throttles (const struct cgroup_plan *plan, const char *dir, const oci_block_io *b, pith_error *err)
{
  const struct
  {
    oci_throttle_device **list;
    size_t n;
    const char *file, *name;
  } kinds[] = {
    { b->throttle_read_bps_device, b->throttle_read_bps_device_len, "blkio.throttle.read_bps_device",
      "throttleReadBpsDevice" },
    { b->throttle_write_bps_device, b->throttle_write_bps_device_len, "blkio.throttle.write_bps_device",
      "throttleWriteBpsDevice" },
    { b->throttle_read_iops_device, b->throttle_read_iops_device_len, "blkio.throttle.read_iops_device",
      "throttleReadIOPSDevice" },
    { b->throttle_write_iops_device, b->throttle_write_iops_device_len, "blkio.throttle.write_iops_device",
      "throttleWriteIOPSDevice" },
  };

  for (size_t k = 0; k < ARRAY_SIZE (kinds); k++)
    for (size_t i = 0; i < kinds[k].n; i++)
      {
        const oci_throttle_device *t = kinds[k].list[i];
        if (write_device_value (dir, kinds[k].file, t->major, t->minor, t->rate, err) < 0)
          return cgroup_resource_error (plan, err, "blockIO/%s/%zu", kinds[k].name, i);
      }
  return 0;
}

static int
apply_blkio (const struct cgroup_plan *plan, const char *dir, const oci_block_io *b, pith_error *err)
{
  /* Kernels with only the bfq scheduler have blkio.bfq.* in place of the CFQ files. */
  bool bfq = !cgroup_has_file (dir, "blkio.weight") && cgroup_has_file (dir, "blkio.bfq.weight");
  const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char *weight_device = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";

  if (b->weight_present && b->weight && cgroup_write_u64 (dir, weight, b->weight, err) < 0)
    return cgroup_resource_error (plan, err, "blockIO/weight");
  if (b->leaf_weight_present && b->leaf_weight && cgroup_write_u64 (dir, "blkio.leaf_weight", b->leaf_weight, err) < 0)
    return cgroup_resource_error (plan, err, "blockIO/leafWeight");
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *w = b->weight_device[i];
      if (w->weight_present && write_device_value (dir, weight_device, w->major, w->minor, w->weight, err) < 0)
        return cgroup_resource_error (plan, err, "blockIO/weightDevice/%zu/weight", i);
      if (w->leaf_weight_present
          && write_device_value (dir, "blkio.leaf_weight_device", w->major, w->minor, w->leaf_weight, err) < 0)
        return cgroup_resource_error (plan, err, "blockIO/weightDevice/%zu/leafWeight", i);
    }
  return apply_throttles (plan, dir, b, err);
}

static int
apply_network (const struct cgroup_plan *plan, const struct cgroup_hierarchy *h, const oci_network *n,
               pith_error *err)
{
  if (cgroup_hierarchy_has (h, "net_cls") && n->class_id_present
      && cgroup_write_u64 (h->dir, "net_cls.classid", n->class_id, err) < 0)
    return cgroup_resource_error (plan, err, "network/classID");
  if (cgroup_hierarchy_has (h, "net_prio"))
    for (size_t i = 0; i < n->priorities_len; i++)
      {
        cleanup_free char *line = xasprintf ("%s %" PRIu32, n->priorities[i]->name, n->priorities[i]->priority);
        if (cgroup_write (h->dir, "net_prio.ifpriomap", line, err) < 0)
          return cgroup_resource_error (plan, err, "network/priorities/%zu", i);
      }
  return 0;
}

int
cgroup_v1_apply (const struct cgroup_plan *plan, const struct cgroup_hierarchy *h, const oci_resources *r,
                 pith_error *err)
{
  const char *dir = h->dir;

  if (cgroup_hierarchy_has (h, "memory") && r->memory && apply_memory (plan, dir, r->memory, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "cpu") && r->cpu && apply_cpu (plan, dir, r->cpu, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "cpuset") && r->cpu && apply_cpuset (plan, dir, r->cpu, err) < 0)
    return -1;
  /* runtime-spec 1.3: a negative limit is "max", 0 is a real limit. */
  if (cgroup_hierarchy_has (h, "pids") && r->pids && r->pids->limit_present
      && cgroup_write_limit (dir, "pids.max", r->pids->limit, err) < 0)
    return cgroup_resource_error (plan, err, "pids/limit");
  if (cgroup_hierarchy_has (h, "devices") && cgroup_v1_devices (plan, dir, r, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "blkio") && r->block_io && apply_blkio (plan, dir, r->block_io, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "hugetlb") && cgroup_hugetlb_apply (plan, dir, r, false, err) < 0)
    return -1;
  if (r->network && apply_network (plan, h, r->network, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "rdma") && cgroup_rdma_apply (plan, dir, r, err) < 0)
    return -1;
  return 0;
}

/* ---- the driver */

static int
v1_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx;
  if (cgroup_fs_mkdirs (plan, err) < 0)
    return -1;
  for (size_t i = 0; i < plan->n; i++)
    if (plan->h[i].unified && plan->h[i].controllers[0] && cgroup_v2_enable_controllers (&plan->h[i], err) < 0)
      return -1;
  return cgroup_fs_apply (plan, r, err);
}

static int
v1_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) r;
  return cgroup_fs_join (plan, pid, err);
}

static int
v1_update (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx;
  return cgroup_fs_apply (plan, r, err);
}

static int
v1_freeze (const struct cgroup_plan *plan, bool frozen, pith_error *err)
{
  const struct cgroup_hierarchy *h = cgroup_find (plan, "freezer");
  const char *want = frozen ? "FROZEN" : "THAWED";

  if (h == NULL || h->unified)
    return pith_fail (err, ENOTSUP, "this host has no freezer cgroup controller");
  /* FREEZING can stick while a task is in an uninterruptible sleep:
   * asking again nudges the kernel to retry. */
  for (int attempt = 0; attempt < 1000; attempt++)
    {
      cleanup_free char *state = NULL;

      if (attempt % 10 == 0 && cgroup_write (h->dir, "freezer.state", want, err) < 0)
        return -1;
      if (cgroup_read (h->dir, "freezer.state", &state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0)
        return 0;
      cgroup_sleep_ms (attempt < 10 ? 1 : 10);
    }
  if (frozen)
    cgroup_write (h->dir, "freezer.state", "THAWED", err);
  return pith_fail (err, ETIMEDOUT, "the freezer cgroup did not become %s", want);
}

static int
v1_signal_all (const struct cgroup_plan *plan, int signo, pith_error *err)
{
  return cgroup_fs_signal_frozen (plan, signo, err);
}

static int
v1_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  pith_error ignored = { 0 };

  (void) ctx;
  if (cgroup_fs_remove_if_empty (plan))
    return 0;
  /* Frozen tasks would not die: thaw first (a paused container, or a
   * pith killed while signalling). */
  if (cgroup_find (plan, "freezer"))
    v1_freeze (plan, false, &ignored);
  pith_error_release (&ignored);
  return cgroup_fs_remove (plan, err);
}

const struct cgroup_driver cgroup_driver_v1 = {
  .name = "cgroupfs (v1)",
  .prepare = v1_prepare,
  .join = v1_join,
  .update = v1_update,
  .freeze = v1_freeze,
  .signal_all = v1_signal_all,
  .stats = cgroup_fs_stats,
  .destroy = v1_destroy,
};
