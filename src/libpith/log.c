/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  ctx->log (ctx->log_arg, level, msg);
}

static uint64_t
cpu_usec (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
    return 0;
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000;
}

void
phase_start (pith_context *ctx, struct phase_clock *clock)
{
  clock->start = clock->last = ctx->debug ? monotonic_usec () : 0;
  clock->cpu_last = ctx->debug ? cpu_usec () : 0;
}

void
phase_mark (pith_context *ctx, struct phase_clock *clock, const char *phase)
{
  uint64_t now, cpu;

  if (!ctx->debug || clock->start == 0)
    return;
  now = monotonic_usec ();
  cpu = cpu_usec ();
  /* A child marking on an inherited clock starts its CPU count afresh. */
  if (cpu < clock->cpu_last)
    clock->cpu_last = 0;
  pith_log (ctx, PITH_LOG_DEBUG, "phase %s: %.3f ms, cpu %.3f ms (at %.3f ms)", phase, (now - clock->last) / 1000.0,
            (cpu - clock->cpu_last) / 1000.0, (now - clock->start) / 1000.0);
  clock->last = now;
  clock->cpu_last = cpu_usec ();
}
