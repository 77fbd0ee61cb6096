/* linux.sysctl: only namespaced keys, written through the container's procfs.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SYSCTL_H
#define PITH_SYSCTL_H

#include "oci-types.h"
#include "pith.h"

int sysctl_validate (const oci_config *config, pith_error *err);
/* Before the read-only paths, ROOTFD being the rootfs with /proc mounted. */
int sysctl_apply (int rootfd, const oci_map_string *sysctl, pith_error *err);

#endif
