/* The container process: user, groups, rlimits, environment, executable.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_PROCESS_H
#define PITH_PROCESS_H

#include "oci-types.h"
#include "pith.h"

struct process_security;

/* JSON_PATH names the object for messages: "config.json: /process". */
int process_validate (const oci_process *p, const char *json_path, pith_error *err);

/* Sets every rlimit of the config.  Before dropping privileges, since
 * raising a hard limit needs CAP_SYS_RESOURCE. */
int process_apply_rlimits (const oci_process *p, pith_error *err);

/* Finds args[0] on the container's PATH (from the process env), as the
 * container sees its filesystem.  The messages are runc's: engines map
 * "executable file not found" to 127 and "permission denied" to 126. */
int process_find_executable (const oci_process *p, char **path, pith_error *err);

/* The environment to exec with: the config's, plus HOME from the
 * container's /etc/passwd when the config has none. */
char **process_environment (const oci_process *p);

/* Groups, gid, uid (keeping capabilities across the change), then the
 * capability sets.  KEEP_CAP (a CAP_* value, or -1) stays effective on top
 * of them (see caps_apply). */
int process_set_user (const oci_process *p, int keep_cap, pith_error *err);

/* Sets NAME=VALUE in P's environment, replacing an entry of that name. */
void process_env_append (oci_process *p, const char *entry);

/* chdir to CWD inside the container's root, creating it if missing. */
int process_enter_cwd (const char *cwd, pith_error *err);

/* The last steps of every process that enters a container (the init after
 * `start`, and exec): rlimits, personality, scheduler, I/O priority, memory
 * policy, LSM labels, user and capabilities, umask, no_new_privs, closing
 * all fds but stdio and the PRESERVE_FDS ones, the seccomp filter, then
 * execve.  SEC (from security_prepare in the parent; NULL: no seccomp and
 * no SELinux) carries the compiled filter.  Returns only on failure. */
int process_exec (const oci_process *p, const oci_linux *linux, const struct process_security *sec,
                  const char *executable, int preserve_fds, pith_error *err);

/* RLIMIT_* of "RLIMIT_NOFILE", or -1. */
int rlimit_from_name (const char *name);

#endif
