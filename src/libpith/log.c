/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "utils.h"

void
pith_log (pith_context *ctx, enum pith_log_level level, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  if (ctx == NULL || ctx->log == NULL)
    return;
  if (level == PITH_LOG_DEBUG && !ctx->debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  ctx->log (ctx->log_arg, level, msg);
}

void
phase_mark (pith_context *ctx, uint64_t *clock, const char *phase)
{
  uint64_t now;

  if (!ctx->debug)
    return;
  now = monotonic_usec ();
  if (*clock != 0)
    pith_log (ctx, PITH_LOG_DEBUG, "phase %s: %.3f ms", phase, (now - *clock) / 1000.0);
  *clock = now;
}
