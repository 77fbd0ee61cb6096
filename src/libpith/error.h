/* Error objects: fill, wrap, release.  SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_ERROR_H
#define PITH_ERROR_H

#include "pith.h"

/* Fills ERR with the formatted message, followed by ": strerror(ERRNO_VALUE)"
 * when ERRNO_VALUE is not 0.  Returns -1 so callers can `return pith_fail (...)`.
 * An error already in ERR is replaced. */
int pith_fail (pith_error *err, int errno_value, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Prefixes the message in ERR with "<formatted>: ".  Returns -1. */
int pith_wrap (pith_error *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Moves SRC into DST (releasing what DST held). */
void pith_error_move (pith_error *dst, pith_error *src);

#define cleanup_error __attribute__ ((cleanup (pith_error_release)))

#endif
