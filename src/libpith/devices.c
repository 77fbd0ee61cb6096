/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* The directory a node goes in, opened once for all the nodes in it (most
 * are in /dev): what devices_setup carries from one node to the next. */
struct node_dir
{
  char *path;
  int fd;
  uid_t euid; /* pith's, which mknod gives a new node */
  gid_t egid;
  bool other_group; /* the directory's group is not egid: a new node's group is not sure */
};

static void
node_dir_release (struct node_dir *dir)
{
  free (dir->path);
  if (dir->fd >= 0)
    close (dir->fd);
}

/* Points DIR at the directory of PATH (created if needed); BASE gets the
 * node's name in it. */
static int
node_dir_enter (struct node_dir *dir, int rootfd, const char *path, const char **base, pith_error *err)
{
  cleanup_free char *dirname = xstrndup (path, (size_t) (strrchr (path, '/') - path));
  struct stat st;

  *base = strrchr (path, '/') + 1;
  if (dir->fd >= 0 && strcmp (dir->path, dirname) == 0)
    return 0;
  node_dir_release (dir);
  dir->path = NULL;
  dir->fd = path_create_in_root (rootfd, dirname[0] ? dirname : "/", PATH_DIR, err);
  if (dir->fd < 0)
    return -1;
  if (fstat (dir->fd, &st) < 0)
    return pith_fail (err, errno, "stat `%s`", dirname[0] ? dirname : "/");
  /* A set-group-ID directory, or a grpid mount, gives new files the
   * directory's group. */
  dir->euid = geteuid ();
  dir->egid = getegid ();
  dir->other_group = st.st_gid != dir->egid;
  dir->path = steal_pointer (&dirname);
  return 0;
}

/* Whether BASE in DIR is already the node D (a rootfs that ships /dev):
 * 1 to keep it; 0 when nothing is there (anything else is removed). */
static int
node_already_there (const struct node_dir *dir, const char *base, const struct device_node *d, pith_error *err)
{
  struct stat st;

  if (fstatat (dir->fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  if ((st.st_mode & S_IFMT) == d->type && st.st_rdev == makedev (d->major, d->minor))
    return 1;
  if (unlinkat (dir->fd, base, 0) < 0)
    return pith_fail (err, errno, "replace `%s`", d->path);
  return 0;
}

/* In a user namespace mknod is refused: the host's node is bound instead. */
static int
bind_host_node (const struct node_dir *dir, const char *base, const struct device_node *d, pith_error *err)
{
  cleanup_close int host = -1, target = -1;
  int fd = openat (dir->fd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);

  if (fd < 0)
    return pith_fail (err, errno, "create `%s`", d->path);
  close (fd);
  target = openat (dir->fd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  host = open (d->path, O_PATH | O_CLOEXEC);
  if (target < 0 || host < 0)
    return pith_fail (err, errno, "open `%s` to bind the host's device", d->path);
  return bind_fd (host, target, false, 0, err);
}

/* Makes the node D in DIR (BASE its name).  mknod comes first: in a fresh
 * /dev nothing is there to look at.  The mode is exact: the caller has
 * cleared the umask. */
static int
create_node (const struct node_dir *dir, const char *base, const struct device_node *d, bool in_userns,
             pith_error *err)
{
  mode_t mode = d->type | (d->mode & 07777);
  dev_t rdev = makedev (d->major, d->minor);
  int there;

  if (in_userns)
    {
      there = node_already_there (dir, base, d, err);
      if (there != 0)
        return there < 0 ? -1 : 0;
      return bind_host_node (dir, base, d, err);
    }
  if (mknodat (dir->fd, base, mode, rdev) < 0)
    {
      if (errno != EEXIST)
        return pith_fail (err, errno, "mknod `%s`", d->path);
      there = node_already_there (dir, base, d, err);
      if (there != 0)
        return there < 0 ? -1 : 0;
      if (mknodat (dir->fd, base, mode, rdev) < 0)
        return pith_fail (err, errno, "mknod `%s`", d->path);
    }
  /* mknod made it ours: chown only when that is not what the config asks. */
  if ((dir->other_group || d->uid != dir->euid || d->gid != dir->egid)
      && fchownat (dir->fd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return pith_fail (err, errno, "chown `%s`", d->path);
  return 0;
}

static int
setup_node (struct node_dir *dir, int rootfd, const struct device_node *d, bool in_userns, pith_error *err)
{
  const char *base;

  if (node_dir_enter (dir, rootfd, d->path, &base, err) < 0)
    return -1;
  return create_node (dir, base, d, in_userns, err);
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

static int
setup_nodes (int rootfd, const oci_linux *linux, bool in_userns, pith_error *err)
{
  struct node_dir dir = { .fd = -1 };
  int ret = 0;

  for (size_t i = 0; ret == 0 && i < ARRAY_SIZE (default_devices); i++)
    ret = setup_node (&dir, rootfd, &default_devices[i], in_userns, err);
  for (size_t i = 0; ret == 0 && linux && i < linux->devices_len; i++)
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
      if (setup_node (&dir, rootfd, &node, in_userns, err) < 0)
        ret = pith_wrap (err, "config.json: /linux/devices/%zu", i);
    }
  node_dir_release (&dir);
  return ret;
}

int
devices_setup (int rootfd, const oci_linux *linux, bool in_userns, pith_error *err)
{
  /* mknod applies the umask; with none, each node has its mode at once. */
  mode_t saved_umask = umask (0);
  int ret = setup_nodes (rootfd, linux, in_userns, err);

  umask (saved_umask);
  if (ret < 0)
    return -1;
  return make_links (rootfd, err);
}
