/* AppArmor: process.apparmorProfile, applied at exec.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_APPARMOR_H
#define PITH_APPARMOR_H

#include <stdbool.h>

#include "pith.h"

/* AppArmor is loaded and enabled on this host (securityfs and the module
 * parameter agree, as runc checks). */
bool apparmor_enabled (void);

/* The profile must be loadable here: with AppArmor off the container cannot
 * start, as with runc 1.1 (which fails writing the attr). */
int apparmor_check (const char *profile, const char *json_path, pith_error *err);

/* The profile the next execve switches to. */
int apparmor_exec_profile (const char *profile, pith_error *err);

#endif
