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

/* Per-phase timing for --debug: `phase_mark (ctx, &clock, "mounts")` logs
 * the microseconds since the previous mark. */
void phase_mark (pith_context *ctx, uint64_t *clock, const char *phase);

#endif
