/* The conversions between the v1-shaped spec values and cgroup v2, and the
 * small parsers the cgroup code needs.  Pure functions: unit-tested.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bitmask.h"
#include "cgroup.h"
#include "utils.h"

/* The weight curve below in fixed point: Q48 for log2 and the exponent,
 * Q60 for the constants and 2^fraction.  Integer only, so pith needs no
 * libm (one shared library less to map on every command).  It gives the
 * float formula's result for every input (compared exhaustively when it
 * was written; tests/unit/test-cgroup.c keeps the hardest cases). */
#define Q 48
#define LOG2_10_Q60 UINT64_C (0x35269e12f346e2c0)
#define LN2_Q60 UINT64_C (0x0b17217f7d1cf79b)

/* (A * B) >> SHIFT, 0 < SHIFT < 64, through the full 128-bit product; the
 * callers keep the result within 64 bits. */
static uint64_t
mul_shift (uint64_t a, uint64_t b, unsigned shift)
{
  uint64_t a_lo = (uint32_t) a, a_hi = a >> 32, b_lo = (uint32_t) b, b_hi = b >> 32;
  uint64_t lo = a_lo * b_lo, mid1 = a_hi * b_lo, mid2 = a_lo * b_hi, hi = a_hi * b_hi;
  uint64_t mid = (lo >> 32) + (uint32_t) mid1 + (uint32_t) mid2;

  hi += (mid1 >> 32) + (mid2 >> 32) + (mid >> 32);
  lo = (mid << 32) | (uint32_t) lo;
  return (hi << (64 - shift)) | (lo >> shift);
}

/* log2 (V) in Q48, V >= 1: the integer part from the top bit, then one
 * fraction bit per squaring of the mantissa (kept in Q62, in [1, 2)). */
static uint64_t
log2_q48 (uint64_t v)
{
  unsigned n = 63 - (unsigned) __builtin_clzll (v);
  uint64_t x = n <= 62 ? v << (62 - n) : v >> 1, l = (uint64_t) n << Q;

  for (uint64_t bit = UINT64_C (1) << (Q - 1); bit; bit >>= 1)
    {
      x = mul_shift (x, x, 62);
      if (x >= UINT64_C (2) << 62)
        {
          x >>= 1;
          l |= bit;
        }
    }
  return l;
}

uint64_t
cgroup_shares_to_weight (uint64_t shares)
{
  uint64_t l, e, t, y, term, sum, w;
  unsigned k;

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
   * interchangeable with them:
   *   weight = ceil (10 ^ ((l^2 + 125 l) / 612 - 7/34)), l = log2 (shares)
   * and (l^2 + 125 l) / 612 - 7/34 = (l^2 + 125 l - 126) / 612. */
  l = log2_q48 (shares);
  e = (mul_shift (l, l, Q) + 125 * l - (UINT64_C (126) << Q)) / 612;
  /* 10^e = 2^t = 2^k * e^(f ln 2), t = e log2(10), k its integer part. */
  t = mul_shift (e, LOG2_10_Q60, 60);
  k = (unsigned) (t >> Q);
  y = mul_shift ((t & ((UINT64_C (1) << Q) - 1)) << (60 - Q), LN2_Q60, 60);
  sum = term = UINT64_C (1) << 60;
  for (unsigned i = 1; i < 24 && term; i++)
    {
      term = mul_shift (term, y, 60) / i;
      sum += term;
    }
  /* sum * 2^k has 60 - k fraction bits.  The computed value is within
   * 2^-44 (relative) of the exact one, which is never within 2^-31 of an
   * integer except at 1024 shares, exactly 100: taking 2^-36 off before
   * rounding up gives the exact ceiling everywhere. */
  sum -= sum >> 36;
  w = sum >> (60 - k);
  if (sum & ((UINT64_C (1) << (60 - k)) - 1))
    w++;
  return w;
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
  /* The kernel's files end in a newline; bitmask_parse wants the list only. */
  cleanup_free char *list = xstrndup (s, strcspn (s, "\n"));
  pith_error ignored = { 0 };
  struct bitmask m;
  size_t count = 0;

  *out = NULL;
  *n = 0;
  if (bitmask_parse (list, UINT16_MAX + 1, &m, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return -1;
    }
  for (size_t i = 0; i < m.nbits; i++)
    count += bitmask_test (&m, i);
  *out = count ? xmalloc (count * sizeof **out) : NULL;
  for (size_t i = 0; i < m.nbits; i++)
    if (bitmask_test (&m, i))
      (*out)[(*n)++] = (uint16_t) i;
  bitmask_release (&m);
  return 0;
}
