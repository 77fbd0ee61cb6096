/* The commands that work on a running container's cgroup: update, pause,
 * resume, and the process list of ps.  (events is in cgroup-events.c.)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "container.h"
#include "utils.h"

/* Opens ID with its cgroup plan; a stopped container has nothing to act on. */
static int
open_with_plan (pith_context *ctx, const char *id, bool exclusive, struct container *c, struct cgroup_plan *plan,
                pith_error *err)
{
  memset (plan, 0, sizeof *plan);
  plan->clone_fd = -1;
  if (container_open (ctx, id, exclusive, c, err) < 0)
    return -1;
  if (c->status == STATUS_STOPPED)
    return pith_fail (err, 0, "container \"%s\" is not running (it is stopped)", id);
  if (cgroup_plan_load (c->state, plan, err) < 0)
    return -1;
  if (plan->n == 0)
    return pith_fail (err, ENOENT, "container \"%s\" has no cgroup", id);
  return 0;
}

/* ---- update: runc's flags, by name */

enum setting
{
  SET_BLKIO_WEIGHT,
  SET_CPU_PERIOD,
  SET_CPU_QUOTA,
  SET_CPU_BURST,
  SET_CPU_SHARES,
  SET_CPU_RT_PERIOD,
  SET_CPU_RT_RUNTIME,
  SET_CPUSET_CPUS,
  SET_CPUSET_MEMS,
  SET_CPU_IDLE,
  SET_MEMORY,
  SET_MEMORY_RESERVATION,
  SET_MEMORY_SWAP,
  SET_KERNEL_MEMORY,
  SET_KERNEL_MEMORY_TCP,
  SET_PIDS_LIMIT,
  SET_INTEL_RDT,
};

static const struct
{
  const char *name;
  enum setting what;
} settings[] = {
  { "blkio-weight", SET_BLKIO_WEIGHT },
  { "cpu-period", SET_CPU_PERIOD },
  { "cpu-quota", SET_CPU_QUOTA },
  { "cpu-burst", SET_CPU_BURST },
  { "cpu-share", SET_CPU_SHARES },
  { "cpu-shares", SET_CPU_SHARES },
  { "cpu-rt-period", SET_CPU_RT_PERIOD },
  { "cpu-rt-runtime", SET_CPU_RT_RUNTIME },
  { "cpuset-cpus", SET_CPUSET_CPUS },
  { "cpuset-mems", SET_CPUSET_MEMS },
  { "cpu-idle", SET_CPU_IDLE },
  { "memory", SET_MEMORY },
  { "memory-reservation", SET_MEMORY_RESERVATION },
  { "memory-swap", SET_MEMORY_SWAP },
  { "kernel-memory", SET_KERNEL_MEMORY },
  { "kernel-memory-tcp", SET_KERNEL_MEMORY_TCP },
  { "pids-limit", SET_PIDS_LIMIT },
  { "l3-cache-schema", SET_INTEL_RDT },
  { "mem-bw-schema", SET_INTEL_RDT },
};

#define ENSURE(p) ((p) ? (p) : ((p) = xzalloc (sizeof *(p))))

static int
set_one (oci_resources *r, enum setting what, const char *name, const char *value, pith_error *err)
{
  int64_t v = 0;
  bool size = what == SET_MEMORY || what == SET_MEMORY_RESERVATION || what == SET_MEMORY_SWAP
              || what == SET_KERNEL_MEMORY || what == SET_KERNEL_MEMORY_TCP;

  if (what == SET_INTEL_RDT)
    return pith_fail (err, ENOTSUP, "update --%s: intelRdt is not supported", name);
  if (what == SET_CPUSET_CPUS || what == SET_CPUSET_MEMS)
    {
      char **slot = what == SET_CPUSET_CPUS ? &ENSURE (r->cpu)->cpus : &ENSURE (r->cpu)->mems;
      free (*slot);
      *slot = xstrdup (value);
      return 0;
    }
  if (size ? cgroup_parse_size (value, &v) < 0 : parse_int64 (value, &v) < 0)
    return pith_fail (err, EINVAL, "update --%s: \"%s\" is not a valid %s", name, value,
                      size ? "size (bytes, or a number with k, m, g, t suffix, or -1)" : "number");
  /* Fields that are unsigned in the spec take no negative values. */
  if (v < 0 && what != SET_CPU_QUOTA && what != SET_CPU_RT_RUNTIME && what != SET_CPU_IDLE && what != SET_PIDS_LIMIT
      && !size)
    return pith_fail (err, EINVAL, "update --%s: \"%s\" must not be negative", name, value);
  switch (what)
    {
    case SET_BLKIO_WEIGHT:
      if (v > UINT16_MAX)
        return pith_fail (err, EINVAL, "update --%s: \"%s\" is out of range", name, value);
      ENSURE (r->block_io)->weight = (uint16_t) v, r->block_io->weight_present = true;
      break;
    case SET_CPU_PERIOD:
      ENSURE (r->cpu)->period = (uint64_t) v, r->cpu->period_present = true;
      break;
    case SET_CPU_QUOTA:
      ENSURE (r->cpu)->quota = v, r->cpu->quota_present = true;
      break;
    case SET_CPU_BURST:
      ENSURE (r->cpu)->burst = (uint64_t) v, r->cpu->burst_present = true;
      break;
    case SET_CPU_SHARES:
      ENSURE (r->cpu)->shares = (uint64_t) v, r->cpu->shares_present = true;
      break;
    case SET_CPU_RT_PERIOD:
      ENSURE (r->cpu)->realtime_period = (uint64_t) v, r->cpu->realtime_period_present = true;
      break;
    case SET_CPU_RT_RUNTIME:
      ENSURE (r->cpu)->realtime_runtime = v, r->cpu->realtime_runtime_present = true;
      break;
    case SET_CPU_IDLE:
      ENSURE (r->cpu)->idle = v, r->cpu->idle_present = true;
      break;
    case SET_MEMORY:
      ENSURE (r->memory)->limit = v, r->memory->limit_present = true;
      break;
    case SET_MEMORY_RESERVATION:
      ENSURE (r->memory)->reservation = v, r->memory->reservation_present = true;
      break;
    case SET_MEMORY_SWAP:
      ENSURE (r->memory)->swap = v, r->memory->swap_present = true;
      break;
    case SET_KERNEL_MEMORY:
      ENSURE (r->memory)->kernel = v, r->memory->kernel_present = true;
      break;
    case SET_KERNEL_MEMORY_TCP:
      ENSURE (r->memory)->kernel_tcp = v, r->memory->kernel_tcp_present = true;
      break;
    case SET_PIDS_LIMIT:
      ENSURE (r->pids)->limit = v, r->pids->limit_present = true;
      break;
    default:
      break;
    }
  return 0;
}

/* The resources of an update: the JSON document, then each flag over it. */
static oci_resources *
update_resources (const pith_update_options *opts, pith_error *err)
{
  oci_resources *r;

  if (opts->resources_json)
    {
      cleanup_free char *parse_err = NULL;
      r = oci_resources_parse_data (opts->resources_json, strlen (opts->resources_json), "resources", &parse_err);
      if (r == NULL)
        {
          pith_fail (err, EINVAL, "update: %s", parse_err);
          return NULL;
        }
    }
  else
    r = xzalloc (sizeof *r);
  for (size_t i = 0; opts->settings && opts->settings[i]; i++)
    {
      const char *eq = strchr (opts->settings[i], '=');
      cleanup_free char *name = eq ? xstrndup (opts->settings[i], eq - opts->settings[i]) : NULL;
      size_t k = 0;

      while (name && k < ARRAY_SIZE (settings) && strcmp (settings[k].name, name) != 0)
        k++;
      if (name == NULL || k == ARRAY_SIZE (settings))
        {
          pith_fail (err, EINVAL, "update: unknown setting \"%s\"", opts->settings[i]);
          oci_resources_free (r);
          return NULL;
        }
      if (set_one (r, settings[k].what, name, eq + 1, err) < 0)
        {
          oci_resources_free (r);
          return NULL;
        }
    }
  return r;
}

/* memory.checkBeforeUpdate: no new limit below what is in use now. */
static int
check_memory_usage (const struct cgroup_plan *plan, const oci_memory *m, pith_error *err)
{
  struct cgroup_stats st;

  if (m == NULL || !m->check_before_update_present || !m->check_before_update || !m->limit_present || m->limit <= 0)
    return 0;
  if (plan->driver->stats (plan, &st, err) < 0)
    return -1;
  uint64_t usage = st.mem_usage.usage;
  cgroup_stats_release (&st);
  if ((uint64_t) m->limit < usage)
    return pith_fail (err, EBUSY, "%s/memory/limit: %lld is below the memory in use now (%llu bytes) and "
                      "checkBeforeUpdate is set", plan->source, (long long) m->limit, (unsigned long long) usage);
  return 0;
}

PITH_PUBLIC int
pith_container_update (pith_context *ctx, const char *id, const pith_update_options *opts, pith_error *err)
{
  struct container c;
  struct cgroup_plan plan;
  oci_resources *r = NULL;
  const oci_config *config;
  int ret = open_with_plan (ctx, id, true, &c, &plan, err);

  if (ret == 0)
    {
      plan.source = "update: resources";
      r = update_resources (opts, err);
      ret = r ? 0 : -1;
    }
  if (ret == 0)
    {
      /* Device rules keep the nodes of linux.devices usable, as at create. */
      config = container_config (&c, err);
      ret = config ? 0 : -1;
      if (config && config->linux)
        {
          plan.devices = config->linux->devices;
          plan.devices_len = config->linux->devices_len;
        }
    }
  if (ret == 0)
    ret = cgroup_check_resources (&plan, r, err);
  if (ret == 0)
    ret = check_memory_usage (&plan, r->memory, err);
  if (ret == 0)
    ret = plan.driver->update (ctx, &plan, r, err);
  oci_resources_free (r);
  cgroup_plan_release (&plan);
  container_close (&c);
  return ret;
}

/* ---- pause, resume */

static int
freeze (pith_context *ctx, const char *id, bool frozen, pith_error *err)
{
  struct container c;
  struct cgroup_plan plan;
  int ret = open_with_plan (ctx, id, true, &c, &plan, err);

  if (ret == 0 && frozen && c.status != STATUS_RUNNING)
    ret = pith_fail (err, 0, "container \"%s\" is not running (it is %s)", id, container_status_name (c.status));
  if (ret == 0 && !frozen && c.status != STATUS_PAUSED)
    ret = pith_fail (err, 0, "container \"%s\" is not paused (it is %s)", id, container_status_name (c.status));
  if (ret == 0 && plan.driver->freeze (&plan, frozen, err) < 0)
    ret = pith_wrap (err, "%s container \"%s\"", frozen ? "pause" : "resume", id);
  cgroup_plan_release (&plan);
  container_close (&c);
  return ret;
}

PITH_PUBLIC int
pith_container_pause (pith_context *ctx, const char *id, pith_error *err)
{
  return freeze (ctx, id, true, err);
}

PITH_PUBLIC int
pith_container_resume (pith_context *ctx, const char *id, pith_error *err)
{
  return freeze (ctx, id, false, err);
}

/* ---- ps */

PITH_PUBLIC int
pith_container_processes (pith_context *ctx, const char *id, pid_t **pids, size_t *count, pith_error *err)
{
  struct container c;
  struct cgroup_plan plan;
  int ret = open_with_plan (ctx, id, false, &c, &plan, err);

  *pids = NULL;
  *count = 0;
  if (ret == 0)
    ret = cgroup_fs_pids (&plan, pids, count, err);
  cgroup_plan_release (&plan);
  container_close (&c);
  return ret;
}
