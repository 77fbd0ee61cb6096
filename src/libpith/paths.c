/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "paths.h"
#include "utils.h"

static int
openat2_in_root (int rootfd, const char *path, int flags)
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
  int fd = openat2_in_root (rootfd, path, flags);

  if (fd < 0)
    return pith_fail (err, errno, "open `%s` in the container rootfs", path);
  return fd;
}

int
path_create_in_root (int rootfd, const char *path, enum path_kind kind, pith_error *err)
{
  cleanup_free char *prefix = NULL;
  cleanup_close int parent = -1;
  size_t len;
  int fd;

  fd = openat2_in_root (rootfd, path, O_PATH);
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
  parent = openat2_in_root (rootfd, "/", O_PATH);
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
      next = openat2_in_root (rootfd, prefix, O_PATH);
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
          next = openat2_in_root (rootfd, prefix, O_PATH);
        }
      if (next < 0)
        return pith_fail (err, errno, "open `%s` in the container rootfs", prefix);
      prefix[end] = saved;
      close (parent);
      parent = next;
    }
  return steal_fd (&parent);
}

const char *
fd_path (struct fd_path *p, int fd)
{
  snprintf (p->buf, sizeof p->buf, "/proc/self/fd/%d", fd);
  return p->buf;
}
