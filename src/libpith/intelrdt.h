/* linux.intelRdt: resctrl groups (cache and memory bandwidth allocation,
 * monitoring) under /sys/fs/resctrl.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_INTELRDT_H
#define PITH_INTELRDT_H

#include <sys/types.h>

#include "oci-types.h"
#include "pith.h"

#define RESCTRL_ROOT "/sys/fs/resctrl"
#define INTELRDT_RECORD "intelrdt" /* in the state directory: what delete removes */

int intelrdt_validate (const oci_intel_rdt *r, pith_error *err);
/* Before anything is created: resctrl must be mounted. */
int intelrdt_check_host (pith_error *err);

/* In the parent, once the init exists: puts PID in its group under ROOT
 * (closID, or the container ID), writing the schemata, and in a
 * monitoring group when asked.  Writes into STATE_DIRFD the directories
 * it created, for intelrdt_destroy. */
int intelrdt_enter (const oci_intel_rdt *r, const char *root, const char *id, pid_t pid, int state_dirfd,
                    pith_error *err);
/* A process joining a running container (exec): into the container's
 * group and monitoring group, which intelrdt_enter made. */
int intelrdt_join (const oci_intel_rdt *r, const char *root, const char *id, pid_t pid, pith_error *err);
/* On delete: removes what intelrdt_enter created (no record: nothing). */
int intelrdt_destroy (int state_dirfd, pith_error *err);

#endif
