/* Lists of CPUs or memory nodes ("0-3,7") as kernel bit masks.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_BITMASK_H
#define PITH_BITMASK_H

#include <stdbool.h>
#include <stddef.h>

#include "pith.h"

struct bitmask
{
  unsigned long *bits; /* NULL when empty */
  size_t nbits;        /* highest set bit + 1 */
};

/* Parses LIST, every id below LIMIT.  An empty list gives an empty mask.
 * On a syntax error ERR says what is wrong with LIST (the caller adds the
 * JSON path). */
int bitmask_parse (const char *list, size_t limit, struct bitmask *out, pith_error *err);
void bitmask_release (struct bitmask *m);
/* Whether id I is in M. */
bool bitmask_test (const struct bitmask *m, size_t i);
/* Bytes to pass to the kernel for M (whole unsigned longs). */
size_t bitmask_bytes (const struct bitmask *m);

#endif
