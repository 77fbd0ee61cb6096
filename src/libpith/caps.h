/* Capabilities (all five sets) with libcap.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_CAPS_H
#define PITH_CAPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci-types.h"
#include "pith.h"

int caps_validate (const oci_capabilities *caps, const char *json_path, pith_error *err);

/* Drops the bounding set to CAPS->bounding.  Needs CAP_SETPCAP: call before
 * changing user.  An absent capabilities object means no capabilities. */
int caps_drop_bounding (const oci_capabilities *caps, pith_error *err);
/* Sets effective, permitted and inheritable, then raises the ambient set. */
int caps_apply (const oci_capabilities *caps, pith_error *err);

/* All capability names libcap knows ("CAP_CHOWN", ...), NULL-terminated; free with cleanup_strv. */
char **caps_known_names (void);

#endif
