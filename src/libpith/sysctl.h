/* linux.sysctl: only namespaced keys, written through a procfs of pith's own.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SYSCTL_H
#define PITH_SYSCTL_H

#include "oci-types.h"
#include "pith.h"

int sysctl_validate (const oci_config *config, pith_error *err);
/* In the container's namespaces.  Not through the container's /proc: the
 * mounts of config.json and the image decide what is there, and a file
 * bound over a key would take the value instead of the kernel. */
int sysctl_apply (const oci_map_string *sysctl, pith_error *err);

#endif
