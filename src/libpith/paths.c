/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "paths.h"
#include "utils.h"

int
path_openat_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };

  /* openat2 refuses an empty path; "." names the root itself. */
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  return TEMP_FAILURE_RETRY ((int) syscall (SYS_openat2, rootfd, path, &how, sizeof how));
}

int
path_open_in_root (int rootfd, const char *path, int flags, pith_error *err)
{
  int fd = path_openat_in_root (rootfd, path, flags);

  if (fd < 0)
    return pith_fail (err, errno, "open `%s` in the container rootfs", path);
  return fd;
}

int
path_open_no_magiclinks (int dirfd, const char *path, int flags)
{
  struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };

  return TEMP_FAILURE_RETRY ((int) syscall (SYS_openat2, dirfd, path, &how, sizeof how));
}

static int create_in_root (int rootfd, const char *path, enum path_kind kind, int depth, pith_error *err);

/* NAME in PARENT (whose path in the root is PREFIX up to NAME) is a symlink
 * to something missing: create the target, inside the root. */
static int
create_link_target (int rootfd, int parent, const char *prefix, size_t name_start, enum path_kind kind, int depth,
                    pith_error *err)
{
  char target[4096];
  cleanup_free char *full = NULL;
  ssize_t l = readlinkat (parent, prefix + name_start, target, sizeof target - 1);
  int fd;

  if (l < 0)
    return pith_fail (err, errno, "create `%s` in the container rootfs", prefix);
  target[l] = '\0';
  if (target[0] == '/')
    full = xstrdup (target);
  else
    full = xasprintf ("%.*s/%s", (int) name_start, prefix, target);
  fd = create_in_root (rootfd, full, kind, depth + 1, err);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

int
path_create_in_root (int rootfd, const char *path, enum path_kind kind, pith_error *err)
{
  return create_in_root (rootfd, path, kind, 0, err);
}

static int
create_in_root (int rootfd, const char *path, enum path_kind kind, int depth, pith_error *err)
{
  cleanup_free char *prefix = NULL;
  cleanup_close int parent = -1;
  size_t len;
  int fd;

  fd = path_openat_in_root (rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT)
    {
      if (fd < 0)
        return pith_fail (err, errno, "open `%s` in the container rootfs", path);
      return fd;
    }

  /* Walk down, resolving each prefix from the root again so that a symlink
   * met on the way is followed inside the rootfs, and create what is missing. */
  prefix = xstrdup (path);
  len = strlen (prefix);
  parent = path_openat_in_root (rootfd, "/", O_PATH);
  if (parent < 0)
    return pith_fail (err, errno, "open the container rootfs");
  for (size_t i = 0; i <= len;)
    {
      size_t start, end;
      bool last;
      int next;

      while (i < len && prefix[i] == '/')
        i++;
      if (i >= len)
        break;
      start = i;
      while (i < len && prefix[i] != '/')
        i++;
      end = i;
      last = end == len || strspn (prefix + end, "/") == len - end;

      char saved = prefix[end];
      prefix[end] = '\0';
      next = path_openat_in_root (rootfd, prefix, O_PATH);
      if (next < 0 && errno == ENOENT)
        {
          const char *name = prefix + start;
          int r;

          if (last && kind == PATH_FILE)
            {
              r = openat (parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
              if (r >= 0)
                close (r);
            }
          else
            r = mkdirat (parent, name, 0755);
          if (r < 0 && errno != EEXIST)
            return pith_fail (err, errno, "create `%s` in the container rootfs", prefix);
          next = path_openat_in_root (rootfd, prefix, O_PATH);
          /* Still missing although it exists: a dangling symlink. */
          if (next < 0 && errno == ENOENT && r < 0)
            {
              if (depth >= 40)
                return pith_fail (err, ELOOP, "create `%s` in the container rootfs", prefix);
              if (create_link_target (rootfd, parent, prefix, start, last ? kind : PATH_DIR, depth, err) < 0)
                return -1;
              next = path_openat_in_root (rootfd, prefix, O_PATH);
            }
        }
      if (next < 0)
        return pith_fail (err, errno, "open `%s` in the container rootfs", prefix);
      prefix[end] = saved;
      close (parent);
      parent = next;
    }
  return steal_fd (&parent);
}

/* The inode of the root directory of every procfs instance. */
#define PROC_ROOT_INO 1

static int
private_procfs (void)
{
  cleanup_close int fs = fsopen ("proc", FSOPEN_CLOEXEC);

  if (fs < 0 || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  /* Detached: it is in no mount namespace, so no one can mount over it. */
  return fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

int
procfs_open (pith_error *err)
{
  cleanup_close int fd = private_procfs ();
  struct statfs sfs;
  struct stat st;

  if (fd >= 0)
    return steal_fd (&fd);
  fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pith_fail (err, errno, "open /proc");
  /* A subdirectory bound on /proc, or another file system, would pass
   * lookups that are ours to check. */
  if (fstatfs (fd, &sfs) < 0 || fstat (fd, &st) < 0)
    return pith_fail (err, errno, "stat /proc");
  if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
    return pith_fail (err, EXDEV, "/proc is not the root of a procfs");
  return steal_fd (&fd);
}

int
procfs_open_at (int procfd, const char *path, int flags, pith_error *err)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC | O_NOCTTY,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
  };
  cleanup_close int fd = TEMP_FAILURE_RETRY ((int) syscall (SYS_openat2, procfd, path, &how, sizeof how));
  struct statfs sfs;

  if (fd < 0 && errno == EXDEV)
    return pith_fail (err, EXDEV, "/proc/%s: something is mounted over it or on the way there", path);
  if (fd < 0)
    return pith_fail (err, errno, "open /proc/%s", path);
  if (fstatfs (fd, &sfs) < 0)
    return pith_fail (err, errno, "statfs /proc/%s", path);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return pith_fail (err, EXDEV, "/proc/%s is not on procfs", path);
  return steal_fd (&fd);
}

int
procfs_write (const char *path, const char *data, pith_error *err)
{
  cleanup_close int proc = procfs_open (err);
  cleanup_close int fd = -1;

  if (proc < 0)
    return -1;
  fd = procfs_open_at (proc, path, O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (write_all (fd, data, strlen (data)) < 0)
    return pith_fail (err, errno, "write /proc/%s", path);
  return 0;
}

const char *
fd_path (struct fd_path *p, int fd)
{
  snprintf (p->buf, sizeof p->buf, "/proc/self/fd/%d", fd);
  return p->buf;
}
