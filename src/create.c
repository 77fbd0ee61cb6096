/* pith create ID: set up the container; its program waits for `start`.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

static const struct cli_flag create_flag_table[] = {
  CLI_CREATE_FLAGS,
  CLI_FLAGS_END,
};

int
cli_create_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  pith_create_options *o = data;

  switch (opt)
    {
    case 'b':
      o->bundle = arg;
      return 0;
    case CLI_OPT_PID_FILE:
      o->pid_file = arg;
      return 0;
    case CLI_OPT_CONSOLE_SOCKET:
      o->console_socket = arg;
      return 0;
    case CLI_OPT_PRESERVE_FDS:
      return cli_parse_int (cli, "--preserve-fds", arg, &o->preserve_fds);
    case CLI_OPT_NO_PIVOT:
      o->flags |= PITH_CREATE_NO_PIVOT;
      return 0;
    case CLI_OPT_NO_NEW_KEYRING:
      o->flags |= PITH_CREATE_NO_NEW_KEYRING;
      return 0;
    case 'd':
      o->flags |= PITH_RUN_DETACH;
      return 0;
    case CLI_OPT_KEEP:
      o->flags |= PITH_RUN_KEEP;
      return 0;
    case CLI_OPT_NO_SUBREAPER:
      o->flags |= PITH_RUN_NO_SUBREAPER;
      return 0;
    }
  return cli_error (cli, "%s: unexpected flag %d", cli->command, opt);
}

static int
cmd_create (struct cli *cli, int argc, char **argv)
{
  pith_create_options opts = { 0 };
  const char *id;
  int first = cli_parse (cli, argc, argv, false, cli_create_flag, &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_create (&cli->ctx, id, &opts, &cli->err);
}

const struct cli_command cli_create = {
  "create", "ID", "Create a container from a bundle; its program waits for `pith start`.", create_flag_table,
  cmd_create,
};
