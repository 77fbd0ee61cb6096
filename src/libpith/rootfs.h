/* The container's root: propagation, pivot_root, masked and read-only paths.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_ROOTFS_H
#define PITH_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "pith.h"

/* In the new mount namespace: stop mount events flowing back to the host
 * and make the rootfs a mount point of its own.  Returns an O_PATH fd of it. */
int rootfs_prepare (const char *rootfs, const char *propagation, pith_error *err);
int rootfs_validate_propagation (const char *propagation, pith_error *err);

int rootfs_mask_paths (int rootfd, char **paths, size_t n, pith_error *err);
int rootfs_readonly_paths (int rootfd, char **paths, size_t n, pith_error *err);

/* Makes ROOTFD the root ("/") of the process, detaching the host's tree. */
int rootfs_pivot (int rootfd, bool no_pivot, pith_error *err);
/* After the pivot: root.readonly and a shared rootfsPropagation. */
int rootfs_finish (bool readonly, const char *propagation, pith_error *err);

#endif
