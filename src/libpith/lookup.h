/* Name tables: arrays of structs whose first member is `const char *name`.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_LOOKUP_H
#define PITH_LOOKUP_H

#include <stddef.h>
#include <string.h>

static inline int
name_index_impl (const void *table, size_t n, size_t stride, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (*(const char *const *) ((const char *) table + i * stride), name) == 0)
      return (int) i;
  return -1;
}

/* Index of NAME in TABLE (a real array), or -1. */
#define name_index(table, name) name_index_impl ((table), sizeof (table) / sizeof (table)[0], sizeof (table)[0], (name))

#endif
