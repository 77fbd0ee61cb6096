/* The systemd driver (--systemd-cgroup): the container's cgroup is a
 * transient scope unit, "<prefix>-<name>.scope" in the slice of
 * cgroupsPath "slice:prefix:name", started over D-Bus (libsystemd's
 * sd-bus) with Delegate=yes and the resource properties systemd knows.
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
#include "log.h"
#include "utils.h"

#ifdef HAVE_SYSTEMD
#include <dlfcn.h>
#include <systemd/sd-bus.h>
#endif

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

#ifdef HAVE_SYSTEMD

/* libsystemd is opened only when this driver runs: linked, it and the
 * libraries it pulls in (gcrypt, lzma, zstd, lz4) would be mapped and
 * relocated by every pith command, which is most of a short command's
 * CPU time. */
#define SD_FUNCTIONS(X)                                                                                                \
  X (sd_bus_new)                                                                                                       \
  X (sd_bus_set_address)                                                                                               \
  X (sd_bus_start)                                                                                                     \
  X (sd_bus_unref)                                                                                                     \
  X (sd_bus_flush_close_unref)                                                                                         \
  X (sd_bus_open_system)                                                                                               \
  X (sd_bus_open_user)                                                                                                 \
  X (sd_bus_call)                                                                                                      \
  X (sd_bus_call_method)                                                                                               \
  X (sd_bus_error_free)                                                                                                \
  X (sd_bus_error_has_name)                                                                                            \
  X (sd_bus_message_new_method_call)                                                                                   \
  X (sd_bus_message_append)                                                                                            \
  X (sd_bus_message_append_array)                                                                                      \
  X (sd_bus_message_open_container)                                                                                    \
  X (sd_bus_message_close_container)                                                                                   \
  X (sd_bus_message_unref)

static struct
{
#define SD_FIELD(f) __typeof__ (f) *f;
  SD_FUNCTIONS (SD_FIELD)
#undef SD_FIELD
} sd;

static int
libsystemd_load (pith_error *err)
{
  static void *handle;
  void *h;

  if (handle)
    return 0;
  h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return pith_fail (err, ENOTSUP, "--systemd-cgroup needs libsystemd.so.0 (apt-get install libsystemd0): %s",
                      dlerror ());
#define SD_LOAD(f)                                                                                                     \
  if ((sd.f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                                                               \
    {                                                                                                                  \
      dlclose (h);                                                                                                     \
      return pith_fail (err, ENOTSUP, "--systemd-cgroup: libsystemd.so.0 has no %s", #f);                             \
    }
  SD_FUNCTIONS (SD_LOAD)
#undef SD_LOAD
  handle = h;
  return 0;
}

static void
bus_closep (sd_bus **bus)
{
  if (*bus)
    sd.sd_bus_flush_close_unref (*bus);
}
#define cleanup_bus __attribute__ ((cleanup (bus_closep)))

static int
bus_open (sd_bus **out, pith_error *err)
{
  sd_bus *bus = NULL;
  int r;

  if (libsystemd_load (err) < 0)
    return -1;
  if (geteuid () == 0)
    {
      /* PID 1's private socket needs no D-Bus daemon (minimal systems). */
      r = sd.sd_bus_new (&bus);
      if (r >= 0)
        r = sd.sd_bus_set_address (bus, "unix:path=/run/systemd/private");
      if (r >= 0)
        r = sd.sd_bus_start (bus);
      if (r >= 0)
        {
          *out = bus;
          return 0;
        }
      sd.sd_bus_unref (bus);
      bus = NULL;
      r = sd.sd_bus_open_system (&bus);
    }
  else
    r = sd.sd_bus_open_user (&bus);
  if (r < 0)
    return pith_fail (err, -r, "--systemd-cgroup: cannot reach the systemd %s manager over D-Bus (is systemd running?)",
                      geteuid () == 0 ? "system" : "user");
  *out = bus;
  return 0;
}

static int
bus_error (pith_error *err, int r, sd_bus_error *e, const char *what)
{
  int ret = pith_fail (err, e->message ? 0 : -r, "%s%s%s", what, e->message ? ": " : "", e->message ? e->message : "");
  sd.sd_bus_error_free (e);
  return ret;
}

static int
append_u64 (sd_bus_message *m, const char *name, uint64_t v)
{
  return sd.sd_bus_message_append (m, "(sv)", name, "t", v);
}

/* AllowedCPUs / AllowedMemoryNodes: a byte array, bit N for CPU N. */
static int
append_mask (sd_bus_message *m, const char *name, const char *list)
{
  cleanup_free uint8_t *mask = NULL;
  pith_error ignored = { 0 };
  struct bitmask ids;
  size_t len;
  int r;

  if (bitmask_parse (list, UINT16_MAX + 1, &ids, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return -EINVAL;
    }
  len = (ids.nbits + 7) / 8;
  mask = xzalloc (len + 1);
  for (size_t i = 0; i < ids.nbits; i++)
    if (bitmask_test (&ids, i))
      mask[i / 8] |= (uint8_t) (1u << (i % 8));
  bitmask_release (&ids);
  if ((r = sd.sd_bus_message_open_container (m, 'r', "sv")) < 0 || (r = sd.sd_bus_message_append (m, "s", name)) < 0
      || (r = sd.sd_bus_message_open_container (m, 'v', "ay")) < 0 || (r = sd.sd_bus_message_append_array (m, 'y', mask, len)) < 0
      || (r = sd.sd_bus_message_close_container (m)) < 0)
    return r;
  return sd.sd_bus_message_close_container (m);
}

static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

/* The resources systemd has properties for; the rest goes through cgroupfs. */
static int
append_resources (sd_bus_message *m, const struct cgroup_plan *plan, const oci_resources *r)
{
  int ret = 0;

  if (r == NULL)
    return 0;
  if (r->memory && r->memory->limit_present && r->memory->limit != 0)
    ret = append_u64 (m, plan->v2 ? "MemoryMax" : "MemoryLimit", limit_value (r->memory->limit));
  if (ret >= 0 && plan->v2 && r->memory && r->memory->reservation_present && r->memory->reservation != 0)
    ret = append_u64 (m, "MemoryLow", limit_value (r->memory->reservation));
  if (ret >= 0 && r->cpu && r->cpu->shares_present && r->cpu->shares)
    ret = plan->v2 ? append_u64 (m, "CPUWeight", cgroup_shares_to_weight (r->cpu->shares))
                   : append_u64 (m, "CPUShares", r->cpu->shares);
  if (ret >= 0 && r->cpu && r->cpu->quota_present && r->cpu->quota > 0)
    {
      uint64_t period = r->cpu->period_present && r->cpu->period ? r->cpu->period : 100000;
      /* systemd counts the quota per second of wall time, rounded up to 10ms steps. */
      uint64_t per_sec = (uint64_t) r->cpu->quota * 1000000 / period;
      per_sec = (per_sec + 9999) / 10000 * 10000;
      ret = append_u64 (m, "CPUQuotaPerSecUSec", per_sec);
      if (ret >= 0)
        ret = append_u64 (m, "CPUQuotaPeriodUSec", period);
    }
  if (ret >= 0 && r->pids && r->pids->limit_present)
    ret = append_u64 (m, "TasksMax", limit_value (r->pids->limit));
  if (ret >= 0 && plan->v2 && r->cpu && r->cpu->cpus && r->cpu->cpus[0])
    ret = append_mask (m, "AllowedCPUs", r->cpu->cpus);
  if (ret >= 0 && plan->v2 && r->cpu && r->cpu->mems && r->cpu->mems[0])
    ret = append_mask (m, "AllowedMemoryNodes", r->cpu->mems);
  if (ret >= 0 && r->block_io && r->block_io->weight_present && r->block_io->weight)
    ret = plan->v2 ? append_u64 (m, "IOWeight", cgroup_blkio_to_io_weight (r->block_io->weight))
                   : append_u64 (m, "BlockIOWeight", r->block_io->weight);
  return ret;
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
start_scope (sd_bus *bus, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  cleanup_free char *description = xasprintf ("pith container %s", plan->unit);
  int ret;

  ret = sd.sd_bus_message_new_method_call (bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  if (ret >= 0)
    ret = sd.sd_bus_message_append (m, "ss", plan->unit, "fail");
  if (ret >= 0)
    ret = sd.sd_bus_message_open_container (m, 'a', "(sv)");
  if (ret >= 0)
    ret = sd.sd_bus_message_append (m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", description, "Slice",
                                 "s", plan->slice, "Delegate", "b", 1, "DefaultDependencies", "b", 0, "CollectMode",
                                 "s", "inactive-or-failed", "MemoryAccounting", "b", 1, "CPUAccounting", "b", 1,
                                 "TasksAccounting", "b", 1);
  if (ret >= 0)
    ret = sd.sd_bus_message_append (m, "(sv)", plan->v2 ? "IOAccounting" : "BlockIOAccounting", "b", 1);
  if (ret >= 0)
    ret = sd.sd_bus_message_append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
  if (ret >= 0)
    ret = append_resources (m, plan, r);
  if (ret >= 0)
    ret = sd.sd_bus_message_close_container (m);
  if (ret >= 0)
    ret = sd.sd_bus_message_append (m, "a(sa(sv))", 0);
  if (ret < 0)
    {
      sd.sd_bus_message_unref (m);
      return pith_fail (err, -ret, "build the systemd StartTransientUnit call");
    }
  ret = sd.sd_bus_call (bus, m, 0, &e, &reply);
  sd.sd_bus_message_unref (m);
  sd.sd_bus_message_unref (reply);
  if (ret < 0)
    return bus_error (err, ret, &e, "start the systemd scope");
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
  cleanup_bus sd_bus *bus = NULL;

  (void) ctx, (void) plan, (void) r;
  /* Only a check, before anything is cloned: the scope needs the pid. */
  return bus_open (&bus, err);
}

static int
sd_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  cleanup_bus sd_bus *bus = NULL;

  (void) ctx;
  if (bus_open (&bus, err) < 0 || start_scope (bus, plan, pid, r, err) < 0)
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
  cleanup_bus sd_bus *bus = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL;
  int ret;

  (void) ctx;
  if (bus_open (&bus, err) < 0)
    return -1;
  /* systemd rewrites the files it owns on reload: tell it the new values too. */
  ret = sd.sd_bus_message_new_method_call (bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "SetUnitProperties");
  if (ret >= 0)
    ret = sd.sd_bus_message_append (m, "sb", plan->unit, 1);
  if (ret >= 0)
    ret = sd.sd_bus_message_open_container (m, 'a', "(sv)");
  if (ret >= 0)
    ret = append_resources (m, plan, r);
  if (ret >= 0)
    ret = sd.sd_bus_message_close_container (m);
  if (ret >= 0)
    ret = sd.sd_bus_call (bus, m, 0, &e, NULL);
  sd.sd_bus_message_unref (m);
  if (ret < 0)
    return bus_error (err, ret, &e, "update the systemd scope");
  return cgroup_fs_apply (plan, r, err);
}

static int
sd_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  cleanup_bus sd_bus *bus = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  pith_error ignored = { 0 };

  /* Kill first: stopping the unit would otherwise wait for SIGTERM. */
  if (plan->fs->signal_all (plan, SIGKILL, &ignored) < 0)
    pith_error_release (&ignored);
  if (plan->unit && bus_open (&bus, &ignored) == 0)
    {
      int r = sd.sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "StopUnit", &e, NULL, "ss", plan->unit,
                                  "replace");
      if (r < 0 && !sd.sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        pith_warn (ctx, "stop systemd unit %s: %s", plan->unit, e.message ? e.message : strerror (-r));
      sd.sd_bus_error_free (&e);
    }
  pith_error_release (&ignored);
  return plan->fs->destroy (ctx, plan, err);
}

#else /* !HAVE_SYSTEMD */

static int
no_systemd (pith_error *err)
{
  return pith_fail (err, ENOTSUP, "--systemd-cgroup: this pith was built without systemd support (libsystemd)");
}

static int
sd_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) plan, (void) r;
  return no_systemd (err);
}

static int
sd_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) plan, (void) pid, (void) r;
  return no_systemd (err);
}

static int
sd_update (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  (void) ctx, (void) plan, (void) r;
  return no_systemd (err);
}

static int
sd_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  return plan->fs->destroy (ctx, plan, err);
}

#endif

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
