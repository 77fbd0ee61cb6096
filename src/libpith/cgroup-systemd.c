/* The systemd driver (--systemd-cgroup): the container's cgroup is a
 * transient scope unit, "<prefix>-<name>.scope" in the slice of
 * cgroupsPath "slice:prefix:name", started over D-Bus (dbus.c) with
 * Delegate=yes and the resource properties systemd knows.
 * Whatever has no property (devices, hugetlb, io throttles, unified keys,
 * the v1 controllers systemd does not manage) is then written through the
 * host's cgroupfs driver, into the same directories.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitmask.h"
#include "cgroup.h"
#include "dbus.h"
#include "log.h"
#include "utils.h"


#define SCOPE_START_TIMEOUT_MS 10000

/* "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root. */
static int
slice_path (const char *slice, char **out)
{
  size_t len = strlen (slice), base;
  cleanup_free char *path = NULL;

  if (len < 6 || strcmp (slice + len - 6, ".slice") != 0 || strchr (slice, '/'))
    return -1;
  if (strcmp (slice, "-.slice") == 0)
    {
      *out = xstrdup ("");
      return 0;
    }
  base = len - 6;
  if (slice[0] == '-' || slice[base - 1] == '-' || strstr (slice, "--"))
    return -1;
  path = xstrdup ("");
  for (size_t i = 0; i <= base; i++)
    if (i == base || slice[i] == '-')
      {
        char *next = xasprintf ("%s/%.*s.slice", path, (int) i, slice);
        free (path);
        path = next;
      }
  *out = steal_pointer (&path);
  return 0;
}

int
cgroup_systemd_path (const char *cgroups_path, const char *id, struct cgroup_plan *plan, pith_error *err)
{
  cleanup_free char *copy = NULL, *sp = NULL;
  const char *slice, *prefix, *name;
  char *c1, *c2;

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    cgroups_path = geteuid () == 0 ? "system.slice:pith:" : "user.slice:pith:";
  copy = xstrdup (cgroups_path);
  c1 = strchr (copy, ':');
  c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c2 == NULL || strchr (c2 + 1, ':'))
    return pith_fail (err, EINVAL,
                      "config.json: /linux/cgroupsPath: \"%s\" is not \"slice:prefix:name\", the form "
                      "--systemd-cgroup needs",
                      cgroups_path);
  *c1 = *c2 = '\0';
  slice = copy[0] ? copy : (geteuid () == 0 ? "system.slice" : "user.slice");
  prefix = c1 + 1;
  name = c2[1] ? c2 + 1 : id;
  if (slice_path (slice, &sp) < 0)
    return pith_fail (err, EINVAL, "config.json: /linux/cgroupsPath: \"%s\" is not a valid slice name", slice);
  if (strchr (name, '/') || strchr (prefix, '/') || str_has_prefix (name, "."))
    return pith_fail (err, EINVAL, "config.json: /linux/cgroupsPath: invalid unit name in \"%s\"", cgroups_path);
  if (strlen (name) > 6 && strcmp (name + strlen (name) - 6, ".slice") == 0)
    return pith_fail (err, ENOTSUP, "config.json: /linux/cgroupsPath: a slice as the container's unit (\"%s\") is not "
                      "supported; name a scope", name);
  plan->slice = xstrdup (slice);
  plan->unit = prefix[0] ? xasprintf ("%s-%s.scope", prefix, name) : xasprintf ("%s.scope", name);
  plan->path = xasprintf ("%s/%s", sp, plan->unit);
  return 0;
}

#define SYSTEMD_DESTINATION "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* One unit property, "(sv)", of a basic type. */
static void
put_property_begin (struct dbus_buf *b, const char *name, const char *type)
{
  dbus_struct_begin (b);
  dbus_put_string (b, name);
  dbus_put_signature (b, type);
}

static void
put_property_u64 (struct dbus_buf *b, const char *name, uint64_t v)
{
  put_property_begin (b, name, "t");
  dbus_put_u64 (b, v);
}

static void
put_property_bool (struct dbus_buf *b, const char *name, bool v)
{
  put_property_begin (b, name, "b");
  dbus_put_bool (b, v);
}

static void
put_property_string (struct dbus_buf *b, const char *name, const char *v)
{
  put_property_begin (b, name, "s");
  dbus_put_string (b, v);
}

/* AllowedCPUs / AllowedMemoryNodes: a byte array, bit N for CPU N. */
static int
put_property_mask (struct dbus_buf *b, const char *name, const char *list, pith_error *err)
{
  cleanup_free uint8_t *mask = NULL;
  struct bitmask ids;
  size_t len;

  if (bitmask_parse (list, UINT16_MAX + 1, &ids, err) < 0)
    return pith_wrap (err, "systemd property %s", name);
  len = (ids.nbits + 7) / 8;
  mask = xzalloc (len + 1);
  for (size_t i = 0; i < ids.nbits; i++)
    if (bitmask_test (&ids, i))
      mask[i / 8] |= (uint8_t) (1u << (i % 8));
  bitmask_release (&ids);
  put_property_begin (b, name, "ay");
  dbus_put_bytes (b, mask, len);
  return 0;
}

static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

/* The resources systemd has properties for; the rest goes through cgroupfs. */
static int
put_resources (struct dbus_buf *b, const struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  if (r == NULL)
    return 0;
  if (r->memory && r->memory->limit_present && r->memory->limit != 0)
    put_property_u64 (b, plan->v2 ? "MemoryMax" : "MemoryLimit", limit_value (r->memory->limit));
  if (plan->v2 && r->memory && r->memory->reservation_present && r->memory->reservation != 0)
    put_property_u64 (b, "MemoryLow", limit_value (r->memory->reservation));
  if (r->cpu && r->cpu->shares_present && r->cpu->shares)
    {
      if (plan->v2)
        put_property_u64 (b, "CPUWeight", cgroup_shares_to_weight (r->cpu->shares));
      else
        put_property_u64 (b, "CPUShares", r->cpu->shares);
    }
  if (r->cpu && r->cpu->quota_present && r->cpu->quota > 0)
    {
      uint64_t period = r->cpu->period_present && r->cpu->period ? r->cpu->period : 100000;
      /* systemd counts the quota per second of wall time, rounded up to 10ms steps. */
      uint64_t per_sec = (uint64_t) r->cpu->quota * 1000000 / period;
      put_property_u64 (b, "CPUQuotaPerSecUSec", (per_sec + 9999) / 10000 * 10000);
      put_property_u64 (b, "CPUQuotaPeriodUSec", period);
    }
  if (r->pids && r->pids->limit_present)
    put_property_u64 (b, "TasksMax", limit_value (r->pids->limit));
  if (plan->v2 && r->cpu && r->cpu->cpus && r->cpu->cpus[0]
      && put_property_mask (b, "AllowedCPUs", r->cpu->cpus, err) < 0)
    return -1;
  if (plan->v2 && r->cpu && r->cpu->mems && r->cpu->mems[0]
      && put_property_mask (b, "AllowedMemoryNodes", r->cpu->mems, err) < 0)
    return -1;
  if (r->block_io && r->block_io->weight_present && r->block_io->weight)
    {
      if (plan->v2)
        put_property_u64 (b, "IOWeight", cgroup_blkio_to_io_weight (r->block_io->weight));
      else
        put_property_u64 (b, "BlockIOWeight", r->block_io->weight);
    }
  return 0;
}

/* Whether PID's cgroup (any hierarchy) is PATH. */
static bool
pid_in_cgroup (pid_t pid, const char *path)
{
  cleanup_free char *file = xasprintf ("/proc/%d/cgroup", (int) pid), *data = NULL;
  pith_error ignored = { 0 };
  char *saveptr = NULL;

  if (read_file_at (-100, file, 1 << 20, &data, NULL, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return false;
    }
  for (char *line = strtok_r (data, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *p = strchr (line, ':');
      p = p ? strchr (p + 1, ':') : NULL;
      if (p && strcmp (p + 1, path) == 0)
        return true;
    }
  return false;
}

static int
start_scope (struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  cleanup_dbus_conn struct dbus_conn bus = { .fd = -1 };
  cleanup_dbus_buf struct dbus_buf body = { 0 };
  cleanup_free char *description = xasprintf ("pith container %s", plan->unit);
  struct dbus_array properties, pids;

  /* StartTransientUnit(name, mode, properties a(sv), auxiliary units a(sa(sv))) */
  dbus_put_string (&body, plan->unit);
  dbus_put_string (&body, "fail");
  properties = dbus_array_begin (&body, 8);
  put_property_string (&body, "Description", description);
  put_property_string (&body, "Slice", plan->slice);
  put_property_bool (&body, "Delegate", true);
  put_property_bool (&body, "DefaultDependencies", false);
  put_property_string (&body, "CollectMode", "inactive-or-failed");
  put_property_bool (&body, "MemoryAccounting", true);
  put_property_bool (&body, "CPUAccounting", true);
  put_property_bool (&body, "TasksAccounting", true);
  put_property_bool (&body, plan->v2 ? "IOAccounting" : "BlockIOAccounting", true);
  put_property_begin (&body, "PIDs", "au");
  pids = dbus_array_begin (&body, 4);
  dbus_put_u32 (&body, (uint32_t) pid);
  dbus_array_end (&body, pids);
  if (put_resources (&body, plan, r, err) < 0)
    return -1;
  dbus_array_end (&body, properties);
  dbus_array_end (&body, dbus_array_begin (&body, 8));
  if (dbus_connect_systemd (&bus, err) < 0
      || dbus_call (&bus, SYSTEMD_DESTINATION, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartTransientUnit",
                    "ssa(sv)a(sa(sv))", &body, NULL, err) < 0)
    return pith_wrap (err, "--systemd-cgroup: start the systemd scope %s", plan->unit);
  /* The call queues a job: the scope exists once the init is in it. */
  for (int waited = 0; !pid_in_cgroup (pid, plan->path); waited += 5)
    {
      if (waited >= SCOPE_START_TIMEOUT_MS)
        return pith_fail (err, ETIMEDOUT, "systemd did not move the container into %s", plan->unit);
      cgroup_sleep_ms (5);
    }
  return 0;
}

static int
sd_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  cleanup_dbus_conn struct dbus_conn bus = { .fd = -1 };

  (void) ctx, (void) plan, (void) r;
  /* Only a check, before anything is cloned: the scope needs the pid. */
  if (dbus_connect_systemd (&bus, err) < 0)
    return pith_wrap (err, "--systemd-cgroup");
  return 0;
}

static int
sd_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  (void) ctx;
  if (start_scope (plan, pid, r, err) < 0)
    return -1;
  /* Hierarchies systemd does not manage (v1 cpuset, freezer, ...) get the
   * same path, made and joined by hand. */
  if (cgroup_fs_mkdirs (plan, err) < 0 || cgroup_fs_join (plan, pid, err) < 0)
    return -1;
  return cgroup_fs_apply (plan, r, err);
}

static int
sd_update (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  cleanup_dbus_conn struct dbus_conn bus = { .fd = -1 };
  cleanup_dbus_buf struct dbus_buf body = { 0 };
  struct dbus_array properties;

  (void) ctx;
  /* systemd rewrites the files it owns on reload: tell it the new values too.
   * SetUnitProperties(name, runtime, properties a(sv)) */
  dbus_put_string (&body, plan->unit);
  dbus_put_bool (&body, true);
  properties = dbus_array_begin (&body, 8);
  if (put_resources (&body, plan, r, err) < 0)
    return -1;
  dbus_array_end (&body, properties);
  if (dbus_connect_systemd (&bus, err) < 0
      || dbus_call (&bus, SYSTEMD_DESTINATION, SYSTEMD_PATH, SYSTEMD_MANAGER, "SetUnitProperties", "sba(sv)", &body,
                    NULL, err) < 0)
    return pith_wrap (err, "--systemd-cgroup: update the systemd scope %s", plan->unit);
  return cgroup_fs_apply (plan, r, err);
}

static int
sd_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  cleanup_dbus_conn struct dbus_conn bus = { .fd = -1 };
  cleanup_dbus_buf struct dbus_buf body = { 0 };
  cleanup_free char *error_name = NULL;
  pith_error ignored = { 0 };

  /* Kill first: stopping the unit would otherwise wait for SIGTERM. */
  if (plan->fs->signal_all (plan, SIGKILL, &ignored) < 0)
    pith_error_release (&ignored);
  if (plan->unit && dbus_connect_systemd (&bus, &ignored) == 0)
    {
      dbus_put_string (&body, plan->unit);
      dbus_put_string (&body, "replace");
      if (dbus_call (&bus, SYSTEMD_DESTINATION, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", "ss", &body, &error_name,
                     &ignored) < 0
          && (error_name == NULL || strcmp (error_name, "org.freedesktop.systemd1.NoSuchUnit") != 0))
        pith_warn (ctx, "stop systemd unit %s: %s", plan->unit, ignored.msg);
    }
  pith_error_release (&ignored);
  return plan->fs->destroy (ctx, plan, err);
}

/* Freezing and signalling work on the scope's directories like on any cgroup. */
static int
sd_freeze (const struct cgroup_plan *plan, bool frozen, pith_error *err)
{
  return plan->fs->freeze (plan, frozen, err);
}

static int
sd_signal_all (const struct cgroup_plan *plan, int signo, pith_error *err)
{
  return plan->fs->signal_all (plan, signo, err);
}

const struct cgroup_driver cgroup_driver_systemd = {
  .name = "systemd",
  .prepare = sd_prepare,
  .join = sd_join,
  .update = sd_update,
  .freeze = sd_freeze,
  .signal_all = sd_signal_all,
  .stats = cgroup_fs_stats,
  .destroy = sd_destroy,
};
