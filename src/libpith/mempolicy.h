/* linux.memoryPolicy (set_mempolicy).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_MEMPOLICY_H
#define PITH_MEMPOLICY_H

#include "oci-types.h"
#include "pith.h"

int mempolicy_validate (const oci_memory_policy *mp, const char *json_path, pith_error *err);
/* For the calling thread; kept across fork and execve.  MP NULL: nothing. */
int mempolicy_apply (const oci_memory_policy *mp, pith_error *err);

/* Names for `features`, NULL-terminated. */
const char *const *mempolicy_mode_names (void);
const char *const *mempolicy_flag_names (void);

#endif
