/* What the cgroupfs drivers share: reading and writing knobs, creating the
 * directories, moving processes in, signalling, removing.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "utils.h"

int
cgroup_open_knob (const char *dir, const char *file, pith_error *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    {
      struct stat st;
      if (errno == ENOENT && stat (dir, &st) == 0)
        return pith_fail (err, ENOTSUP, "this host's cgroup has no `%s` (the controller or kernel feature is missing)",
                          file);
      return pith_fail (err, errno, "open `%s`", path);
    }
  return fd;
}

int
cgroup_write_fd (int fd, const char *dir, const char *file, const char *value, pith_error *err)
{
  /* Kernel knobs take the value in one write(). */
  ssize_t w = TEMP_FAILURE_RETRY (write (fd, value, strlen (value)));

  if (w < 0)
    return pith_fail (err, errno, "write \"%s\" to `%s/%s`", value, dir, file);
  if ((size_t) w != strlen (value))
    return pith_fail (err, EIO, "short write to `%s/%s`", dir, file);
  return 0;
}

int
cgroup_write (const char *dir, const char *file, const char *value, pith_error *err)
{
  cleanup_close int fd = cgroup_open_knob (dir, file, err);

  if (fd < 0)
    return -1;
  return cgroup_write_fd (fd, dir, file, value, err);
}

int
cgroup_write_limit (const char *dir, const char *file, int64_t value, pith_error *err)
{
  return value < 0 ? cgroup_write (dir, file, "max", err) : cgroup_write_i64 (dir, file, value, err);
}

int
cgroup_write_u64 (const char *dir, const char *file, uint64_t value, pith_error *err)
{
  char buf[32];

  snprintf (buf, sizeof buf, "%" PRIu64, value);
  return cgroup_write (dir, file, buf, err);
}

int
cgroup_write_i64 (const char *dir, const char *file, int64_t value, pith_error *err)
{
  char buf[32];

  snprintf (buf, sizeof buf, "%" PRId64, value);
  return cgroup_write (dir, file, buf, err);
}

int
cgroup_read (const char *dir, const char *file, char **out, pith_error *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  size_t len = 0;

  if (read_file_at (AT_FDCWD, path, 16 << 20, out, &len, err) < 0)
    return -1;
  while (len > 0 && (*out)[len - 1] == '\n')
    (*out)[--len] = '\0';
  return 0;
}

bool
cgroup_has_file (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);

  return access (path, F_OK) == 0;
}

int
cgroup_resource_error (const struct cgroup_plan *plan, pith_error *err, const char *what, ...)
{
  cleanup_free char *name = NULL;
  va_list ap;

  va_start (ap, what);
  name = xvasprintf (what, ap);
  va_end (ap);
  return pith_wrap (err, "%s/%s", plan->source, name);
}

void
cgroup_sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

int
cgroup_hugetlb_apply (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, bool v2,
                      pith_error *err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    {
      const oci_hugepage_limit *l = r->hugepage_limits[i];
      const char *suffix = v2 ? "max" : "limit_in_bytes";
      cleanup_free char *file = xasprintf ("hugetlb.%s.%s", l->page_size, suffix);
      cleanup_free char *rsvd = xasprintf ("hugetlb.%s.rsvd.%s", l->page_size, suffix);

      /* The reservation limit (when the kernel has it) is what stops a
       * mmap that could not be backed later; the fault limit stays too. */
      if (cgroup_write_u64 (dir, file, l->limit, err) < 0
          || (cgroup_has_file (dir, rsvd) && cgroup_write_u64 (dir, rsvd, l->limit, err) < 0))
        return cgroup_resource_error (plan, err, "hugepageLimits/%zu (%s)", i, l->page_size);
    }
  return 0;
}

int
cgroup_rdma_apply (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, pith_error *err)
{
  for (size_t i = 0; r->rdma && i < r->rdma->len; i++)
    {
      const oci_rdma *d = r->rdma->values[i];
      char handles[24] = "max", objects[24] = "max";
      cleanup_free char *line = NULL;

      if (d->hca_handles_present)
        snprintf (handles, sizeof handles, "%" PRIu32, d->hca_handles);
      if (d->hca_objects_present)
        snprintf (objects, sizeof objects, "%" PRIu32, d->hca_objects);
      line = xasprintf ("%s hca_handle=%s hca_object=%s", r->rdma->keys[i], handles, objects);
      if (cgroup_write (dir, "rdma.max", line, err) < 0)
        return cgroup_resource_error (plan, err, "rdma/%s", r->rdma->keys[i]);
    }
  return 0;
}

/* A new v1 cpuset cgroup starts with no cpus and mems: tasks cannot join it
 * until they are copied from the parent.  VALUES carries the parent's two
 * values down the path, so that each is read once: at the top, or where a
 * level existed already. */
static int
cpuset_inherit (const char *dir, bool created, char *values[2], pith_error *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      if (!created)
        {
          cleanup_free char *mine = NULL;

          if (cgroup_read (dir, files[i], &mine, err) < 0)
            return -1;
          if (mine[strspn (mine, " \n")] != '\0')
            {
              free (values[i]);
              values[i] = steal_pointer (&mine);
              continue;
            }
        }
      if (values[i] == NULL)
        {
          cleanup_free char *parent = xstrdup (dir);
          char *slash = strrchr (parent, '/');

          if (slash == NULL)
            return 0;
          *slash = '\0';
          if (cgroup_read (parent, files[i], &values[i], err) < 0)
            return -1;
        }
      if (cgroup_write (dir, files[i], values[i], err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_fs_mkdirs (const struct cgroup_plan *plan, pith_error *err)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      const struct cgroup_hierarchy *h = &plan->h[i];
      size_t base = h->mountpoint ? strlen (h->mountpoint) : 0;
      cleanup_free char *path = xstrdup (h->dir);
      bool cpuset = !h->unified && cgroup_hierarchy_has (h, "cpuset");
      char *cpuset_values[2] = { NULL, NULL };
      int ret = 0;

      for (char *p = path + base + 1; ret == 0; p++)
        {
          if (*p != '/' && *p != '\0')
            continue;
          char saved = *p;
          bool created;
          *p = '\0';
          created = mkdir (path, 0755) == 0;
          if (!created && errno != EEXIST)
            ret = pith_fail (err, errno, "create cgroup `%s`", path);
          else if (cpuset)
            ret = cpuset_inherit (path, created, cpuset_values, err);
          if (saved == '\0')
            break;
          *p = saved;
        }
      free (cpuset_values[0]);
      free (cpuset_values[1]);
      if (ret < 0)
        return -1;
    }
  return 0;
}

int
cgroup_fs_join (const struct cgroup_plan *plan, pid_t pid, pith_error *err)
{
  char pid_str[16];

  snprintf (pid_str, sizeof pid_str, "%d", (int) pid);
  for (size_t i = 0; i < plan->n; i++)
    if (cgroup_write (plan->h[i].dir, "cgroup.procs", pid_str, err) < 0)
      return pith_wrap (err, "join cgroup");
  return 0;
}

int
cgroup_fs_apply (const struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  if (r == NULL)
    return 0;
  for (size_t i = 0; i < plan->n; i++)
    {
      const struct cgroup_hierarchy *h = &plan->h[i];
      int ret = h->unified ? cgroup_v2_apply (plan, h, r, err) : cgroup_v1_apply (plan, h, r, err);
      if (ret < 0)
        return -1;
    }
  return 0;
}

int
cgroup_read_procs (const char *dir, pid_t **pids, size_t *n, pith_error *err)
{
  cleanup_free char *data = NULL;
  char *saveptr = NULL;

  *pids = NULL;
  *n = 0;
  if (cgroup_read (dir, "cgroup.procs", &data, err) < 0)
    return -1;
  for (char *t = strtok_r (data, "\n", &saveptr); t; t = strtok_r (NULL, "\n", &saveptr))
    {
      *pids = xrealloc (*pids, (*n + 1) * sizeof **pids);
      (*pids)[(*n)++] = atoi (t);
    }
  return 0;
}

const char *
cgroup_procs_dir (const struct cgroup_plan *plan)
{
  const char *best = NULL;

  if (plan->n == 0)
    return NULL;
  if (plan->v2)
    return plan->h[0].dir;
  for (size_t i = 0; i < plan->n; i++)
    if (!plan->h[i].unified && (cgroup_hierarchy_has (&plan->h[i], "pids")
                                || cgroup_hierarchy_has (&plan->h[i], "freezer")))
      best = plan->h[i].dir;
  return best ? best : plan->h[0].dir;
}

/* Every pid in DIR and the cgroups below it. */
static int
collect_procs (const char *dir, pid_t **pids, size_t *n, pith_error *err)
{
  cleanup_free pid_t *mine = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  size_t k;

  if (cgroup_read_procs (dir, &mine, &k, err) < 0)
    return -1;
  *pids = xrealloc (*pids, (*n + k + 1) * sizeof **pids);
  memcpy (*pids + *n, mine, k * sizeof *mine);
  *n += k;
  d = opendir (dir);
  while (d && (de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
        if (collect_procs (sub, pids, n, err) < 0)
          return -1;
      }
  return 0;
}

int
cgroup_fs_pids (const struct cgroup_plan *plan, pid_t **pids, size_t *n, pith_error *err)
{
  const char *dir = cgroup_procs_dir (plan);

  *pids = NULL;
  *n = 0;
  if (dir == NULL)
    return 0;
  return collect_procs (dir, pids, n, err);
}

int
cgroup_fs_signal_procs (const struct cgroup_plan *plan, int signo, pith_error *err)
{
  const char *dir = cgroup_procs_dir (plan);
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (dir == NULL)
    return 0;
  if (collect_procs (dir, &pids, &n, err) < 0)
    {
      if (err->errno_value == ENOENT)
        {
          pith_error_release (err);
          return 0;
        }
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], signo) < 0 && errno != ESRCH)
      return pith_fail (err, errno, "kill %d", (int) pids[i]);
  return 0;
}

int
cgroup_fs_signal_frozen (const struct cgroup_plan *plan, int signo, pith_error *err)
{
  oci_map_string *paths = NULL;
  bool was_frozen, frozen = false;
  int ret;

  cgroup_plan_save (plan, &paths);
  was_frozen = cgroup_is_frozen (paths);
  oci_map_string_free (paths);
  if (!was_frozen)
    {
      pith_error ignored = { 0 };
      /* Without a freezer the signals race with forks; still send them. */
      frozen = plan->fs->freeze (plan, true, &ignored) == 0;
      pith_error_release (&ignored);
    }
  ret = cgroup_fs_signal_procs (plan, signo, err);
  /* A frozen v1 task acts on SIGKILL only once thawed. */
  if (frozen || (was_frozen && signo == SIGKILL))
    {
      pith_error thaw_err = { 0 };
      if (plan->fs->freeze (plan, false, &thaw_err) < 0 && ret == 0)
        {
          pith_error_move (err, &thaw_err);
          ret = pith_wrap (err, "thaw after signalling");
        }
      pith_error_release (&thaw_err);
    }
  return ret;
}

/* rmdir DIR after its sub-cgroups (a container may make its own). */
static int
remove_cgroup_tree (const char *dir)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  /* Most often there is nothing below: no need to list the directory. */
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : -1;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
        remove_cgroup_tree (sub);
      }
  if (rmdir (dir) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

bool
cgroup_fs_remove_if_empty (const struct cgroup_plan *plan)
{
  bool all = true;

  for (size_t i = 0; i < plan->n; i++)
    if (rmdir (plan->h[i].dir) < 0 && errno != ENOENT)
      all = false;
  return all;
}

int
cgroup_fs_remove (const struct cgroup_plan *plan, pith_error *err)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      const char *dir = plan->h[i].dir;
      int attempts = 0;

      /* Processes that outlive the init (no pid namespace) keep the cgroup
       * busy: kill them, and give the kernel a moment to release it. */
      while (remove_cgroup_tree (dir) < 0)
        {
          if (errno != EBUSY || ++attempts > 400)
            return pith_fail (err, errno, "remove cgroup `%s`", dir);
          if (cgroup_fs_signal_procs (plan, SIGKILL, err) < 0)
            return -1;
          cgroup_sleep_ms (5);
        }
    }
  /* Parents stay: those named by the config belong to whoever made them,
   * and the default one, /pith, like runc's and the engines' own, is kept
   * for the next container (making and removing it each time doubled the
   * cgroup work of every create and delete). */
  return 0;
}
