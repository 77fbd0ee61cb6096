/* The TAP output shared by the unit tests: one "ok N - what" or
 * "not ok N - what" line per check, the plan at the end, and the exit
 * status automake's test driver reads.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_TESTS_TAP_H
#define PITH_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;

static void __attribute__ ((format (printf, 2, 3), unused)) check (bool ok, const char *fmt, ...)
{
  va_list ap;

  tap_run++;
  printf ("%s %d - ", ok ? "ok" : "not ok", tap_run);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  if (!ok)
    tap_failed++;
}

static bool __attribute__ ((unused)) contains (const char *haystack, const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

/* Prints the plan and a summary; the value to return from main. */
static int __attribute__ ((unused)) tap_finish (void)
{
  printf ("1..%d\n# %d passed, %d failed\n", tap_run, tap_run - tap_failed, tap_failed);
  return tap_failed ? 1 : 0;
}

#endif
