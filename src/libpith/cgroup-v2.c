/* Resources on a cgroup2 hierarchy (a pure v2 host, or the unified part of
 * a hybrid one), with the standard conversions from the v1-shaped spec.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "utils.h"

/* cpu.shares (2..262144) to cpu.weight (1..10000), as the kernel docs and runc do. */
static uint64_t
shares_to_weight (uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight (10..1000) to io.weight (1..10000). */
static uint64_t
blkio_to_io_weight (uint64_t weight)
{
  if (weight < 10)
    weight = 10;
  return 1 + ((weight - 10) * 9999) / 990;
}

static int
write_limit (const char *dir, const char *file, int64_t v, pith_error *err)
{
  return v < 0 ? cgroup_write (dir, file, "max", err) : cgroup_write_i64 (dir, file, v, err);
}

static int
apply_memory (const char *dir, const oci_memory *m, pith_error *err)
{
  if (m->limit_present && write_limit (dir, "memory.max", m->limit, err) < 0)
    return -1;
  /* v1's swap is memory+swap; v2's memory.swap.max is the swap alone. */
  if (m->swap_present)
    {
      int64_t swap = m->swap;
      if (swap > 0 && m->limit_present && m->limit > 0)
        {
          if (swap < m->limit)
            return pith_fail (err, EINVAL, "memory swap %" PRId64 " is lower than the memory limit %" PRId64, swap,
                              m->limit);
          swap -= m->limit;
        }
      if (write_limit (dir, "memory.swap.max", swap, err) < 0)
        return -1;
    }
  if (m->reservation_present && write_limit (dir, "memory.low", m->reservation, err) < 0)
    return -1;
  if (m->disable_oom_killer_present && m->disable_oom_killer)
    return pith_fail (err, ENOTSUP, "disableOOMKiller: cgroup v2 has no way to disable the OOM killer");
  return 0;
}

static int
apply_cpu (const char *dir, const oci_cpu *c, pith_error *err)
{
  if (c->shares_present && c->shares && cgroup_write_u64 (dir, "cpu.weight", shares_to_weight (c->shares), err) < 0)
    return -1;
  if (c->quota_present || c->period_present)
    {
      char buf[64];
      uint64_t period = c->period_present && c->period ? c->period : 100000;

      if (c->quota_present && c->quota > 0)
        snprintf (buf, sizeof buf, "%" PRId64 " %" PRIu64, c->quota, period);
      else
        snprintf (buf, sizeof buf, "max %" PRIu64, period);
      if (cgroup_write (dir, "cpu.max", buf, err) < 0)
        return -1;
    }
  if (c->burst_present && cgroup_write_u64 (dir, "cpu.max.burst", c->burst, err) < 0)
    return -1;
  if (c->idle_present && cgroup_write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    return -1;
  if (c->realtime_runtime_present || c->realtime_period_present)
    return pith_fail (err, ENOTSUP, "realtimeRuntime/realtimePeriod: cgroup v2 has no realtime cpu controller");
  return 0;
}

int
cgroup_v2_apply (const struct cgroup_hierarchy *h, const oci_resources *r, pith_error *err)
{
  const char *dir = h->dir;

  if (cgroup_hierarchy_has (h, "memory") && r->memory && apply_memory (dir, r->memory, err) < 0)
    return pith_wrap (err, "linux.resources.memory");
  if (cgroup_hierarchy_has (h, "cpu") && r->cpu && apply_cpu (dir, r->cpu, err) < 0)
    return pith_wrap (err, "linux.resources.cpu");
  if (cgroup_hierarchy_has (h, "cpuset") && r->cpu)
    {
      if (r->cpu->cpus && r->cpu->cpus[0] && cgroup_write (dir, "cpuset.cpus", r->cpu->cpus, err) < 0)
        return pith_wrap (err, "linux.resources.cpu.cpus");
      if (r->cpu->mems && r->cpu->mems[0] && cgroup_write (dir, "cpuset.mems", r->cpu->mems, err) < 0)
        return pith_wrap (err, "linux.resources.cpu.mems");
    }
  if (cgroup_hierarchy_has (h, "pids") && r->pids && r->pids->limit_present
      && write_limit (dir, "pids.max", r->pids->limit > 0 ? r->pids->limit : -1, err) < 0)
    return pith_wrap (err, "linux.resources.pids");
  if (cgroup_hierarchy_has (h, "io") && r->block_io && r->block_io->weight_present
      && cgroup_write_u64 (dir, "io.weight", blkio_to_io_weight (r->block_io->weight), err) < 0)
    return pith_wrap (err, "linux.resources.blockIO.weight");
  if (cgroup_hierarchy_has (h, "hugetlb"))
    for (size_t i = 0; i < r->hugepage_limits_len; i++)
      {
        cleanup_free char *file = xasprintf ("hugetlb.%s.max", r->hugepage_limits[i]->page_size);
        if (cgroup_write_u64 (dir, file, r->hugepage_limits[i]->limit, err) < 0)
          return pith_wrap (err, "linux.resources.hugepageLimits");
      }
  if (r->unified)
    for (size_t i = 0; i < r->unified->len; i++)
      if (cgroup_write (dir, r->unified->keys[i], r->unified->values[i], err) < 0)
        return pith_wrap (err, "linux.resources.unified");
  return 0;
}

int
cgroup_v2_enable_controllers (const struct cgroup_hierarchy *h, pith_error *err)
{
  cleanup_free char *request = xzalloc (strlen (h->controllers) * 2 + 2);
  cleanup_free char *path = xstrdup (h->dir);
  size_t base = strlen (h->mountpoint);
  char *saveptr = NULL;
  cleanup_free char *copy = xstrdup (h->controllers);

  for (char *c = strtok_r (copy, ",", &saveptr); c; c = strtok_r (NULL, ",", &saveptr))
    {
      if (request[0])
        strcat (request, " ");
      strcat (request, "+");
      strcat (request, c);
    }
  /* Every ancestor from the mount point down to the container's parent. */
  for (char *p = path + base; p; p = strchr (p + 1, '/'))
    {
      char saved = *p;
      *p = '\0';
      int r = cgroup_write (*path ? path : "/", "cgroup.subtree_control", request, err);
      *p = saved;
      if (r < 0)
        return pith_wrap (err, "enable cgroup controllers");
    }
  return 0;
}
