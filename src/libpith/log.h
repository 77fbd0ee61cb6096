/* Logging through the caller's callback; the library itself never prints.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_LOG_H
#define PITH_LOG_H

#include <stdint.h>

#include "pith.h"

void pith_log (pith_context *ctx, enum pith_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#define pith_debug(ctx, ...)                                                                                           \
  do                                                                                                                   \
    {                                                                                                                  \
      if ((ctx)->debug)                                                                                                \
        pith_log ((ctx), PITH_LOG_DEBUG, __VA_ARGS__);                                                                 \
    }                                                                                                                  \
  while (0)

#define pith_warn(ctx, ...) pith_log ((ctx), PITH_LOG_WARNING, __VA_ARGS__)

/* Per-phase timing for --debug.  One clock runs through a whole command
 * (run: create, start, the wait and delete); each mark logs how long the
 * phase that just ended took (wall, and CPU of the process marking it), and
 * when it ended on the command's time line.
 * The container init inherits the clock in its copy of struct launch, so
 * its marks land on the same line (CLOCK_MONOTONIC is system-wide). */
struct phase_clock
{
  uint64_t start; /* µs, CLOCK_MONOTONIC; 0 without --debug */
  uint64_t last;
  uint64_t cpu_last; /* µs of this process's CPU time at the last mark */
};

void phase_start (pith_context *ctx, struct phase_clock *clock);
void phase_mark (pith_context *ctx, struct phase_clock *clock, const char *phase);

#endif
