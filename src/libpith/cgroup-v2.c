/* Resources on a cgroup2 hierarchy (a pure v2 host, or the unified part of
 * a hybrid one) with the standard conversions from the v1-shaped spec, and
 * the cgroupfs driver of a pure v2 host.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "utils.h"

/* memory.max now, -1 for "max", 0 when there is none. */
static int64_t
current_memory_max (const char *dir)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };
  int64_t v = 0;

  if (cgroup_read (dir, "memory.max", &data, &ignored) < 0)
    pith_error_release (&ignored);
  else if (strcmp (data, "max") == 0)
    v = -1;
  else if (parse_int64 (data, &v) < 0)
    v = 0;
  return v;
}

static int
unsupported (const struct cgroup_plan *plan, pith_error *err, const char *what, const char *why)
{
  return pith_fail (err, ENOTSUP, "%s/%s: %s", plan->source, what, why);
}

static int
apply_memory (const struct cgroup_plan *plan, const char *dir, const oci_memory *m, pith_error *err)
{
  bool has_limit = m->limit_present && m->limit != 0, has_swap = m->swap_present && m->swap != 0;

  if (has_limit && cgroup_write_limit (dir, "memory.max", m->limit, err) < 0)
    return cgroup_resource_error (plan, err, "memory/limit");
  if (has_swap || (has_limit && m->limit == -1))
    {
      /* The spec's swap is memory+swap (v1); memory.swap.max is the swap alone. */
      int64_t memory = has_limit ? m->limit : current_memory_max (dir), swap;

      if (cgroup_swap_to_v2 (has_swap ? m->swap : 0, memory, &swap, err) < 0)
        return cgroup_resource_error (plan, err, "memory/swap");
      /* Unlimited memory implies unlimited swap only where swap is accounted. */
      if (swap != 0 && (has_swap || cgroup_has_file (dir, "memory.swap.max"))
          && cgroup_write_limit (dir, "memory.swap.max", swap, err) < 0)
        return cgroup_resource_error (plan, err, "memory/swap");
    }
  if (m->reservation_present && m->reservation != 0 && cgroup_write_limit (dir, "memory.low", m->reservation, err) < 0)
    return cgroup_resource_error (plan, err, "memory/reservation");
  if (m->swappiness_present)
    {
      if (!cgroup_has_file (dir, "memory.swappiness"))
        return unsupported (plan, err, "memory/swappiness", "cgroup v2 has no per-cgroup swappiness");
      if (cgroup_write_u64 (dir, "memory.swappiness", m->swappiness, err) < 0)
        return cgroup_resource_error (plan, err, "memory/swappiness");
    }
  if (m->disable_oom_killer_present && m->disable_oom_killer)
    return unsupported (plan, err, "memory/disableOOMKiller", "cgroup v2 has no way to disable the OOM killer");
  if ((m->kernel_present && m->kernel != 0) || (m->kernel_tcp_present && m->kernel_tcp != 0))
    return unsupported (plan, err, m->kernel_present ? "memory/kernel" : "memory/kernelTCP",
                        "cgroup v2 has no separate kernel memory limit");
  /* v2 is always hierarchical: true is what it does anyway. */
  if (m->use_hierarchy_present && !m->use_hierarchy)
    return unsupported (plan, err, "memory/useHierarchy", "cgroup v2 is always hierarchical");
  return 0;
}

static int
apply_cpu_max (const struct cgroup_plan *plan, const char *dir, const oci_cpu *c, pith_error *err)
{
  cleanup_free char *cur = NULL;
  char quota[32] = "max", period[32] = "100000", buf[80];

  /* cpu.max holds both: keep the current value of the one not given. */
  if (cgroup_read (dir, "cpu.max", &cur, err) < 0)
    return cgroup_resource_error (plan, err, "cpu/quota");
  if (sscanf (cur, "%31s %31s", quota, period) < 1)
    return pith_fail (err, EINVAL, "unexpected cpu.max \"%s\"", cur);
  if (c->quota_present && c->quota != 0)
    {
      if (c->quota < 0)
        strcpy (quota, "max");
      else
        snprintf (quota, sizeof quota, "%" PRId64, c->quota);
    }
  if (c->period_present && c->period != 0)
    snprintf (period, sizeof period, "%" PRIu64, c->period);
  snprintf (buf, sizeof buf, "%s %s", quota, period);
  if (cgroup_write (dir, "cpu.max", buf, err) < 0)
    return cgroup_resource_error (plan, err, c->quota_present ? "cpu/quota" : "cpu/period");
  return 0;
}

static int
apply_cpu (const struct cgroup_plan *plan, const char *dir, const oci_cpu *c, pith_error *err)
{
  if (c->shares_present && c->shares
      && cgroup_write_u64 (dir, "cpu.weight", cgroup_shares_to_weight (c->shares), err) < 0)
    return cgroup_resource_error (plan, err, "cpu/shares");
  if (((c->quota_present && c->quota != 0) || (c->period_present && c->period != 0))
      && apply_cpu_max (plan, dir, c, err) < 0)
    return -1;
  if (c->burst_present && cgroup_write_u64 (dir, "cpu.max.burst", c->burst, err) < 0)
    return cgroup_resource_error (plan, err, "cpu/burst");
  if (c->idle_present && cgroup_write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    return cgroup_resource_error (plan, err, "cpu/idle");
  if ((c->realtime_runtime_present && c->realtime_runtime) || (c->realtime_period_present && c->realtime_period))
    return unsupported (plan, err, c->realtime_runtime_present ? "cpu/realtimeRuntime" : "cpu/realtimePeriod",
                        "cgroup v2 has no realtime cpu controller");
  return 0;
}

static int
apply_io (const struct cgroup_plan *plan, const char *dir, const oci_block_io *b, pith_error *err)
{
  /* bfq takes the blkio range as is; io.weight (iocost) needs converting. */
  bool bfq = cgroup_has_file (dir, "io.bfq.weight");
  const char *file = bfq ? "io.bfq.weight" : "io.weight";
  const struct
  {
    oci_throttle_device **list;
    size_t n;
    const char *key, *name;
  } throttles[] = {
    { b->throttle_read_bps_device, b->throttle_read_bps_device_len, "rbps", "throttleReadBpsDevice" },
    { b->throttle_write_bps_device, b->throttle_write_bps_device_len, "wbps", "throttleWriteBpsDevice" },
    { b->throttle_read_iops_device, b->throttle_read_iops_device_len, "riops", "throttleReadIOPSDevice" },
    { b->throttle_write_iops_device, b->throttle_write_iops_device_len, "wiops", "throttleWriteIOPSDevice" },
  };
  char buf[128];

  if (b->weight_present && b->weight
      && cgroup_write_u64 (dir, file, bfq ? b->weight : cgroup_blkio_to_io_weight (b->weight), err) < 0)
    return cgroup_resource_error (plan, err, "blockIO/weight");
  if (b->leaf_weight_present && b->leaf_weight)
    return unsupported (plan, err, "blockIO/leafWeight", "cgroup v2 has no leaf weight");
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *w = b->weight_device[i];
      if (w->leaf_weight_present && w->leaf_weight)
        return unsupported (plan, err, "blockIO/weightDevice/leafWeight", "cgroup v2 has no leaf weight");
      if (!w->weight_present)
        continue;
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                bfq ? (uint64_t) w->weight : cgroup_blkio_to_io_weight (w->weight));
      if (cgroup_write (dir, file, buf, err) < 0)
        return cgroup_resource_error (plan, err, "blockIO/weightDevice/%zu", i);
    }
  for (size_t k = 0; k < ARRAY_SIZE (throttles); k++)
    for (size_t i = 0; i < throttles[k].n; i++)
      {
        const oci_throttle_device *t = throttles[k].list[i];
        snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major, t->minor, throttles[k].key,
                  t->rate);
        if (cgroup_write (dir, "io.max", buf, err) < 0)
          return cgroup_resource_error (plan, err, "blockIO/%s/%zu", throttles[k].name, i);
      }
  return 0;
}

int
cgroup_v2_apply (const struct cgroup_plan *plan, const struct cgroup_hierarchy *h, const oci_resources *r,
                 pith_error *err)
{
  const char *dir = h->dir;

  if (cgroup_hierarchy_has (h, "memory") && r->memory && apply_memory (plan, dir, r->memory, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "cpu") && r->cpu && apply_cpu (plan, dir, r->cpu, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "cpuset") && r->cpu)
    {
      if (r->cpu->cpus && r->cpu->cpus[0] && cgroup_write (dir, "cpuset.cpus", r->cpu->cpus, err) < 0)
        return cgroup_resource_error (plan, err, "cpu/cpus");
      if (r->cpu->mems && r->cpu->mems[0] && cgroup_write (dir, "cpuset.mems", r->cpu->mems, err) < 0)
        return cgroup_resource_error (plan, err, "cpu/mems");
    }
  if (cgroup_hierarchy_has (h, "pids") && r->pids && r->pids->limit_present
      && cgroup_write_limit (dir, "pids.max", r->pids->limit, err) < 0)
    return cgroup_resource_error (plan, err, "pids/limit");
  if (cgroup_hierarchy_has (h, "io") && r->block_io && apply_io (plan, dir, r->block_io, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "hugetlb") && cgroup_hugetlb_apply (plan, dir, r, true, err) < 0)
    return -1;
  if (cgroup_hierarchy_has (h, "rdma") && cgroup_rdma_apply (plan, dir, r, err) < 0)
    return -1;
  /* Device rules: the v1 controller where the host has one, else eBPF here. */
  if (cgroup_find (plan, "devices") == NULL && cgroup_v2_devices (plan, dir, r, err) < 0)
    return -1;
  /* Raw keys last: they are meant to have the final word. */
  if (r->unified)
    for (size_t i = 0; i < r->unified->len; i++)
      if (cgroup_write (dir, r->unified->keys[i], r->unified->values[i], err) < 0)
        return cgroup_resource_error (plan, err, "unified/%s", r->unified->keys[i]);
  return 0;
}

int
cgroup_v2_enable_controllers (const struct cgroup_hierarchy *h, pith_error *err)
{
  cleanup_free char *request = xzalloc (strlen (h->controllers) * 2 + 2);
  cleanup_free char *path = xstrdup (h->dir);
  cleanup_free char *copy = xstrdup (h->controllers);
  size_t base = strlen (h->mountpoint);
  char *saveptr = NULL;

  for (char *c = strtok_r (copy, ",", &saveptr); c; c = strtok_r (NULL, ",", &saveptr))
    {
      if (request[0])
        strcat (request, " ");
      strcat (request, "+");
      strcat (request, c);
    }
  /* Every ancestor from the mount point down to the container's parent.
   * When the whole set is refused (a level with processes of its own, a
   * controller the kernel keeps to itself), each one is tried alone: a
   * missing controller shows up as an error naming the resource that
   * needs it, not here. */
  for (char *p = path + base; p; p = strchr (p + 1, '/'))
    {
      const char *dir;
      char saved = *p;

      *p = '\0';
      dir = *path ? path : "/";
      if (cgroup_write (dir, "cgroup.subtree_control", request, err) < 0)
        {
          cleanup_free char *each = xstrdup (request);
          pith_error_release (err);
          saveptr = NULL;
          for (char *c = strtok_r (each, " ", &saveptr); c; c = strtok_r (NULL, " ", &saveptr))
            {
              if (cgroup_write (dir, "cgroup.subtree_control", c, err) < 0)
                pith_error_release (err);
            }
        }
      *p = saved;
    }
  return 0;
}

int
cgroup_v2_freeze (const char *dir, bool frozen, pith_error *err)
{
  if (!cgroup_has_file (dir, "cgroup.freeze"))
    return pith_fail (err, ENOTSUP, "this kernel has no cgroup v2 freezer (cgroup.freeze, Linux 5.2)");
  if (cgroup_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  /* The write only asks; cgroup.events says when every task got there. */
  for (int attempt = 0; attempt < 1000; attempt++)
    {
      cleanup_free char *events = NULL;
      const char *line;

      if (cgroup_read (dir, "cgroup.events", &events, err) < 0)
        return -1;
      line = strstr (events, "frozen ");
      if (line == NULL || (line[7] == '1') == frozen)
        return 0;
      cgroup_sleep_ms (attempt < 10 ? 1 : 10);
    }
  return pith_fail (err, ETIMEDOUT, "the cgroup did not become %s", frozen ? "frozen" : "thawed");
}

/* ---- the driver of a pure cgroup2 host */

static int
v2_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  struct cgroup_hierarchy *h = &plan->h[0];

  (void) ctx;
  if (cgroup_fs_mkdirs (plan, err) < 0)
    return -1;
  if (h->controllers[0] && cgroup_v2_enable_controllers (h, err) < 0)
    return -1;
  if (cgroup_fs_apply (plan, r, err) < 0)
    return -1;
  /* clone3 can start the init right in it (CLONE_INTO_CGROUP): no moment
   * outside its limits, and no migration afterwards. */
  plan->clone_fd = open (h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (plan->clone_fd < 0)
    return pith_fail (err, errno, "open cgroup `%s`", h->dir);
  return 0;
}

static int
v2_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  (void) r;
  if (plan->cloned_into)
    {
      pith_debug (ctx, "the init started inside its cgroup %s (CLONE_INTO_CGROUP)", plan->h[0].dir);
      return 0;
    }
  return cgroup_fs_join (plan, pid, err);
}

static int
v2_update (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx;
  return cgroup_fs_apply (plan, r, err);
}

static int
v2_freeze (const struct cgroup_plan *plan, bool frozen, pith_error *err)
{
  return cgroup_v2_freeze (plan->h[0].dir, frozen, err);
}

static int
v2_signal_all (const struct cgroup_plan *plan, int signo, pith_error *err)
{
  /* cgroup.kill (Linux 5.14) kills the whole subtree at once, frozen or not. */
  if (signo == SIGKILL && cgroup_has_file (plan->h[0].dir, "cgroup.kill"))
    return cgroup_write (plan->h[0].dir, "cgroup.kill", "1", err);
  return cgroup_fs_signal_frozen (plan, signo, err);
}

static int
v2_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  pith_error ignored = { 0 };

  (void) ctx;
  if (cgroup_fs_remove_if_empty (plan))
    return 0;
  if (v2_signal_all (plan, SIGKILL, &ignored) < 0)
    pith_error_release (&ignored);
  if (cgroup_has_file (plan->h[0].dir, "cgroup.freeze") && cgroup_v2_freeze (plan->h[0].dir, false, &ignored) < 0)
    pith_error_release (&ignored);
  return cgroup_fs_remove (plan, err);
}

const struct cgroup_driver cgroup_driver_v2 = {
  .name = "cgroupfs (v2)",
  .prepare = v2_prepare,
  .join = v2_join,
  .update = v2_update,
  .freeze = v2_freeze,
  .signal_all = v2_signal_all,
  .stats = cgroup_fs_stats,
  .destroy = v2_destroy,
};
