/* seccomp filters (linux.seccomp) with libseccomp.
 *
 * The profile is checked before anything is created (seccomp_validate),
 * compiled to BPF by the parent before clone (the init inherits the program
 * in its copy of memory), and loaded by the container process itself with
 * seccomp(2), as the last step before execve, so that none of pith's own
 * setup runs under it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SECCOMP_FILTER_H
#define PITH_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "oci-types.h"
#include "pith.h"

struct sock_filter;

struct seccomp_program
{
  struct sock_filter *insns;
  unsigned short len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;        /* has SCMP_ACT_NOTIFY rules: loading yields a listener fd */
};

/* Checks names, actions, operators, architectures and flags.  JSON_PATH
 * names the object: "config.json: /linux/seccomp". */
int seccomp_validate (const oci_seccomp *s, const char *json_path, pith_error *err);

/* True when some rule (or the default) uses SCMP_ACT_NOTIFY. */
bool seccomp_uses_notify (const oci_seccomp *s);

/* Compiles a validated profile.  Syscall names this libseccomp does not
 * know are skipped with a debug note through CTX.  CACHE_DIRFD (from
 * seccomp_cache_open, or -1) keeps compiled programs across runs. */
int seccomp_compile (pith_context *ctx, const oci_seccomp *s, const char *json_path, int cache_dirfd,
                     struct seccomp_program *out, pith_error *err);
void seccomp_program_release (struct seccomp_program *p);

/* Installs the filter on the calling thread.  Returns the notify listener
 * fd for a program with notify rules, 0 otherwise, -1 on failure. */
int seccomp_program_load (const struct seccomp_program *p, pith_error *err);

/* For `features`: every action, operator and flag name of the spec; the
 * architectures this libseccomp knows; the flags this kernel accepts. */
const char *const *seccomp_action_names (void);
const char *const *seccomp_operator_names (void);
const char *const *seccomp_flag_names (void);
char **seccomp_arch_names (void);
char **seccomp_supported_flag_names (void);
/* "2.5.4" */
char *seccomp_library_version (void);

/* The cache of compiled programs under the state root ROOTFD: -1 when it
 * cannot be used (then nothing is cached). */
int seccomp_cache_open (int rootfd);
/* KEY describes everything the program depends on. */
bool seccomp_cache_lookup (int dirfd, const char *key, struct seccomp_program *out);
void seccomp_cache_store (int dirfd, const char *key, const struct seccomp_program *p);

#endif
