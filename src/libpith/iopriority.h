/* process.ioPriority (ioprio_set).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_IOPRIORITY_H
#define PITH_IOPRIORITY_H

#include "oci-types.h"
#include "pith.h"

int iopriority_validate (const oci_io_priority *io, const char *json_path, pith_error *err);
/* For the calling process; what it forks and execs inherits it.  The
 * real-time class needs privileges: call before dropping them.  IO NULL:
 * nothing. */
int iopriority_apply (const oci_io_priority *io, pith_error *err);

#endif
