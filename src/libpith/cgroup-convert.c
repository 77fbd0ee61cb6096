/* The conversions between the v1-shaped spec values and cgroup v2, and the
 * small parsers the cgroup code needs.  Pure functions: unit-tested.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "utils.h"

uint64_t
cgroup_shares_to_weight (uint64_t shares)
{
  double l, exponent;

  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  /* A quadratic in log2(shares) through (2, 1), (1024, 100) and
   * (262144, 10000): the default shares give the default weight, which
   * the old linear mapping (1024 -> 39) did not.  runc and crun moved to
   * this curve (kubernetes#131216); the same numbers keep pith
   * interchangeable with them. */
  l = log2 ((double) shares);
  exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return (uint64_t) ceil (pow (10, exponent));
}

uint64_t
cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

int
cgroup_swap_to_v2 (int64_t swap, int64_t memory, int64_t *out, pith_error *err)
{
  /* Unlimited memory without a swap value means both unlimited, as v1 does. */
  if (memory == -1 && swap == 0)
    {
      *out = -1;
      return 0;
    }
  if (swap == -1 || swap == 0)
    {
      *out = swap;
      return 0;
    }
  if (swap < 0)
    return pith_fail (err, EINVAL, "invalid swap value %" PRId64, swap);
  if (memory == 0 || memory == -1)
    return pith_fail (err, EINVAL, "a swap limit needs a memory limit (swap is memory+swap, as on cgroup v1)");
  if (memory < 0)
    return pith_fail (err, EINVAL, "invalid memory value %" PRId64, memory);
  if (swap < memory)
    return pith_fail (err, EINVAL, "memory+swap limit %" PRId64 " is lower than the memory limit %" PRId64, swap,
                      memory);
  *out = swap - memory;
  return 0;
}

int
cgroup_parse_size (const char *s, int64_t *out)
{
  static const char units[] = "kmgtp";
  const char *p = s, *unit;
  uint64_t whole = 0, scale = 1;
  double frac = 0, fscale = 0.1;
  bool digits = false;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  for (; isdigit ((unsigned char) *p); p++, digits = true)
    {
      if (whole > (UINT64_MAX - 9) / 10)
        return -1;
      whole = whole * 10 + (uint64_t) (*p - '0');
    }
  if (!digits)
    return -1;
  if (*p == '.')
    {
      if (!isdigit ((unsigned char) p[1]))
        return -1;
      for (p++; isdigit ((unsigned char) *p); p++, fscale /= 10)
        frac += (*p - '0') * fscale;
    }
  if (*p == ' ')
    p++;
  if (*p && (unit = strchr (units, tolower ((unsigned char) *p))) != NULL)
    {
      for (const char *u = units; u <= unit; u++)
        scale *= 1024;
      p++;
      if (*p == 'i' || *p == 'I')
        p++;
    }
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0')
    return -1;
  if (whole > (uint64_t) INT64_MAX / scale)
    return -1;
  *out = (int64_t) (whole * scale + (uint64_t) (frac * (double) scale));
  return 0;
}

char *
cgroup_hugepage_size_name (const char *kb_name)
{
  static const char *const units[] = { "KB", "MB", "GB", "TB", "PB" };
  char *end;
  unsigned long long v;
  size_t u = 0;

  if (str_has_prefix (kb_name, "hugepages-"))
    kb_name += strlen ("hugepages-");
  errno = 0;
  v = strtoull (kb_name, &end, 10);
  if (errno || end == kb_name || strcmp (end, "kB") != 0 || v == 0)
    return NULL;
  while (v % 1024 == 0 && u + 1 < ARRAY_SIZE (units))
    {
      v /= 1024;
      u++;
    }
  return xasprintf ("%llu%s", v, units[u]);
}

int
cgroup_parse_list (const char *s, uint16_t **out, size_t *n)
{
  cleanup_free uint16_t *list = NULL;
  size_t count = 0;
  const char *p = s;

  *out = NULL;
  *n = 0;
  while (*p && *p != '\n')
    {
      char *end;
      unsigned long lo, hi;

      errno = 0;
      lo = strtoul (p, &end, 10);
      if (errno || end == p || lo > UINT16_MAX)
        return -1;
      hi = lo;
      p = end;
      if (*p == '-')
        {
          hi = strtoul (p + 1, &end, 10);
          if (errno || end == p + 1 || hi < lo || hi > UINT16_MAX)
            return -1;
          p = end;
        }
      if (hi - lo > 65536 || count + (hi - lo + 1) > 65536)
        return -1;
      list = xrealloc (list, (count + hi - lo + 1) * sizeof *list);
      for (unsigned long v = lo; v <= hi; v++)
        list[count++] = (uint16_t) v;
      if (*p == ',')
        p++;
      else if (*p && *p != '\n')
        return -1;
    }
  *out = steal_pointer (&list);
  *n = count;
  return 0;
}
