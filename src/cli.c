/* Flag parsing shared by the commands.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_error (struct cli *cli, const char *fmt, ...)
{
  char buf[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  pith_error_release (&cli->err);
  cli->err.msg = strdup (buf);
  cli->err.errno_value = EINVAL;
  return -1;
}

int
cli_parse (struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts,
           bool stop_at_arg, cli_flag_fn on_flag, void *data)
{
  char optstring[64];
  int opt;

  /* ':' first: report a missing value apart from an unknown flag. */
  snprintf (optstring, sizeof optstring, "%s:%s", stop_at_arg ? "+" : "", shortopts);
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, optstring, longopts, NULL)) != -1)
    {
      if (opt == '?')
        return cli_error (cli, "%s: unknown flag `%s`", cli->command, argv[optind - 1]);
      if (opt == ':')
        return cli_error (cli, "%s: flag `%s` needs a value", cli->command, argv[optind - 1]);
      if (on_flag (cli, opt, optarg, data) < 0)
        return -1;
    }
  return optind;
}

int
cli_take_id (struct cli *cli, int argc, char **argv, int first, int max_extra, const char **id)
{
  if (first >= argc)
    return cli_error (cli, "%s: missing the container id", cli->command);
  if (argc - first - 1 > max_extra)
    return cli_error (cli, "%s: unexpected argument `%s`", cli->command, argv[first + 1 + max_extra]);
  *id = argv[first];
  return 0;
}

int
cli_parse_int (struct cli *cli, const char *flag, const char *value, int *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (value, &end, 10);
  if (errno || *end || end == value || v < 0 || v > 1 << 20)
    return cli_error (cli, "%s: \"%s\" is not a valid count", flag, value);
  *out = (int) v;
  return 0;
}

const struct option cli_no_options[] = { { NULL, 0, NULL, 0 } };

int
cli_no_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  (void) opt, (void) arg, (void) data;
  return cli_error (cli, "%s: takes no flags", cli->command);
}

int
cli_bool_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  (void) cli, (void) opt, (void) arg;
  *(bool *) data = true;
  return 0;
}
