/* The container's view of its cgroups: the `cgroup` mount of config.json.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "mounts.h"
#include "paths.h"
#include "utils.h"

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
