/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices.h"
#include "mounts.h"
#include "paths.h"
#include "utils.h"

struct device_node
{
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct device_node default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },    { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },    { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 }, { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

static const struct
{
  const char *target;
  const char *name;
} default_links[] = {
  { "/proc/self/fd", "fd" },
  { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" },
};

static int
device_type (const char *type, mode_t *out)
{
  if (strcmp (type, "c") == 0 || strcmp (type, "u") == 0)
    *out = S_IFCHR;
  else if (strcmp (type, "b") == 0)
    *out = S_IFBLK;
  else if (strcmp (type, "p") == 0)
    *out = S_IFIFO;
  else
    return -1;
  return 0;
}

int
devices_validate (const oci_linux *linux, pith_error *err)
{
  for (size_t i = 0; linux && i < linux->devices_len; i++)
    {
      const oci_device *d = linux->devices[i];
      mode_t t;

      if (device_type (d->type, &t) < 0)
        return pith_fail (err, 0, "config.json: /linux/devices/%zu/type: \"%s\" is not one of c, b, u, p", i,
                          d->type);
      if (t != S_IFIFO && (!d->major_present || !d->minor_present))
        return pith_fail (err, 0, "config.json: /linux/devices/%zu: major and minor are required for \"%s\"", i,
                          d->type);
      if (d->path[0] != '/' || strstr (d->path, ".."))
        return pith_fail (err, 0, "config.json: /linux/devices/%zu/path: \"%s\" must be an absolute path", i,
                          d->path);
    }
  return 0;
}

/* Splits PATH into its directory (opened, created if needed) and base name. */
static int
open_parent (int rootfd, const char *path, const char **base, pith_error *err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');

  *base = strrchr (path, '/') + 1;
  *slash = '\0';
  return path_create_in_root (rootfd, dir[0] ? dir : "/", PATH_DIR, err);
}

static int
create_node (int rootfd, const struct device_node *d, bool in_userns, pith_error *err)
{
  const char *base;
  cleanup_close int parent = open_parent (rootfd, d->path, &base, err);
  struct stat st;

  if (parent < 0)
    return -1;
  if (fstatat (parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      /* Already the right node (a rootfs that ships /dev): keep it. */
      if ((st.st_mode & S_IFMT) == d->type && st.st_rdev == makedev (d->major, d->minor))
        return 0;
      if (unlinkat (parent, base, 0) < 0)
        return pith_fail (err, errno, "replace `%s`", d->path);
    }
  if (in_userns)
    {
      cleanup_close int host = -1, target = -1;
      int fd = openat (parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);

      if (fd < 0)
        return pith_fail (err, errno, "create `%s`", d->path);
      close (fd);
      target = openat (parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      host = open (d->path, O_PATH | O_CLOEXEC);
      if (target < 0 || host < 0)
        return pith_fail (err, errno, "open `%s` to bind the host's device", d->path);
      return bind_fd (host, target, false, 0, err);
    }
  if (mknodat (parent, base, d->type | (d->mode & 07777), makedev (d->major, d->minor)) < 0)
    return pith_fail (err, errno, "mknod `%s`", d->path);
  /* mknod is subject to the umask: set the mode exactly. */
  if (fchmodat (parent, base, d->mode & 07777, 0) < 0)
    return pith_fail (err, errno, "chmod `%s`", d->path);
  if (fchownat (parent, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return pith_fail (err, errno, "chown `%s`", d->path);
  return 0;
}

static int
make_links (int rootfd, pith_error *err)
{
  cleanup_close int dev = path_create_in_root (rootfd, "/dev", PATH_DIR, err);
  cleanup_close int ptmx = -1;
  pith_error ignored = { 0 };

  if (dev < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (default_links); i++)
    if (symlinkat (default_links[i].target, dev, default_links[i].name) < 0 && errno != EEXIST)
      return pith_fail (err, errno, "symlink /dev/%s", default_links[i].name);
  /* With a devpts of its own, /dev/ptmx must be that instance's
   * multiplexer.  Looked up in the rootfs: /dev/pts may be a symlink. */
  ptmx = path_open_in_root (rootfd, "/dev/pts/ptmx", O_PATH | O_NOFOLLOW, &ignored);
  pith_error_release (&ignored);
  if (ptmx >= 0)
    {
      if (unlinkat (dev, "ptmx", 0) < 0 && errno != ENOENT)
        return pith_fail (err, errno, "replace /dev/ptmx");
      if (symlinkat ("pts/ptmx", dev, "ptmx") < 0)
        return pith_fail (err, errno, "symlink /dev/ptmx");
    }
  return 0;
}

int
devices_setup (int rootfd, const oci_linux *linux, bool in_userns, pith_error *err)
{
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    if (create_node (rootfd, &default_devices[i], in_userns, err) < 0)
      return -1;
  for (size_t i = 0; linux && i < linux->devices_len; i++)
    {
      const oci_device *d = linux->devices[i];
      struct device_node node = {
        .path = d->path,
        .major = d->major_present ? d->major : 0,
        .minor = d->minor_present ? d->minor : 0,
        .mode = d->file_mode_present ? d->file_mode : 0666,
        .uid = d->uid_present ? d->uid : 0,
        .gid = d->gid_present ? d->gid : 0,
      };

      device_type (d->type, &node.type);
      if (create_node (rootfd, &node, in_userns, err) < 0)
        return pith_wrap (err, "config.json: /linux/devices/%zu", i);
    }
  return make_links (rootfd, err);
}
