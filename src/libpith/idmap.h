/* Idmapped bind mounts: `idmap` / `ridmap` options and per-mount
 * uidMappings/gidMappings, applied with mount_setattr(MOUNT_ATTR_IDMAP).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_IDMAP_H
#define PITH_IDMAP_H

#include <stddef.h>

#include "oci-types.h"
#include "pith.h"

/* A user namespace with these mappings (host view), as an fd.  It lives as
 * long as the fd: the process made to hold it is gone on return. */
int idmap_userns_open (oci_id_mapping **uids, size_t n_uids, oci_id_mapping **gids, size_t n_gids, pith_error *err);

/* In the parent, before clone: for each mount of CONFIG that is idmapped, a
 * detached clone of its source with the mapping applied (the parent is
 * privileged over the host's mounts and user namespaces, the container's
 * init may not be).  *FDS gets one entry per mount, -1 for the others,
 * or NULL when no mount is idmapped.  Fds are numbered MIN_FD or above. */
int idmap_prepare_mounts (const oci_config *config, const char *bundle, int min_fd, int **fds, pith_error *err);
void idmap_release_mounts (int *fds, size_t n);

#endif
