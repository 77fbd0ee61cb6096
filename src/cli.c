/* Flag parsing and --help, shared by the commands.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define OPT_HELP 'h'
#define HELP_COLUMN 28

static const struct cli_flag help_flag = { "help", OPT_HELP, NULL, "print this help and exit" };

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

static bool
has_short (const struct cli_flag *f)
{
  return f->val > 0 && f->val < 128 && isalnum (f->val);
}

struct option *
cli_getopt_table (const struct cli_flag *flags, bool add_help, char *optstring, size_t size)
{
  size_t n = 0, len = strlen (optstring);
  struct option *opts;

  while (flags[n].name)
    n++;
  opts = calloc (n + 2, sizeof *opts);
  if (opts == NULL)
    abort ();
  for (size_t i = 0; i <= n; i++)
    {
      const struct cli_flag *f = i < n ? &flags[i] : add_help ? &help_flag : NULL;

      if (f == NULL)
        break;
      opts[i] = (struct option){ f->name, f->arg ? required_argument : no_argument, NULL, f->val };
      if (has_short (f))
        {
          /* The tables are static and small: no room is a bug. */
          if (len + 3 > size)
            abort ();
          optstring[len++] = (char) f->val;
          if (f->arg)
            optstring[len++] = ':';
          optstring[len] = '\0';
        }
    }
  return opts;
}

void
cli_print_flags (FILE *f, const struct cli_flag *flags)
{
  for (; flags->name; flags++)
    {
      bool sh = has_short (flags);
      char left[64];

      snprintf (left, sizeof left, "%s%c%s--%s%s%s", sh ? "-" : " ", sh ? flags->val : ' ', sh ? ", " : "  ",
                flags->name, flags->arg ? " " : "", flags->arg ? flags->arg : "");
      /* A long left column pushes its help to the next line. */
      if (strlen (left) > HELP_COLUMN)
        fprintf (f, "  %s\n  %-*s %s\n", left, HELP_COLUMN, "", flags->help);
      else
        fprintf (f, "  %-*s %s\n", HELP_COLUMN, left, flags->help);
    }
}

static void
print_help (const struct cli_command *cmd)
{
  printf ("usage: pith %s%s%s%s\n\n%s\n\nflags:\n", cmd->name, cmd->flags[0].name ? " [flags]" : "",
          cmd->args[0] ? " " : "", cmd->args, cmd->summary);
  cli_print_flags (stdout, cmd->flags);
  cli_print_flags (stdout, (const struct cli_flag[]){ help_flag, CLI_FLAGS_END });
}

int
cli_parse (struct cli *cli, int argc, char **argv, bool stop_at_arg, cli_flag_fn on_flag, void *data)
{
  /* ':' first: report a missing value apart from an unknown flag. */
  char optstring[128] = "";
  struct option *opts;
  int opt, ret = 0;

  snprintf (optstring, sizeof optstring, "%s:", stop_at_arg ? "+" : "");
  opts = cli_getopt_table (cli->cmd->flags, true, optstring, sizeof optstring);
  opterr = 0;
  optind = 1;
  while (ret == 0 && (opt = getopt_long (argc, argv, optstring, opts, NULL)) != -1)
    {
      if (opt == '?')
        ret = cli_error (cli, "%s: unknown flag `%s` (see `pith %s --help`)", cli->command, argv[optind - 1],
                         cli->command);
      else if (opt == ':')
        ret = cli_error (cli, "%s: flag `%s` needs a value", cli->command, argv[optind - 1]);
      else if (opt == OPT_HELP)
        {
          print_help (cli->cmd);
          cli->done = true;
          ret = -1;
        }
      else
        ret = on_flag (cli, opt, optarg, data);
    }
  free (opts);
  return ret < 0 ? -1 : optind;
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

const struct cli_flag cli_no_flags[] = { CLI_FLAGS_END };

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
