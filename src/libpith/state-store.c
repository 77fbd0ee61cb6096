/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "state-store.h"
#include "utils.h"

#define STATE_MAX_SIZE (16 << 20)

const char *
container_status_name (enum container_status s)
{
  switch (s)
    {
    case STATUS_CREATED:
      return "created";
    case STATUS_RUNNING:
      return "running";
    case STATUS_PAUSED:
      return "paused";
    case STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

const char *
state_root_path (pith_context *ctx)
{
  return ctx->state_root ? ctx->state_root : PITH_DEFAULT_STATE_ROOT;
}

int
container_not_found (pith_error *err, const char *id)
{
  /* The errno lets callers tell this case apart; the message is runc's words. */
  pith_fail (err, 0, "container \"%s\" does not exist", id);
  err->errno_value = ENOENT;
  return -1;
}

int
validate_container_id (const char *id, pith_error *err)
{
  size_t len = id ? strlen (id) : 0;

  if (len == 0)
    return pith_fail (err, 0, "container id must not be empty");
  if (len > 1024)
    return pith_fail (err, 0, "container id is longer than 1024 characters");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return pith_fail (err, 0, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    {
      /* The id names a directory and a cgroup: letters, digits and _+-. only. */
      if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr ("_+-.", *p))
        continue;
      return pith_fail (err, 0, "invalid container id \"%s\": only letters, digits and _+-. are allowed", id);
    }
  return 0;
}

int
state_root_open (pith_context *ctx, bool create, pith_error *err)
{
  const char *root = state_root_path (ctx);
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* It exists but for the first container: mkdir -p only then. */
  if (fd < 0 && errno == ENOENT && create)
    {
      if (mkdir_p (root, 0700, err) < 0)
        return pith_wrap (err, "create state root");
      fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd < 0)
    return pith_fail (err, errno, "open state root `%s`", root);
  return fd;
}

static int
lock_dir (int fd, bool exclusive, const char *id, pith_error *err)
{
  if (TEMP_FAILURE_RETRY (flock (fd, exclusive ? LOCK_EX : LOCK_SH)) < 0)
    return pith_fail (err, errno, "lock container \"%s\"", id);
  return 0;
}

int
state_dir_create (int rootfd, const char *id, pith_error *err)
{
  cleanup_close int fd = -1;

  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return pith_fail (err, 0, "container \"%s\" already exists", id);
      return pith_fail (err, errno, "create state directory for \"%s\"", id);
    }
  fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pith_fail (err, errno, "open state directory for \"%s\"", id);
  if (lock_dir (fd, true, id, err) < 0)
    return -1;
  return steal_fd (&fd);
}

int
state_dir_open (int rootfd, const char *id, bool exclusive, pith_error *err)
{
  cleanup_close int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return container_not_found (err, id);
      return pith_fail (err, errno, "open state directory for \"%s\"", id);
    }
  if (lock_dir (fd, exclusive, id, err) < 0)
    return -1;
  /* A directory without a state file is one whose create failed or was
   * interrupted, or one that `delete` removed while we waited for the lock. */
  if (faccessat (fd, STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return container_not_found (err, id);
  return steal_fd (&fd);
}

int
state_dir_remove (int rootfd, const char *id, pith_error *err)
{
  cleanup_close int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  /* The two files every container has, by name; the walk only for more. */
  if (fd >= 0)
    {
      unlinkat (fd, STATE_FILE, 0);
      unlinkat (fd, STATE_CONFIG_FILE, 0);
      if (unlinkat (rootfd, id, AT_REMOVEDIR) == 0)
        return 0;
    }
  if (remove_tree_at (rootfd, id, err) < 0)
    return pith_wrap (err, "remove state of \"%s\"", id);
  return 0;
}

int
state_save (int dirfd, const oci_saved_state *state, pith_error *err)
{
  cleanup_free char *gen_err = NULL;
  cleanup_free char *json = oci_saved_state_generate (state, 0, &gen_err);

  if (json == NULL)
    return pith_fail (err, 0, "serialise state: %s", gen_err ? gen_err : "unknown error");
  return write_file_atomic (dirfd, STATE_FILE, json, strlen (json), 0600, err);
}

oci_saved_state *
state_load (int dirfd, const char *id, pith_error *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *parse_err = NULL;
  size_t len;
  oci_saved_state *state;

  if (read_file_at (dirfd, STATE_FILE, STATE_MAX_SIZE, &data, &len, err) < 0)
    {
      pith_wrap (err, "read state of \"%s\"", id);
      return NULL;
    }
  state = oci_saved_state_parse_data (data, len, STATE_FILE, &parse_err);
  if (state == NULL)
    pith_fail (err, 0, "corrupt state of \"%s\": %s", id, parse_err);
  return state;
}

enum container_status
container_status_of (int dirfd, const oci_saved_state *state)
{
  char proc_state = 0;

  if (state->pid <= 0 || process_start_time (state->pid, &proc_state) != state->pid_start_time
      || proc_state == 'Z' || proc_state == 'X')
    return STATUS_STOPPED;
  if (faccessat (dirfd, START_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  if (cgroup_is_frozen (state->cgroup_paths))
    return STATUS_PAUSED;
  return STATUS_RUNNING;
}

char *
state_document (const oci_saved_state *state, const char *status, pith_error *err)
{
  cleanup_free char *gen_err = NULL;
  oci_state doc = {
    .oci_version = (char *) PITH_OCI_VERSION,
    .id = state->id,
    .status = (char *) status,
    .pid = strcmp (status, "stopped") == 0 ? 0 : state->pid,
    .pid_present = true,
    .bundle = state->bundle,
    .rootfs = state->rootfs,
    .created = state->created,
    .owner = state->owner ? state->owner : (char *) "",
    .annotations = state->annotations,
  };
  char *json = oci_state_generate (&doc, OCI_GEN_PRETTY, &gen_err);

  if (json == NULL)
    pith_fail (err, 0, "serialise state: %s", gen_err ? gen_err : "unknown error");
  return json;
}
