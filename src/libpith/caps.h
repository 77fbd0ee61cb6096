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
/* Sets effective, permitted and inheritable, then raises the ambient set.
 * KEEP (a CAP_* value, or -1) is also left effective and permitted, for a
 * step that needs it after the switch to the container's credentials; the
 * caller then drops it with caps_final_set. */
int caps_apply (const oci_capabilities *caps, int keep, pith_error *err);

/* CAPS's exact sets, built ahead (no allocation later) for one capset(2)
 * when the kept capability is no longer needed. */
void *caps_final_prepare (const oci_capabilities *caps, pith_error *err);
int caps_final_set (void *final, pith_error *err);
void caps_final_freep (void **final); /* for __attribute__ ((cleanup)) */

/* NAME ("CAP_SYS_ADMIN") is in LIST. */
bool caps_list_has (char **list, size_t len, const char *name);

/* All capability names libcap knows ("CAP_CHOWN", ...), NULL-terminated; free with cleanup_strv. */
char **caps_known_names (void);

#endif
