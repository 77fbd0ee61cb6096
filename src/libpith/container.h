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
  oci_config *config; /* loaded on demand */
};

int container_open (pith_context *ctx, const char *id, bool exclusive, struct container *c, pith_error *err);
void container_close (struct container *c);
int container_start (pith_context *ctx, struct container *c, pith_error *err);

#endif
