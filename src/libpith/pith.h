/* libpith: an OCI runtime-spec v1.3 container runtime library for Linux.
 *
 * Every function that can fail returns a negative value and fills the
 * caller's `pith_error` (zero-initialised by the caller, released with
 * pith_error_release).  The library never prints and never exits; what it
 * has to say goes through the context's log callback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef PITH_H
#define PITH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PITH_PUBLIC __attribute__ ((visibility ("default")))

#define PITH_OCI_VERSION "1.3.0"
#define PITH_DEFAULT_STATE_ROOT "/run/pith"

typedef struct pith_error
{
  int errno_value; /* errno behind the failure, 0 if none */
  char *msg;
} pith_error;

enum pith_log_level
{
  PITH_LOG_ERROR,
  PITH_LOG_WARNING,
  PITH_LOG_INFO,
  PITH_LOG_DEBUG,
};

typedef void (*pith_log_fn) (void *arg, enum pith_log_level level, const char *msg);

typedef struct pith_context
{
  const char *state_root; /* NULL means PITH_DEFAULT_STATE_ROOT */
  bool systemd_cgroup;
  bool debug;            /* emit PITH_LOG_DEBUG messages, with phase timings */
  pith_log_fn log;       /* may be NULL */
  void *log_arg;
} pith_context;

enum pith_create_flags
{
  PITH_CREATE_NO_PIVOT = 1 << 0,
  PITH_CREATE_NO_NEW_KEYRING = 1 << 1,
  PITH_RUN_DETACH = 1 << 2,
  PITH_RUN_KEEP = 1 << 3,
  PITH_RUN_NO_SUBREAPER = 1 << 4,
};

typedef struct pith_create_options
{
  const char *bundle;         /* NULL means the current directory */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  int preserve_fds;           /* fds 3 .. 3+N-1 pass into the container */
  unsigned flags;             /* enum pith_create_flags */
} pith_create_options;

typedef struct pith_list_entry
{
  char *id;
  pid_t pid;
  char *status;
  char *bundle;
  char *created;
  char *owner;
  char *state_json; /* the same document `pith_container_state` gives */
} pith_list_entry;

PITH_PUBLIC void pith_error_release (pith_error *err);
PITH_PUBLIC const char *pith_version (void);
PITH_PUBLIC const char *pith_commit (void);

PITH_PUBLIC int pith_container_create (pith_context *ctx, const char *id, const pith_create_options *opts,
                                       pith_error *err);
PITH_PUBLIC int pith_container_start (pith_context *ctx, const char *id, pith_error *err);
/* create + start.  Unless PITH_RUN_DETACH, waits for the container, forwarding
 * signals, stores its exit status (128+N when killed by signal N) and deletes
 * it unless PITH_RUN_KEEP. */
PITH_PUBLIC int pith_container_run (pith_context *ctx, const char *id, const pith_create_options *opts,
                                    int *exit_status, pith_error *err);
PITH_PUBLIC int pith_container_state (pith_context *ctx, const char *id, char **json, pith_error *err);
PITH_PUBLIC int pith_container_kill (pith_context *ctx, const char *id, int signo, bool all, pith_error *err);
PITH_PUBLIC int pith_container_delete (pith_context *ctx, const char *id, bool force, pith_error *err);
PITH_PUBLIC int pith_container_list (pith_context *ctx, pith_list_entry **entries, size_t *count,
                                     pith_error *err);
PITH_PUBLIC void pith_list_free (pith_list_entry *entries, size_t count);

/* Writes a default config.json into BUNDLE (NULL: current directory). */
PITH_PUBLIC int pith_spec_write (const char *bundle, bool rootless, pith_error *err);
/* The runtime-spec features.md document for this build. */
PITH_PUBLIC int pith_features (char **json, pith_error *err);
/* "KILL", "SIGKILL", "9" -> 9. */
PITH_PUBLIC int pith_signal_parse (const char *name, int *signo, pith_error *err);

#ifdef __cplusplus
}
#endif

#endif
