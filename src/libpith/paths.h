/* Resolving paths inside a container's rootfs without ever leaving it:
 * every lookup goes through openat2(RESOLVE_IN_ROOT), so a symlink in the
 * image that points at "/etc" means the rootfs's /etc, and magic links such
 * as /proc/self/fd/N are refused.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_PATHS_H
#define PITH_PATHS_H

#include <stdbool.h>
#include <sys/types.h>

#include "pith.h"

/* Opens PATH under ROOTFD (FLAGS as for open, e.g. O_PATH). */
int path_open_in_root (int rootfd, const char *path, int flags, pith_error *err);
/* The same, returning -1 with errno set: for paths that may well be missing. */
int path_openat_in_root (int rootfd, const char *path, int flags);

/* Opens PATH from DIRFD as open(2) would, but refusing /proc magic links
 * (/proc/self/exe, /proc/self/fd/N, /proc/<pid>/root ...) with ELOOP: for
 * paths in the container once its root is ours, where the root cannot be
 * left any other way.  Returns -1 with errno set. */
int path_open_no_magiclinks (int dirfd, const char *path, int flags);

enum path_kind
{
  PATH_DIR,
  PATH_FILE,
};

/* Opens PATH under ROOTFD with O_PATH, creating what is missing: directories
 * on the way, and the last component as KIND. */
int path_create_in_root (int rootfd, const char *path, enum path_kind kind, pith_error *err);

/* procfs for the writes that must reach the kernel and nothing else
 * (sysctls, oom_score_adj, LSM attributes): a procfs instance of our own
 * (fsopen), which nothing can be mounted over; where that is refused (a
 * user namespace that does not own our pid namespace, or a /proc that is
 * not fully visible), the one at /proc, checked to be a procfs root.
 * Returns an O_PATH fd of its root. */
int procfs_open (pith_error *err);

/* Opens PATH ("sys/net/ipv4/ip_forward", "thread-self/attr/exec") under
 * PROCFD without crossing a mount point or following a magic link, and
 * checks the result is on procfs: a file bind-mounted over a procfs file,
 * or a procfs file bound over another, is refused (CVE-2025-52881). */
int procfs_open_at (int procfd, const char *path, int flags, pith_error *err);

/* procfs_open, procfs_open_at (O_WRONLY) and one write of DATA. */
int procfs_write (const char *path, const char *data, pith_error *err);

/* "/proc/self/fd/N" for mount(2) and friends that take a path. */
struct fd_path
{
  char buf[32];
};
const char *fd_path (struct fd_path *p, int fd);

#endif
