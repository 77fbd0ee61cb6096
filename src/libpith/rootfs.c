/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "paths.h"
#include "rootfs.h"
#include "utils.h"

int
rootfs_validate_propagation (const char *propagation, pith_error *err)
{
  if (propagation && propagation[0] && mount_propagation_of (propagation) == 0)
    return pith_fail (err, 0,
                      "config.json: /linux/rootfsPropagation: \"%s\" is not one of shared, slave, private, "
                      "unbindable (or their r-prefixed forms)",
                      propagation);
  return 0;
}

int
rootfs_prepare (const char *rootfs, const char *propagation, pith_error *err)
{
  unsigned long flags = MS_SLAVE | MS_REC;
  cleanup_close int dir = -1;
  int tree;

  /* A shared root is made shared only after pivot_root, which refuses one. */
  if (propagation && propagation[0] && !(mount_propagation_of (propagation) & MS_SHARED))
    flags = mount_propagation_of (propagation);
  if (mount (NULL, "/", NULL, flags, NULL) < 0)
    return pith_fail (err, errno, "set propagation of /");
  /* The rootfs bound on itself, a mount of its own for pivot_root.  By fd
   * from one lookup: the fd of the clone is then the new mount's root,
   * with no second lookup of the path that could find something else. */
  dir = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return pith_fail (err, errno, "open rootfs `%s`", rootfs);
  tree = open_tree (dir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    return pith_fail (err, errno, "bind rootfs `%s`", rootfs);
  if (move_mount (tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      close (tree);
      return pith_fail (err, errno, "bind rootfs `%s`", rootfs);
    }
  return tree;
}

/* A read-only, empty tmpfs: what a masked directory shows. */
static int
empty_tmpfs (pith_error *err)
{
  cleanup_close int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  int mnt;

  if (fs < 0)
    return pith_fail (err, errno, "fsopen tmpfs");
  if (fsconfig (fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0 || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return pith_fail (err, errno, "create tmpfs");
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return pith_fail (err, errno, "fsmount tmpfs");
  return mnt;
}

static bool
is_null_device (int fd)
{
  struct stat st;

  return fstat (fd, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3);
}

/* What is bound over masked files: the null device, checked by fd and
 * bound from that fd.  The container's /dev/null, which pith made, as long
 * as it still is the null device; a hook or a volume shared with another
 * container may have turned it into a symlink or another file by now
 * (CVE-2025-31133), and then the host's, since we are before pivot_root. */
static int
null_device (int rootfd, pith_error *err)
{
  pith_error ignored = { 0 };
  int fd = path_open_in_root (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, &ignored);

  pith_error_release (&ignored);
  if (fd >= 0 && is_null_device (fd))
    return fd;
  if (fd >= 0)
    close (fd);
  fd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pith_fail (err, errno, "open /dev/null");
  if (!is_null_device (fd))
    {
      close (fd);
      return pith_fail (err, EPERM, "/dev/null is not the null device (1:3)");
    }
  return fd;
}

int
rootfs_mask_paths (int rootfd, char **paths, size_t n, pith_error *err)
{
  cleanup_close int null = -1, tmpfs = -1;
  struct stat st;

  if (n == 0)
    return 0;
  null = null_device (rootfd, err);
  if (null < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int target = path_openat_in_root (rootfd, paths[i], O_PATH | O_NOFOLLOW);
      cleanup_close int copy = -1;

      if (target < 0)
        {
          /* A path the image or kernel does not have needs no mask. */
          if (errno == ENOENT)
            continue;
          return pith_fail (err, errno, "masked path: open `%s` in the container rootfs", paths[i]);
        }
      if (fstat (target, &st) < 0)
        return pith_fail (err, errno, "stat masked path `%s`", paths[i]);
      if (!S_ISDIR (st.st_mode))
        {
          if (bind_fd (null, target, false, 0, err) < 0)
            return pith_wrap (err, "mask `%s`", paths[i]);
          continue;
        }
      /* One empty read-only tmpfs for every masked directory: the first
       * gets the new mount, the others bind copies of it. */
      if (tmpfs < 0)
        {
          tmpfs = empty_tmpfs (err);
          if (tmpfs < 0)
            return -1;
        }
      else
        {
          copy = open_tree (tmpfs, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
          if (copy < 0)
            return pith_fail (err, errno, "mask `%s`: copy the empty tmpfs", paths[i]);
        }
      if (move_mount (copy >= 0 ? copy : tmpfs, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return pith_fail (err, errno, "mask `%s`", paths[i]);
    }
  return 0;
}

int
rootfs_readonly_paths (int rootfd, char **paths, size_t n, pith_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int target = path_openat_in_root (rootfd, paths[i], O_PATH | O_NOFOLLOW);

      if (target < 0)
        {
          if (errno == ENOENT)
            continue;
          return pith_fail (err, errno, "read-only path: open `%s` in the container rootfs", paths[i]);
        }
      if (bind_fd (target, target, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err) < 0)
        return pith_wrap (err, "make `%s` read-only", paths[i]);
    }
  return 0;
}

int
rootfs_pivot (int rootfd, bool no_pivot, pith_error *err)
{
  if (fchdir (rootfd) < 0)
    return pith_fail (err, errno, "chdir to rootfs");
  if (no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return pith_fail (err, errno, "move rootfs to /");
      if (chroot (".") < 0)
        return pith_fail (err, errno, "chroot");
    }
  else
    {
      /* pivot_root(".", ".") stacks the old root on top of the new one;
       * detaching it leaves only the container's tree. */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return pith_fail (err, errno, "pivot_root");
      /* Unmounting the old root must not reach the host's mounts. */
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return pith_fail (err, errno, "make the old root a slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return pith_fail (err, errno, "detach the old root");
    }
  if (chdir ("/") < 0)
    return pith_fail (err, errno, "chdir /");
  return 0;
}

int
rootfs_finish (bool readonly, const char *propagation, pith_error *err)
{
  if (readonly)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
        return pith_fail (err, errno, "make the root read-only");
    }
  if (propagation && (mount_propagation_of (propagation) & MS_SHARED)
      && mount (NULL, "/", NULL, mount_propagation_of (propagation), NULL) < 0)
    return pith_fail (err, errno, "make the root %s", propagation);
  return 0;
}
