/* An existing container, opened and locked from the state store.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_CONTAINER_H
#define PITH_CONTAINER_H

#include <stdbool.h>

#include "oci-types.h"
#include "pith.h"
#include "state-store.h"

struct container
{
  const char *id;
  int rootfd;
  int dirfd; /* locked */
  oci_saved_state *state;
  enum container_status status;
  oci_config *config;   /* loaded on demand */
  bool config_borrowed; /* config is the caller's (run's launch): not freed here */
};

struct launch;
struct notify_proxy;
struct phase_clock;

int container_open (pith_context *ctx, const char *id, bool exclusive, struct container *c, pith_error *err);
/* The container launch_create has just made, its directory still locked:
 * no second lookup, and the config create parsed is lent, not re-read. */
int container_from_launch (struct launch *l, struct container *c, pith_error *err);
void container_close (struct container *c);
/* Starts the program of a created container.  NOTIFY receives the
 * NOTIFY_SOCKET proxy (see notify.h), which the caller then serves.  CLOCK
 * (--debug phase timings) goes on from create in `run`. */
int container_start (pith_context *ctx, struct container *c, struct notify_proxy *notify, struct phase_clock *clock,
                     pith_error *err);
/* Deletes an opened container: pith_container_delete after the lookup. */
int container_delete (pith_context *ctx, struct container *c, bool force, pith_error *err);
/* A pidfd of the init, checked against its recorded start time. */
int container_pidfd (struct container *c, pith_error *err);
/* The config it was created from (kept in the state directory), loaded once. */
const oci_config *container_config (struct container *c, pith_error *err);

#endif
