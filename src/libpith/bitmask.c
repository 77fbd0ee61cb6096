/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bitmask.h"
#include "utils.h"

#define LONG_BITS (sizeof (unsigned long) * CHAR_BIT)

static const char *
parse_id (const char *p, size_t limit, size_t *out)
{
  char *end;
  unsigned long v;

  if (!isdigit ((unsigned char) *p))
    return NULL;
  errno = 0;
  v = strtoul (p, &end, 10);
  if (errno || v >= limit)
    return NULL;
  *out = v;
  return end;
}

int
bitmask_parse (const char *list, size_t limit, struct bitmask *out, pith_error *err)
{
  const char *p = list;

  memset (out, 0, sizeof *out);
  if (list == NULL || list[0] == '\0')
    return 0;
  out->bits = xzalloc ((limit + LONG_BITS - 1) / LONG_BITS * sizeof *out->bits);
  for (;;)
    {
      size_t lo, hi;

      p = parse_id (p, limit, &lo);
      hi = lo;
      if (p && *p == '-')
        p = parse_id (p + 1, limit, &hi);
      if (p == NULL || hi < lo || (*p != ',' && *p != '\0'))
        {
          bitmask_release (out);
          return pith_fail (err, 0, "\"%s\" is not a list of ids below %zu such as \"0-3,7\"", list, limit);
        }
      for (size_t i = lo; i <= hi; i++)
        out->bits[i / LONG_BITS] |= 1UL << (i % LONG_BITS);
      if (hi + 1 > out->nbits)
        out->nbits = hi + 1;
      if (*p == '\0')
        return 0;
      p++;
    }
}

bool
bitmask_test (const struct bitmask *m, size_t i)
{
  return i < m->nbits && (m->bits[i / LONG_BITS] >> (i % LONG_BITS) & 1);
}

void
bitmask_release (struct bitmask *m)
{
  free (m->bits);
  memset (m, 0, sizeof *m);
}

size_t
bitmask_bytes (const struct bitmask *m)
{
  return (m->nbits + LONG_BITS - 1) / LONG_BITS * sizeof (unsigned long);
}
