/* What a container process needs to put on its seccomp filter and LSM
 * labels as it becomes the container's program.  The parent prepares it
 * before clone (profile compiled, host checked); the
 * child, in process_exec, only applies it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SECURITY_H
#define PITH_SECURITY_H

#include <stdbool.h>

#include "oci-types.h"
#include "pith.h"
#include "seccomp-filter.h"

struct process_security
{
  struct seccomp_program seccomp; /* .insns NULL: no filter */
  bool selinux;                   /* SELinux is enabled here: labels are applied */
  /* With SCMP_ACT_NOTIFY: a stream socket to the host-side pith process
   * (`start`, `exec`), which passes the notify fd on to the seccomp agent
   * (seccomp_notify_relay).  Set by the container process; -1 before. */
  int notify_relay;
};

/* In the parent, before clone.  Compiles linux.seccomp (through the cache
 * under the state root) and checks the labels against the host (AppArmor
 * as runc 1.1 does; SELinux skipped when it is disabled, as crun does).
 * PROCESS_PATH names P in messages: "config.json: /process". */
int security_prepare (pith_context *ctx, const oci_process *p, const char *process_path, const oci_linux *linux,
                      struct process_security *sec, pith_error *err);
void security_release (struct process_security *sec);

/* In the container process.  The SELinux label for keys it creates (call
 * before joining the session keyring). */
int security_set_keyring_label (const struct process_security *sec, const oci_process *p, pith_error *err);
/* The AppArmor profile and SELinux label the next execve takes on. */
int security_set_exec_labels (const struct process_security *sec, const oci_process *p, pith_error *err);
/* Loads the seccomp filter and sends a notify fd to SEC->notify_relay.
 * After this only execve (and dropping a capability kept for the load)
 * runs. */
int security_load_seccomp (const struct process_security *sec, pith_error *err);
/* Loading without no_new_privs takes CAP_SYS_ADMIN: true when P's own
 * capabilities would not have it at that point. */
bool security_needs_admin_to_load (const struct process_security *sec, const oci_process *p);

/* Writes VALUE to /proc/thread-self/attr/LSM/ATTR (LSM NULL: attr/ATTR,
 * or when the LSM has no directory of its own), making sure the file is on
 * a procfs. */
int proc_attr_write (const char *lsm, const char *attr, const char *value, pith_error *err);

#endif
