/* pith delete ID: remove a stopped (or, with --force, any) container.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

static const struct cli_flag delete_flag_table[] = {
  { "force", 'f', NULL, "kill a running or paused container first" },
  CLI_FLAGS_END,
};

static int
cmd_delete (struct cli *cli, int argc, char **argv)
{
  bool force = false;
  const char *id;
  int first = cli_parse (cli, argc, argv, false, cli_bool_flag, &force);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_delete (&cli->ctx, id, force, &cli->err);
}

const struct cli_command cli_delete = {
  "delete", "ID", "Remove a stopped container (any container with --force).", delete_flag_table, cmd_delete,
};
