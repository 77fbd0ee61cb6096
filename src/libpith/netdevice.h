/* linux.netDevices: host network interfaces moved into the container's
 * network namespace, over rtnetlink.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_NETDEVICE_H
#define PITH_NETDEVICE_H

#include "oci-types.h"
#include "pith.h"

/* Names (keys and `name`) must be interface names, and the container must
 * have a network namespace of its own. */
int netdevice_validate (const oci_linux *linux, pith_error *err);

/* In the parent: moves each device into the network namespace NETNS_FD,
 * renamed to its `name`, with its permanent global addresses, and sets it
 * up.  The devices are not moved back: runtime-spec leaves them to the
 * namespace's owner (the kernel returns physical devices to the host when
 * the namespace goes, and destroys virtual ones). */
int netdevice_move_all (const oci_map_net_device *devices, int netns_fd, pith_error *err);

#endif
