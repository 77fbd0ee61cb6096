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

/* The entry's nosuid, nodev, noexec and ro, for a bind mount, which does
 * not take them from mount(2) flags. */
static unsigned
bind_attrs (unsigned long flags)
{
  return ((flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0) | ((flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0)
         | ((flags & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) | ((flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
}

/* Shows hierarchy H on TARGET (an O_PATH fd of a directory). */
static int
mount_hierarchy_onto (const struct cgroup_hierarchy *h, int target, unsigned long flags, bool cgroupns,
                      pith_error *err)
{
  cleanup_close int src = -1;

  /* In its own cgroup namespace the container sees its cgroup as the root. */
  if (cgroupns)
    return mount_fs_at (target, h->unified ? "cgroup2" : "cgroup", h->unified ? "cgroup2" : "cgroup", flags,
                        h->unified ? NULL : h->controllers, err);
  src = open (h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return pith_fail (err, errno, "open `%s`", h->dir);
  return bind_fd (src, target, false, bind_attrs (flags), err);
}

static int
mount_hierarchy_below (const struct cgroup_hierarchy *h, int parent_fd, const char *name, unsigned long flags,
                       bool cgroupns, pith_error *err)
{
  cleanup_close int target = -1;

  if (mkdirat (parent_fd, name, 0755) < 0 && errno != EEXIST)
    return pith_fail (err, errno, "mkdir `%s`", name);
  target = openat (parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return pith_fail (err, errno, "open `%s`", name);
  return mount_hierarchy_onto (h, target, flags, cgroupns, err);
}

int
cgroup_mount (const struct cgroup_plan *plan, int rootfd, const char *destination, unsigned long flags,
              bool cgroupns, pith_error *err)
{
  cleanup_close int target = -1, tmpfs = -1;
  unsigned long fs_flags = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_RELATIME);

  target = path_create_in_root (rootfd, destination, PATH_DIR, err);
  if (target < 0)
    return -1;
  if (plan->v2)
    return mount_hierarchy_onto (&plan->h[0], target, fs_flags, cgroupns, err);

  /* v1 and hybrid: a tmpfs holding one directory per hierarchy, like the
   * host.  Without a cgroup (--cgroup-manager disabled) the plan has no
   * hierarchy, and the tmpfs stays empty: there is nothing of the
   * container's own to show.  The new mount's own fd is where the
   * hierarchies go: nothing is looked up again by path. */
  tmpfs = mount_fs_onto (target, "tmpfs", "tmpfs", fs_flags & ~MS_RDONLY, "mode=755", err);
  if (tmpfs < 0)
    return -1;
  for (size_t i = 0; i < plan->n; i++)
    {
      const struct cgroup_hierarchy *h = &plan->h[i];
      const char *name = strrchr (h->mountpoint, '/');

      name = name ? name + 1 : h->mountpoint;
      if (mount_hierarchy_below (h, tmpfs, name, fs_flags, cgroupns, err) < 0)
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
