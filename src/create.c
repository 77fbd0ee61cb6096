/* pith create ID: set up the container; its program waits for `start`.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <string.h>

#include "cli.h"

enum
{
  OPT_PID_FILE = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_DETACH,
  OPT_KEEP,
  OPT_NO_SUBREAPER,
};

/* create's flags, and run's on top (the parser of create rejects run's). */
const struct option cli_create_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "detach", no_argument, NULL, 'd' },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { NULL, 0, NULL, 0 },
};

int
cli_create_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  pith_create_options *o = data;
  bool is_run = strcmp (cli->command, "run") == 0;

  switch (opt)
    {
    case 'b':
      o->bundle = arg;
      return 0;
    case OPT_PID_FILE:
      o->pid_file = arg;
      return 0;
    case OPT_CONSOLE_SOCKET:
      o->console_socket = arg;
      return 0;
    case OPT_PRESERVE_FDS:
      return cli_parse_int (cli, "--preserve-fds", arg, &o->preserve_fds);
    case OPT_NO_PIVOT:
      o->flags |= PITH_CREATE_NO_PIVOT;
      return 0;
    case OPT_NO_NEW_KEYRING:
      o->flags |= PITH_CREATE_NO_NEW_KEYRING;
      return 0;
    case 'd':
    case OPT_KEEP:
    case OPT_NO_SUBREAPER:
      if (!is_run)
        break;
      o->flags |= opt == 'd' ? PITH_RUN_DETACH : opt == OPT_KEEP ? PITH_RUN_KEEP : PITH_RUN_NO_SUBREAPER;
      return 0;
    }
  cli->err.msg = strdup ("create: --detach, --keep and --no-subreaper are flags of `run`");
  return -1;
}

int
cmd_create (struct cli *cli, int argc, char **argv)
{
  pith_create_options opts = { 0 };
  const char *id;
  int first = cli_parse (cli, argc, argv, CLI_CREATE_SHORTOPTS, cli_create_options, false, cli_create_flag, &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_create (&cli->ctx, id, &opts, &cli->err);
}
