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
  /* No cgroup at all (crun's --cgroup-manager disabled): the container
   * stays in the caller's cgroups, and linux.resources is refused. */
  bool cgroup_disabled;
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

enum pith_exec_flags
{
  PITH_EXEC_DETACH = 1 << 0,        /* return once the process runs */
  PITH_EXEC_TTY = 1 << 1,           /* process.terminal = true */
  PITH_EXEC_NO_NEW_PRIVS = 1 << 2,  /* process.noNewPrivileges = true */
  PITH_EXEC_IGNORE_PAUSED = 1 << 3, /* allow a paused container (the process waits for resume) */
};

/* A new process in a running container.  The process is PROCESS_FILE
 * (a process.json) or else the container's own process; the fields below
 * change it.  Lists are NULL-terminated; NULL or 0 leaves a field as is. */
typedef struct pith_exec_options
{
  const char *process_file;
  char *const *args;             /* replaces process.args */
  const char *cwd;
  char *const *env;              /* NAME=VALUE, set in process.env */
  bool uid_present;
  uid_t uid;
  bool gid_present;
  gid_t gid;
  const gid_t *additional_gids;  /* added to process.user.additionalGids */
  size_t additional_gids_len;
  char *const *caps;             /* added to the bounding, effective and permitted sets (and ambient
                                    where inheritable has them) */
  const char *apparmor_profile;
  const char *selinux_label;
  char *const *cgroups;          /* "[controller[,controller]:]path": existing sub-cgroups to join */
  const char *pid_file;          /* gets the host pid, before pith_container_exec returns */
  const char *console_socket;    /* receives the pty master (with a terminal) */
  int preserve_fds;              /* fds 3 .. 3+N-1 (after socket-activation ones) pass on */
  unsigned flags;                /* enum pith_exec_flags */
} pith_exec_options;

/* Checkpoint and restore run the criu binary ($PITH_CRIU, or criu in PATH). */
enum pith_checkpoint_flags
{
  PITH_CHECKPOINT_LEAVE_RUNNING = 1 << 0, /* the container goes on after the dump */
  PITH_CHECKPOINT_TCP_ESTABLISHED = 1 << 1,
  PITH_CHECKPOINT_EXT_UNIX_SK = 1 << 2,
  PITH_CHECKPOINT_SHELL_JOB = 1 << 3,
  PITH_CHECKPOINT_FILE_LOCKS = 1 << 4,
  PITH_CHECKPOINT_PRE_DUMP = 1 << 5, /* memory only, the container goes on */
  PITH_RESTORE_DETACH = 1 << 6,      /* restore: return once it runs */
  PITH_RESTORE_NO_PIVOT = 1 << 7,    /* restore: refused (criu always uses pivot_root) */
};

typedef struct pith_checkpoint_options
{
  const char *image_path;          /* criu's images; NULL: ./checkpoint */
  const char *work_path;           /* criu's log and work files; NULL: image_path */
  const char *parent_path;         /* a previous pre-dump, relative to image_path */
  const char *manage_cgroups_mode; /* soft, full, strict or ignore; NULL: soft */
  unsigned flags;                  /* enum pith_checkpoint_flags */
} pith_checkpoint_options;

typedef struct pith_restore_options
{
  const char *image_path;     /* NULL: ./checkpoint */
  const char *work_path;      /* NULL: image_path */
  const char *bundle;         /* NULL: the current directory */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* refused: a restored terminal cannot be handed over */
  unsigned flags;             /* enum pith_checkpoint_flags */
} pith_restore_options;

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
/* Runs a process in a created or running container (see pith_exec_options).
 * Unless PITH_EXEC_DETACH, waits for it as pith_container_run does and
 * stores its exit status. */
PITH_PUBLIC int pith_container_exec (pith_context *ctx, const char *id, const pith_exec_options *opts,
                                     int *exit_status, pith_error *err);
/* Dumps a running container with criu; unless PITH_CHECKPOINT_LEAVE_RUNNING
 * or _PRE_DUMP, the container is then gone, as after delete. */
PITH_PUBLIC int pith_container_checkpoint (pith_context *ctx, const char *id, const pith_checkpoint_options *opts,
                                           pith_error *err);
/* A new container ID from the bundle and criu's images.  Unless
 * PITH_RESTORE_DETACH, waits for it as pith_container_run does, stores its
 * exit status and deletes it. */
PITH_PUBLIC int pith_container_restore (pith_context *ctx, const char *id, const pith_restore_options *opts,
                                        int *exit_status, pith_error *err);
PITH_PUBLIC int pith_container_state (pith_context *ctx, const char *id, char **json, pith_error *err);
PITH_PUBLIC int pith_container_kill (pith_context *ctx, const char *id, int signo, bool all, pith_error *err);
PITH_PUBLIC int pith_container_delete (pith_context *ctx, const char *id, bool force, pith_error *err);
PITH_PUBLIC int pith_container_list (pith_context *ctx, pith_list_entry **entries, size_t *count,
                                     pith_error *err);
PITH_PUBLIC void pith_list_free (pith_list_entry *entries, size_t count);

/* Cgroup operations on a created, running (or paused) container. */
typedef struct pith_update_options
{
  const char *resources_json;  /* a linux.resources document (runc's --resources), or NULL */
  const char *const *settings; /* NULL-terminated "name=value", runc's update flags without
                                  the dashes: "memory=512m", "cpu-quota=50000"; applied over
                                  resources_json */
} pith_update_options;

typedef struct pith_events_options
{
  bool stats_only;      /* one stats event, then return */
  unsigned interval_ms; /* between stats events; 0: 5 s */
} pith_events_options;

/* Receives each event: one JSON object, no newline.  Negative: stop. */
typedef int (*pith_event_fn) (void *arg, const char *json);

PITH_PUBLIC int pith_container_update (pith_context *ctx, const char *id, const pith_update_options *opts,
                                       pith_error *err);
PITH_PUBLIC int pith_container_pause (pith_context *ctx, const char *id, pith_error *err);
PITH_PUBLIC int pith_container_resume (pith_context *ctx, const char *id, pith_error *err);
/* The container's processes (host pids, malloc'd). */
PITH_PUBLIC int pith_container_processes (pith_context *ctx, const char *id, pid_t **pids, size_t *count,
                                          pith_error *err);
/* runc's event stream: stats every interval and OOM events until the
 * container stops (or only one stats event). */
PITH_PUBLIC int pith_container_events (pith_context *ctx, const char *id, const pith_events_options *opts,
                                       pith_event_fn fn, void *arg, pith_error *err);

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
