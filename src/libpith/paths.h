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

enum path_kind
{
  PATH_DIR,
  PATH_FILE,
};

/* Opens PATH under ROOTFD with O_PATH, creating what is missing: directories
 * on the way, and the last component as KIND. */
int path_create_in_root (int rootfd, const char *path, enum path_kind kind, pith_error *err);

/* "/proc/self/fd/N" for mount(2) and friends that take a path. */
struct fd_path
{
  char buf[32];
};
const char *fd_path (struct fd_path *p, int fd);

#endif
