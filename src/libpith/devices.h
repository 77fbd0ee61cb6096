/* /dev inside the container: default devices, linux.devices, standard links.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_DEVICES_H
#define PITH_DEVICES_H

#include <stdbool.h>

#include "oci-types.h"
#include "pith.h"

/* Before pivot_root, ROOTFD being the rootfs.  In a user namespace device
 * nodes cannot be made, so the host's are bind-mounted instead. */
int devices_setup (int rootfd, const oci_linux *linux, bool in_userns, pith_error *err);
int devices_validate (const oci_linux *linux, pith_error *err);

#endif
