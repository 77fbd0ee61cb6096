/* OCI hooks: run each with the state on stdin, its own args and env, and
 * its timeout.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_HOOKS_H
#define PITH_HOOKS_H

#include <stddef.h>

#include "oci-types.h"
#include "pith.h"

/* Runs HOOKS in order; the first failure stops and is returned.  PHASE
 * names them in messages ("createRuntime"). */
int hooks_run (oci_hook **hooks, size_t n, const char *phase, const char *state_json, pith_error *err);
int hooks_validate (const oci_hooks *hooks, pith_error *err);

#endif
