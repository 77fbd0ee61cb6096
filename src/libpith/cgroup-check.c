/* Before anything is created: the resources this host has no controller
 * for are refused with the resource's name and the reason.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "cgroup.h"
#include "utils.h"

static bool
any_unified_has (const struct cgroup_plan *plan, const char *controller)
{
  for (size_t i = 0; i < plan->n; i++)
    if (plan->h[i].unified && cgroup_hierarchy_has (&plan->h[i], controller))
      return true;
  return false;
}

static bool
has_unified (const struct cgroup_plan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    if (plan->h[i].unified)
      return true;
  return false;
}

static int
require (const struct cgroup_plan *plan, const char *what, const char *v1_name, const char *v2_name,
         pith_error *err)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      const char *name = plan->h[i].unified ? v2_name : v1_name;
      if (name && cgroup_hierarchy_has (&plan->h[i], name))
        return 0;
    }
  if (plan->v2 && v2_name == NULL)
    return pith_fail (err, ENOTSUP, "%s/%s: cgroup v2 has no %s controller (it exists on cgroup v1 only)",
                      plan->source, what, v1_name);
  return pith_fail (err, ENOTSUP, "%s/%s: this host has no cgroup controller for it (%s is not mounted or enabled)",
                    plan->source, what, plan->v2 ? v2_name : v1_name);
}

static bool
cpu_set (const oci_cpu *c)
{
  return (c->shares_present && c->shares) || (c->quota_present && c->quota) || (c->period_present && c->period)
         || c->burst_present || (c->realtime_runtime_present && c->realtime_runtime)
         || (c->realtime_period_present && c->realtime_period) || c->idle_present;
}

static int
check_unified (const struct cgroup_plan *plan, const oci_map_string *unified, pith_error *err)
{
  if (unified == NULL || unified->len == 0)
    return 0;
  if (!has_unified (plan))
    return pith_fail (err, ENOTSUP, "%s/unified: this host has no cgroup v2 hierarchy (it runs cgroup v1 only)",
                      plan->source);
  for (size_t i = 0; i < unified->len; i++)
    {
      const char *key = unified->keys[i];
      cleanup_free char *controller = xstrndup (key, strcspn (key, "."));

      if (strchr (key, '/') || key[0] == '.' || strchr (key, '.') == NULL)
        return pith_fail (err, EINVAL, "%s/unified/%s: not a cgroup file name", plan->source, key);
      if (strcmp (controller, "cgroup") != 0 && !any_unified_has (plan, controller))
        return pith_fail (err, ENOTSUP,
                          "%s/unified/%s: the %s controller is not on a cgroup v2 hierarchy of this host%s", plan->source,
                          key, controller, plan->v2 ? "" : " (on this hybrid host it is a cgroup v1 controller)");
    }
  return 0;
}

int
cgroup_check_resources (const struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  /* --cgroup-manager disabled: cgroup_plan_make has refused what it must. */
  if (r == NULL || cgroup_plan_disabled (plan))
    return 0;
  if (r->memory && require (plan, "memory", "memory", "memory", err) < 0)
    return -1;
  if (r->cpu && cpu_set (r->cpu) && require (plan, "cpu", "cpu", "cpu", err) < 0)
    return -1;
  if (r->cpu && ((r->cpu->cpus && r->cpu->cpus[0]) || (r->cpu->mems && r->cpu->mems[0]))
      && require (plan, "cpu/cpus", "cpuset", "cpuset", err) < 0)
    return -1;
  if (r->pids && require (plan, "pids", "pids", "pids", err) < 0)
    return -1;
  if (r->block_io && require (plan, "blockIO", "blkio", "io", err) < 0)
    return -1;
  if (r->hugepage_limits_len && require (plan, "hugepageLimits", "hugetlb", "hugetlb", err) < 0)
    return -1;
  if (r->network && r->network->class_id_present && require (plan, "network/classID", "net_cls", NULL, err) < 0)
    return -1;
  if (r->network && r->network->priorities_len && require (plan, "network/priorities", "net_prio", NULL, err) < 0)
    return -1;
  if (r->rdma && r->rdma->len && require (plan, "rdma", "rdma", "rdma", err) < 0)
    return -1;
  if (r->devices_len && cgroup_find (plan, "devices") == NULL && !has_unified (plan))
    return pith_fail (err, ENOTSUP, "%s/devices: this host has neither a devices cgroup nor cgroup v2", plan->source);
  if (r->memory && plan->v2 && ((r->memory->kernel_present && r->memory->kernel)
                                || (r->memory->kernel_tcp_present && r->memory->kernel_tcp)))
    return pith_fail (err, ENOTSUP, "%s/memory/kernel: cgroup v2 has no separate kernel memory limit", plan->source);
  return check_unified (plan, r->unified, err);
}
