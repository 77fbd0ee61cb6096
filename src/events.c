/* pith events [--stats] [--interval DURATION] ID: runc's event stream,
 * one JSON object per line, until the container stops.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum
{
  OPT_STATS = 1000,
  OPT_INTERVAL,
};

static const struct cli_flag events_flag_table[] = {
  { "stats", OPT_STATS, NULL, "print one stats event and exit" },
  { "interval", OPT_INTERVAL, "DURATION", "time between stats events (default 5s; 500ms, 1m)" },
  CLI_FLAGS_END,
};

/* "5s", "500ms", "1m", "1.5s", or plain seconds. */
static int
parse_duration (const char *s, unsigned *ms)
{
  char *end;
  double v;

  errno = 0;
  v = strtod (s, &end);
  if (errno || end == s || v < 0)
    return -1;
  if (strcmp (end, "ms") == 0)
    ;
  else if (*end == '\0' || strcmp (end, "s") == 0)
    v *= 1000;
  else if (strcmp (end, "m") == 0)
    v *= 60000;
  else if (strcmp (end, "h") == 0)
    v *= 3600000;
  else
    return -1;
  if (v < 1 || v > 86400000)
    return -1;
  *ms = (unsigned) v;
  return 0;
}

static int
events_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  pith_events_options *o = data;

  if (opt == OPT_STATS)
    o->stats_only = true;
  else if (parse_duration (arg, &o->interval_ms) < 0)
    {
      if (asprintf (&cli->err.msg, "events: --interval: \"%s\" is not a duration such as 5s or 500ms", arg) < 0)
        abort ();
      return -1;
    }
  return 0;
}

static int
print_event (void *arg, const char *json)
{
  (void) arg;
  if (puts (json) < 0 || fflush (stdout) != 0)
    return -1;
  return 0;
}

static int
cmd_events (struct cli *cli, int argc, char **argv)
{
  pith_events_options opts = { 0 };
  const char *id;
  int first = cli_parse (cli, argc, argv, false, events_flag, &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_events (&cli->ctx, id, &opts, print_event, NULL, &cli->err);
}

const struct cli_command cli_events = {
  "events", "ID", "Print the container's events (stats, oom) as JSON lines until it stops.", events_flag_table,
  cmd_events,
};
