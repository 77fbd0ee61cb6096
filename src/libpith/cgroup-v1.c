/* Resources on a cgroup v1 hierarchy: each controller has its own files.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "utils.h"

static int
apply_memory (const char *dir, const oci_memory *m, pith_error *err)
{
  if (m->limit_present && cgroup_write_i64 (dir, "memory.limit_in_bytes", m->limit, err) < 0)
    return -1;
  if (m->swap_present && cgroup_write_i64 (dir, "memory.memsw.limit_in_bytes", m->swap, err) < 0)
    return pith_wrap (err, "memory swap limit (is swap accounting enabled?)");
  if (m->reservation_present && cgroup_write_i64 (dir, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return -1;
  if (m->swappiness_present && m->swappiness <= 100
      && cgroup_write_u64 (dir, "memory.swappiness", m->swappiness, err) < 0)
    return -1;
  if (m->disable_oom_killer_present && m->disable_oom_killer
      && cgroup_write (dir, "memory.oom_control", "1", err) < 0)
    return -1;
  if (m->kernel_tcp_present && cgroup_write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
    return -1;
  return 0;
}

static int
apply_cpu (const char *dir, const oci_cpu *c, pith_error *err)
{
  if (c->shares_present && c->shares && cgroup_write_u64 (dir, "cpu.shares", c->shares, err) < 0)
    return -1;
  /* The period first: a quota is checked against the current period. */
  if (c->period_present && c->period && cgroup_write_u64 (dir, "cpu.cfs_period_us", c->period, err) < 0)
    return -1;
  if (c->quota_present && c->quota && cgroup_write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
    return -1;
  if (c->burst_present && cgroup_write_u64 (dir, "cpu.cfs_burst_us", c->burst, err) < 0)
    return -1;
  if (c->realtime_period_present && c->realtime_period
      && cgroup_write_u64 (dir, "cpu.rt_period_us", c->realtime_period, err) < 0)
    return -1;
  if (c->realtime_runtime_present && c->realtime_runtime
      && cgroup_write_i64 (dir, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    return -1;
  if (c->idle_present && cgroup_write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    return -1;
  return 0;
}

static int
apply_cpuset (const char *dir, const oci_cpu *c, pith_error *err)
{
  if (c->cpus && c->cpus[0] && cgroup_write (dir, "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (c->mems && c->mems[0] && cgroup_write (dir, "cpuset.mems", c->mems, err) < 0)
    return -1;
  return 0;
}

/* "c 1:3 rwm": the v1 device rule syntax. */
static void
device_rule (char *buf, size_t size, const char *type, int64_t major, bool major_set, int64_t minor,
             bool minor_set, const char *access)
{
  char maj[24] = "*", min[24] = "*";

  if (major_set && major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, major);
  if (minor_set && minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, minor);
  snprintf (buf, size, "%s %s:%s %s", type && type[0] ? type : "a", maj, min, access && access[0] ? access : "rwm");
}

/* Devices pith itself creates in /dev must stay usable whatever the rules say. */
static const struct
{
  const char *type;
  int major, minor;
} default_devices[] = {
  { "c", 1, 3 }, { "c", 1, 5 }, { "c", 1, 7 }, { "c", 1, 8 }, { "c", 1, 9 },
  { "c", 5, 0 }, { "c", 5, 1 }, { "c", 5, 2 }, { "c", 136, -1 },
};

static int
apply_devices (const char *dir, const oci_resources *r, pith_error *err)
{
  char rule[128];

  for (size_t i = 0; i < r->devices_len; i++)
    {
      const oci_device_cgroup *d = r->devices[i];

      device_rule (rule, sizeof rule, d->type, d->major, d->major_present, d->minor, d->minor_present, d->access);
      /* "a *:* rwm" is spelled "a" by the kernel's parser. */
      if (strcmp (rule, "a *:* rwm") == 0)
        strcpy (rule, "a");
      if (cgroup_write (dir, d->allow ? "devices.allow" : "devices.deny", rule, err) < 0)
        return pith_wrap (err, "config.json: /linux/resources/devices/%zu", i);
    }
  if (r->devices_len == 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      device_rule (rule, sizeof rule, default_devices[i].type, default_devices[i].major, true,
                   default_devices[i].minor, default_devices[i].minor >= 0, "rwm");
      if (cgroup_write (dir, "devices.allow", rule, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_blkio (const char *dir, const oci_block_io *b, pith_error *err)
{
  if (b->weight_present && cgroup_write_u64 (dir, "blkio.weight", b->weight, err) < 0)
    return -1;
  if (b->leaf_weight_present && cgroup_write_u64 (dir, "blkio.leaf_weight", b->leaf_weight, err) < 0)
    return -1;
  return 0;
}

static int
apply_hugetlb (const char *dir, const oci_resources *r, pith_error *err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    {
      cleanup_free char *file = xasprintf ("hugetlb.%s.limit_in_bytes", r->hugepage_limits[i]->page_size);
      if (cgroup_write_u64 (dir, file, r->hugepage_limits[i]->limit, err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_v1_apply (const struct cgroup_hierarchy *h, const oci_resources *r, pith_error *err)
{
  if (cgroup_hierarchy_has (h, "memory") && r->memory && apply_memory (h->dir, r->memory, err) < 0)
    return pith_wrap (err, "linux.resources.memory");
  if (cgroup_hierarchy_has (h, "cpu") && r->cpu && apply_cpu (h->dir, r->cpu, err) < 0)
    return pith_wrap (err, "linux.resources.cpu");
  if (cgroup_hierarchy_has (h, "cpuset") && r->cpu && apply_cpuset (h->dir, r->cpu, err) < 0)
    return pith_wrap (err, "linux.resources.cpu");
  if (cgroup_hierarchy_has (h, "pids") && r->pids && r->pids->limit_present)
    {
      int ret = r->pids->limit > 0 ? cgroup_write_i64 (h->dir, "pids.max", r->pids->limit, err)
                                   : cgroup_write (h->dir, "pids.max", "max", err);
      if (ret < 0)
        return pith_wrap (err, "linux.resources.pids");
    }
  if (cgroup_hierarchy_has (h, "devices") && apply_devices (h->dir, r, err) < 0)
    return pith_wrap (err, "linux.resources.devices");
  if (cgroup_hierarchy_has (h, "blkio") && r->block_io && apply_blkio (h->dir, r->block_io, err) < 0)
    return pith_wrap (err, "linux.resources.blockIO");
  if (cgroup_hierarchy_has (h, "hugetlb") && apply_hugetlb (h->dir, r, err) < 0)
    return pith_wrap (err, "linux.resources.hugepageLimits");
  return 0;
}
