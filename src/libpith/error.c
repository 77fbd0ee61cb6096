/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utils.h"

PITH_PUBLIC void
pith_error_release (pith_error *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  err->msg = NULL;
  err->errno_value = 0;
}

int
pith_fail (pith_error *err, int errno_value, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);

  free (err->msg);
  err->errno_value = errno_value;
  if (errno_value != 0)
    err->msg = xasprintf ("%s: %s", msg, strerror (errno_value));
  else
    err->msg = steal_pointer (&msg);
  return -1;
}

int
pith_wrap (pith_error *err, const char *fmt, ...)
{
  cleanup_free char *prefix = NULL;
  char *joined;
  va_list ap;

  va_start (ap, fmt);
  prefix = xvasprintf (fmt, ap);
  va_end (ap);

  joined = xasprintf ("%s: %s", prefix, err->msg ? err->msg : "unknown error");
  free (err->msg);
  err->msg = joined;
  return -1;
}

void
pith_error_move (pith_error *dst, pith_error *src)
{
  pith_error_release (dst);
  *dst = *src;
  src->msg = NULL;
  src->errno_value = 0;
}
