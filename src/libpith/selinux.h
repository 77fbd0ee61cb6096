/* SELinux: process.selinuxLabel and linux.mountLabel.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SELINUX_H
#define PITH_SELINUX_H

#include <stdbool.h>

#include "pith.h"

/* A policy is loaded (selinuxfs is mounted). */
bool selinux_enabled (void);

/* On an enabled host LABEL must be a valid context of the loaded policy. */
int selinux_check_label (const char *label, const char *json_path, pith_error *err);

/* DATA (mount(2) options, may be NULL) with context="LABEL" added: a new
 * string.  LABEL NULL or empty: a copy of DATA. */
char *selinux_mount_data (const char *data, const char *label);

/* Whether a mount of TYPE takes a context= option (proc, sysfs and the
 * cgroup file systems label themselves). */
bool selinux_type_takes_context (const char *type);

/* ATTR "exec": the label of the next execve; "keycreate": of the keys the
 * process creates.  LABEL NULL or empty: nothing. */
int selinux_set_label (const char *attr, const char *label, pith_error *err);

#endif
