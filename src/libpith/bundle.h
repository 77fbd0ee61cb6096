/* A bundle: config.json parsed and checked, with absolute paths resolved.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_BUNDLE_H
#define PITH_BUNDLE_H

#include <stddef.h>

#include "oci-types.h"
#include "pith.h"

struct bundle
{
  char *path;        /* absolute bundle directory */
  char *rootfs;      /* absolute root.path */
  char *config_json; /* the text of config.json, copied into the state dir */
  size_t config_len;
  oci_config *config;
};

/* Reads DIR/config.json (DIR NULL: the current directory) and validates it
 * for creating a container. */
int bundle_load (const char *dir, struct bundle *b, pith_error *err);
void bundle_release (struct bundle *b);

/* Every check that can be made before anything is created, so that a bad
 * config fails fast and leaves nothing behind.  Errors name the JSON path. */
int config_validate (const oci_config *config, pith_error *err);

#endif
