/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "mounts.h"
#include "paths.h"
#include "utils.h"

#define UNIFIED_KEY "unified"

/* Mount options of a v1 cgroup mount that are not controller names. */
static bool
is_controller_option (const char *opt)
{
  static const char *const not_controllers[]
      = { "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "nosuid", "nodev", "noexec",
          "relatime", "noatime", "nsdelegate", "memory_recursiveprot", "favordynmods", "memory_localevents" };

  if (str_has_prefix (opt, "release_agent="))
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (not_controllers); i++)
    if (strcmp (opt, not_controllers[i]) == 0)
      return false;
  return true;
}

static char *
controllers_of (const char *super_opts)
{
  cleanup_free char *copy = xstrdup (super_opts);
  char *saveptr = NULL, *out = xzalloc (strlen (super_opts) + 1);

  for (char *tok = strtok_r (copy, ",", &saveptr); tok; tok = strtok_r (NULL, ",", &saveptr))
    if (is_controller_option (tok))
      {
        if (out[0])
          strcat (out, ",");
        strcat (out, tok);
      }
  return out;
}

/* The controllers bound to a cgroup2 hierarchy, comma-separated. */
static char *
unified_controllers (const char *mountpoint)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.controllers", mountpoint);
  char *data = NULL;
  pith_error ignored = { 0 };

  if (read_file_at (AT_FDCWD, path, 4096, &data, NULL, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return xstrdup ("");
    }
  data[strcspn (data, "\n")] = '\0';
  for (char *p = data; *p; p++)
    if (*p == ' ')
      *p = ',';
  return data;
}

/* The cgroup hierarchies mounted on the host, one per superblock, from
 * mountinfo: the filesystem type decides, not the mount path. */
static int
read_hierarchies (struct cgroup_plan *plan, pith_error *err)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  bool has_v1 = false, has_v2 = false;
  char **seen_dev = NULL;
  size_t n_seen = 0;

  if (f == NULL)
    return pith_fail (err, errno, "open /proc/self/mountinfo");
  while (getline (&line, &cap, f) > 0)
    {
      char *fields[16] = { 0 }, *saveptr = NULL, *sep;
      size_t nf = 0;
      bool dup = false;

      /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
      sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      *sep = '\0';
      for (char *t = strtok_r (line, " ", &saveptr); t && nf < 6; t = strtok_r (NULL, " ", &saveptr))
        fields[nf++] = t;
      saveptr = NULL;
      char *fstype = strtok_r (sep + 3, " ", &saveptr);
      strtok_r (NULL, " ", &saveptr); /* source */
      char *superopts = strtok_r (NULL, " \n", &saveptr);
      if (nf < 5 || fstype == NULL || superopts == NULL)
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        continue;
      if (strcmp (fields[3], "/") != 0)
        continue;
      for (size_t i = 0; i < n_seen; i++)
        dup |= strcmp (seen_dev[i], fields[2]) == 0;
      if (dup)
        continue;
      seen_dev = xrealloc (seen_dev, (n_seen + 1) * sizeof *seen_dev);
      seen_dev[n_seen++] = xstrdup (fields[2]);

      plan->h = xrealloc (plan->h, (plan->n + 1) * sizeof *plan->h);
      plan->h[plan->n] = (struct cgroup_hierarchy){
        .mountpoint = xstrdup (fields[4]),
        .controllers = v2 ? unified_controllers (fields[4]) : controllers_of (superopts),
        .unified = v2,
      };
      plan->n++;
      has_v1 |= !v2;
      has_v2 |= v2;
    }
  for (size_t i = 0; i < n_seen; i++)
    free (seen_dev[i]);
  free (seen_dev);
  if (plan->n == 0)
    return pith_fail (err, ENOENT, "no cgroup filesystem is mounted");
  plan->v2 = has_v2 && !has_v1;
  return 0;
}

/* The caller's own cgroup in the hierarchy with these controllers, for relative paths. */
static char *
own_cgroup (const struct cgroup_hierarchy *h)
{
  cleanup_file FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return xstrdup ("/");
  while (getline (&line, &cap, f) > 0)
    {
      char *ctrl = strchr (line, ':'), *path;

      if (ctrl == NULL || (path = strchr (ctrl + 1, ':')) == NULL)
        continue;
      *path++ = '\0';
      path[strcspn (path, "\n")] = '\0';
      if (strcmp (ctrl + 1, h->controllers) == 0)
        return xstrdup (path);
    }
  return xstrdup ("/");
}

/* systemd's "slice:prefix:name" spelled as the cgroupfs path systemd would use. */
static char *
systemd_path_to_cgroupfs (const char *spec, const char *id)
{
  cleanup_free char *copy = xstrdup (spec);
  char *prefix = strchr (copy, ':'), *name;
  const char *slice = copy;

  if (prefix == NULL || (name = strchr (prefix + 1, ':')) == NULL)
    return xasprintf ("/system.slice/pith-%s.scope", id);
  *prefix++ = '\0';
  *name++ = '\0';
  if (*slice == '\0')
    slice = "system.slice";
  return xasprintf ("/%s/%s-%s.scope", slice, prefix, *name ? name : id);
}

int
cgroup_plan_make (pith_context *ctx, const oci_linux *linux, const char *id, struct cgroup_plan *plan,
                  pith_error *err)
{
  const char *config_path = linux ? linux->cgroups_path : NULL;

  memset (plan, 0, sizeof *plan);
  if (read_hierarchies (plan, err) < 0)
    return -1;
  if (ctx->systemd_cgroup)
    {
      pith_warn (ctx, "the systemd cgroup driver is not implemented yet: using cgroupfs paths for \"%s\"",
                 config_path ? config_path : id);
      plan->path = systemd_path_to_cgroupfs (config_path ? config_path : "", id);
    }
  else if (config_path == NULL || config_path[0] == '\0')
    plan->path = xasprintf ("/pith/%s", id);
  else
    plan->path = xstrdup (config_path);
  if (strstr (plan->path, "..") != NULL)
    return pith_fail (err, 0, "config.json: /linux/cgroupsPath: \"%s\" must not contain \"..\"", plan->path);

  for (size_t i = 0; i < plan->n; i++)
    {
      struct cgroup_hierarchy *h = &plan->h[i];

      if (plan->path[0] == '/')
        h->dir = xasprintf ("%s%s", h->mountpoint, plan->path);
      else
        {
          cleanup_free char *base = own_cgroup (h);
          h->dir = xasprintf ("%s%s%s/%s", h->mountpoint, base[0] == '/' ? "" : "/",
                              strcmp (base, "/") == 0 ? "" : base, plan->path);
        }
    }
  return 0;
}

void
cgroup_plan_release (struct cgroup_plan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      free (plan->h[i].mountpoint);
      free (plan->h[i].controllers);
      free (plan->h[i].dir);
    }
  free (plan->h);
  free (plan->path);
  memset (plan, 0, sizeof *plan);
}

void
cgroup_plan_save (const struct cgroup_plan *plan, oci_map_string **paths)
{
  for (size_t i = 0; i < plan->n; i++)
    oci_map_string_set (paths, plan->h[i].unified ? UNIFIED_KEY : plan->h[i].controllers, plan->h[i].dir);
}

int
cgroup_write (const char *dir, const char *file, const char *value, pith_error *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);

  return write_file_at (AT_FDCWD, path, value, strlen (value), err);
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

bool
cgroup_hierarchy_has (const struct cgroup_hierarchy *h, const char *name)
{
  size_t l = strlen (name);

  for (const char *p = h->controllers; (p = strstr (p, name)) != NULL; p += l)
    if ((p == h->controllers || p[-1] == ',') && (p[l] == '\0' || p[l] == ','))
      return true;
  return false;
}

/* A new v1 cpuset cgroup starts with no cpus and mems: tasks cannot join it
 * until they are copied from the parent. */
static int
cpuset_inherit (const char *dir, pith_error *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);
  char *slash = strrchr (parent, '/');

  if (slash == NULL)
    return 0;
  *slash = '\0';
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *mine = NULL, *theirs = NULL;
      cleanup_free char *mine_path = xasprintf ("%s/%s", dir, files[i]);
      cleanup_free char *parent_path = xasprintf ("%s/%s", parent, files[i]);

      if (read_file_at (AT_FDCWD, mine_path, 4096, &mine, NULL, err) < 0)
        return -1;
      if (mine[strspn (mine, " \n")] != '\0')
        continue;
      if (read_file_at (AT_FDCWD, parent_path, 4096, &theirs, NULL, err) < 0)
        return -1;
      theirs[strcspn (theirs, "\n")] = '\0';
      if (write_file_at (AT_FDCWD, mine_path, theirs, strlen (theirs), err) < 0)
        return -1;
    }
  return 0;
}

/* mkdir -p below the mount point, fixing up each new cpuset level. */
static int
make_cgroup_dir (const struct cgroup_hierarchy *h, pith_error *err)
{
  size_t base = strlen (h->mountpoint);
  cleanup_free char *path = xstrdup (h->dir);
  bool cpuset = !h->unified && cgroup_hierarchy_has (h, "cpuset");

  for (char *p = path + base + 1;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      if (mkdir (path, 0755) < 0)
        {
          if (errno != EEXIST)
            return pith_fail (err, errno, "create cgroup `%s`", path);
        }
      if (cpuset && cpuset_inherit (path, err) < 0)
        return -1;
      if (saved == '\0')
        break;
      *p = saved;
    }
  return 0;
}

int
cgroup_enter (pith_context *ctx, const struct cgroup_plan *plan, pid_t pid, const oci_resources *resources,
              pith_error *err)
{
  char pid_str[16];

  snprintf (pid_str, sizeof pid_str, "%d", (int) pid);
  for (size_t i = 0; i < plan->n; i++)
    {
      const struct cgroup_hierarchy *h = &plan->h[i];

      if (make_cgroup_dir (h, err) < 0)
        return -1;
      if (h->unified && h->controllers[0] && cgroup_v2_enable_controllers (h, err) < 0)
        return -1;
      if (resources)
        {
          int r = h->unified ? cgroup_v2_apply (h, resources, err) : cgroup_v1_apply (h, resources, err);
          if (r < 0)
            return -1;
        }
      if (cgroup_write (h->dir, "cgroup.procs", pid_str, err) < 0)
        return pith_wrap (err, "join cgroup");
    }
  if (plan->v2 && resources && resources->devices_len)
    pith_warn (ctx, "linux.resources.devices: device rules are not enforced on cgroup v2 yet");
  return 0;
}

/* Reads the pids listed in DIR/cgroup.procs. */
static int
read_procs (const char *dir, pid_t **pids, size_t *n, pith_error *err)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *data = NULL;
  char *saveptr = NULL;

  *pids = NULL;
  *n = 0;
  if (read_file_at (AT_FDCWD, path, 16 << 20, &data, NULL, err) < 0)
    return -1;
  for (char *t = strtok_r (data, "\n", &saveptr); t; t = strtok_r (NULL, "\n", &saveptr))
    {
      *pids = xrealloc (*pids, (*n + 1) * sizeof **pids);
      (*pids)[(*n)++] = atoi (t);
    }
  return 0;
}

/* The hierarchy whose cgroup.procs lists the container's processes best:
 * cgroup2, else pids, else any. */
static const char *
procs_dir (const oci_map_string *paths)
{
  const char *best = NULL;

  if (paths == NULL || paths->len == 0)
    return NULL;
  for (size_t i = 0; i < paths->len; i++)
    {
      if (strcmp (paths->keys[i], UNIFIED_KEY) == 0 && paths->len == 1)
        return paths->values[i];
      if (strcmp (paths->keys[i], "pids") == 0 || strcmp (paths->keys[i], "freezer") == 0)
        best = paths->values[i];
    }
  return best ? best : paths->values[0];
}

int
cgroup_signal_all (const oci_map_string *paths, int signo, pith_error *err)
{
  const char *dir = procs_dir (paths);
  cleanup_free pid_t *pids = NULL;
  size_t n;

  if (dir == NULL)
    return 0;
  if (read_procs (dir, &pids, &n, err) < 0)
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

static void
sleep_ms (int ms)
{
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep (&ts, NULL);
}

int
cgroup_destroy (const oci_map_string *paths, pith_error *err)
{
  if (paths == NULL)
    return 0;
  for (size_t i = 0; i < paths->len; i++)
    {
      const char *dir = paths->values[i];
      int attempts = 0;

      /* Processes that outlive the init (no pid namespace) keep the cgroup
       * busy: kill them, and give the kernel a moment to release it. */
      while (rmdir (dir) < 0)
        {
          if (errno == ENOENT)
            break;
          if (errno != EBUSY || ++attempts > 200)
            return pith_fail (err, errno, "remove cgroup `%s`", dir);
          if (cgroup_signal_all (paths, SIGKILL, err) < 0)
            return -1;
          sleep_ms (5);
        }
      /* The default path's parent, /pith, goes too once it is empty; parents
       * named by the config belong to whoever made them. */
      cleanup_free char *parent = xstrdup (dir);
      char *slash = strrchr (parent, '/');
      if (slash)
        {
          *slash = '\0';
          slash = strrchr (parent, '/');
          if (slash && strcmp (slash, "/pith") == 0)
            rmdir (parent);
        }
    }
  return 0;
}

bool
cgroup_is_frozen (const oci_map_string *paths)
{
  if (paths == NULL)
    return false;
  for (size_t i = 0; i < paths->len; i++)
    {
      cleanup_free char *path = NULL, *data = NULL;
      pith_error ignored = { 0 };
      bool v2 = strcmp (paths->keys[i], UNIFIED_KEY) == 0;

      if (!v2 && strcmp (paths->keys[i], "freezer") != 0)
        continue;
      path = xasprintf ("%s/%s", paths->values[i], v2 ? "cgroup.freeze" : "freezer.state");
      if (read_file_at (AT_FDCWD, path, 4096, &data, NULL, &ignored) < 0)
        {
          pith_error_release (&ignored);
          continue;
        }
      if (v2 ? data[0] == '1' : str_has_prefix (data, "FROZEN"))
        return true;
    }
  return false;
}

static int
mount_one_hierarchy (const struct cgroup_hierarchy *h, int parent_fd, const char *name, unsigned long flags,
                     bool cgroupns, pith_error *err)
{
  cleanup_close int target = -1, src = -1;
  struct fd_path p;

  if (mkdirat (parent_fd, name, 0755) < 0 && errno != EEXIST)
    return pith_fail (err, errno, "mkdir `%s`", name);
  target = openat (parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return pith_fail (err, errno, "open `%s`", name);
  if (cgroupns)
    {
      /* In its own cgroup namespace the container sees its cgroup as the root. */
      if (mount (h->unified ? "cgroup2" : "cgroup", fd_path (&p, target), h->unified ? "cgroup2" : "cgroup",
                 flags, h->unified ? NULL : h->controllers)
          < 0)
        return pith_fail (err, errno, "mount cgroup `%s`", name);
      return 0;
    }
  src = open (h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return pith_fail (err, errno, "open `%s`", h->dir);
  return bind_fd (src, target, false, (flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0, err);
}

int
cgroup_mount (const struct cgroup_plan *plan, int rootfd, const char *destination, unsigned long flags,
              bool cgroupns, pith_error *err)
{
  cleanup_close int target = -1, tmpfs = -1;
  struct fd_path p;
  unsigned long fs_flags = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_RELATIME);

  target = path_create_in_root (rootfd, destination, PATH_DIR, err);
  if (target < 0)
    return -1;
  if (plan->v2)
    {
      cleanup_free char *name = NULL;
      struct cgroup_hierarchy *h = &plan->h[0];
      char *base = strrchr (destination, '/');
      cleanup_close int parent = -1;

      /* mount_one_hierarchy works below a parent: use the destination's. */
      if (base == NULL || base[1] == '\0')
        return pith_fail (err, EINVAL, "cgroup mount destination `%s`", destination);
      name = xstrdup (base + 1);
      parent = openat (target, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (parent < 0)
        return pith_fail (err, errno, "open parent of `%s`", destination);
      return mount_one_hierarchy (h, parent, name, fs_flags, cgroupns, err);
    }

  /* v1 and hybrid: a tmpfs holding one directory per hierarchy, like the host. */
  if (mount ("tmpfs", fd_path (&p, target), "tmpfs", fs_flags & ~MS_RDONLY, "mode=755") < 0)
    return pith_fail (err, errno, "mount tmpfs for cgroups");
  tmpfs = path_open_in_root (rootfd, destination, O_PATH | O_DIRECTORY, err);
  if (tmpfs < 0)
    return -1;
  for (size_t i = 0; i < plan->n; i++)
    {
      const struct cgroup_hierarchy *h = &plan->h[i];
      const char *name = strrchr (h->mountpoint, '/');

      name = name ? name + 1 : h->mountpoint;
      if (mount_one_hierarchy (h, tmpfs, name, fs_flags, cgroupns, err) < 0)
        return -1;
      /* Co-mounted controllers ("cpu,cpuacct") are reachable by each name. */
      if (strchr (name, ','))
        {
          cleanup_free char *copy = xstrdup (name);
          char *saveptr = NULL;
          for (char *c = strtok_r (copy, ",", &saveptr); c; c = strtok_r (NULL, ",", &saveptr))
            if (symlinkat (name, tmpfs, c) < 0 && errno != EEXIST)
              return pith_fail (err, errno, "symlink cgroup `%s`", c);
        }
    }
  if (fs_flags & MS_RDONLY)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (tmpfs, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return pith_fail (err, errno, "make the cgroup tmpfs read-only");
    }
  return 0;
}

static bool
any_hierarchy_has (const struct cgroup_plan *plan, bool unified_only, const char *controller)
{
  for (size_t i = 0; i < plan->n; i++)
    if ((!unified_only || plan->h[i].unified) && cgroup_hierarchy_has (&plan->h[i], controller))
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
  return pith_fail (err, ENOTSUP, "config.json: /linux/resources/%s: this host has no cgroup controller for it (%s)",
                    what, v1_name ? v1_name : v2_name);
}

int
cgroup_check_resources (const struct cgroup_plan *plan, const oci_resources *r, pith_error *err)
{
  if (r == NULL)
    return 0;
  if (r->memory && require (plan, "memory", "memory", "memory", err) < 0)
    return -1;
  if (r->cpu && (r->cpu->shares_present || r->cpu->quota_present || r->cpu->period_present || r->cpu->burst_present
                 || r->cpu->realtime_runtime_present || r->cpu->realtime_period_present || r->cpu->idle_present)
      && require (plan, "cpu", "cpu", "cpu", err) < 0)
    return -1;
  if (r->cpu && ((r->cpu->cpus && r->cpu->cpus[0]) || (r->cpu->mems && r->cpu->mems[0]))
      && require (plan, "cpu/cpus", "cpuset", "cpuset", err) < 0)
    return -1;
  if (r->pids && require (plan, "pids", "pids", "pids", err) < 0)
    return -1;
  if (r->block_io && require (plan, "blockIO", "blkio", "io", err) < 0)
    return -1;
  if (r->block_io && (r->block_io->weight_device_len || r->block_io->throttle_read_bps_device_len
                      || r->block_io->throttle_write_bps_device_len || r->block_io->throttle_read_iops_device_len
                      || r->block_io->throttle_write_iops_device_len))
    return pith_fail (err, ENOTSUP, "config.json: /linux/resources/blockIO: per-device rules are not supported yet");
  if (r->hugepage_limits_len && require (plan, "hugepageLimits", "hugetlb", "hugetlb", err) < 0)
    return -1;
  if (r->network && require (plan, "network", "net_cls", NULL, err) < 0)
    return -1;
  if (r->rdma && r->rdma->len)
    return pith_fail (err, ENOTSUP, "config.json: /linux/resources/rdma: not supported yet");
  if (r->memory && (r->memory->kernel_present || r->memory->kernel_tcp_present) && plan->v2)
    return pith_fail (err, ENOTSUP, "config.json: /linux/resources/memory/kernel: cgroup v2 has no kernel memory limit");
  if (r->unified && r->unified->len)
    for (size_t i = 0; i < r->unified->len; i++)
      {
        const char *key = r->unified->keys[i];
        cleanup_free char *controller = xstrndup (key, strcspn (key, "."));

        if (strchr (key, '/') || key[0] == '.' || strchr (key, '.') == NULL)
          return pith_fail (err, EINVAL, "config.json: /linux/resources/unified/%s: not a cgroup file name", key);
        if (strcmp (controller, "cgroup") != 0 && !any_hierarchy_has (plan, true, controller))
          return pith_fail (err, ENOTSUP,
                            "config.json: /linux/resources/unified/%s: the %s controller is not on a cgroup v2 "
                            "hierarchy of this host",
                            key, controller);
      }
  return 0;
}
