/* The state store: one directory per container under the state root.
 *
 *   <root>/<id>/state.json   pith's record (oci_saved_state), written atomically
 *   <root>/<id>/config.json  the config the container was created from
 *   <root>/<id>/start.sock   present while the container is "created": the
 *                            init waits on it for `start`
 *
 * Every command holds a flock on the directory while it works on the
 * container, so concurrent commands on one container are serialised.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_STATE_STORE_H
#define PITH_STATE_STORE_H

#include <stdbool.h>

#include "oci-types.h"
#include "pith.h"

#define STATE_FILE "state.json"
#define STATE_CONFIG_FILE "config.json"
#define START_SOCKET "start.sock"

enum container_status
{
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};

const char *container_status_name (enum container_status s);
const char *state_root_path (pith_context *ctx);
int validate_container_id (const char *id, pith_error *err);
/* `container "ID" does not exist`, with errno ENOENT.  Returns -1. */
int container_not_found (pith_error *err, const char *id);

/* Opens the state root, creating it (0700) when CREATE. */
int state_root_open (pith_context *ctx, bool create, pith_error *err);
/* Creates <root>/<id> exclusively and returns it locked. */
int state_dir_create (int rootfd, const char *id, pith_error *err);
/* Opens and locks an existing container dir; EXCLUSIVE for commands that change it. */
int state_dir_open (int rootfd, const char *id, bool exclusive, pith_error *err);
int state_dir_remove (int rootfd, const char *id, pith_error *err);

int state_save (int dirfd, const oci_saved_state *state, pith_error *err);
oci_saved_state *state_load (int dirfd, const char *id, pith_error *err);

/* Alive, created, paused or stopped, from the recorded pid and start time. */
enum container_status container_status_of (int dirfd, const oci_saved_state *state);

/* The runtime-spec state document of a container; STATUS is a status name
 * ("creating" for the hooks that run before the state is saved). */
char *state_document (const oci_saved_state *state, const char *status, pith_error *err);

#endif
