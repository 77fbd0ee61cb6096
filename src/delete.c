/* pith delete ID: remove a stopped (or, with --force, any) container.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

static const struct option delete_options[] = {
  { "force", no_argument, NULL, 'f' },
  { NULL, 0, NULL, 0 },
};

int
cmd_delete (struct cli *cli, int argc, char **argv)
{
  bool force = false;
  const char *id;
  int first = cli_parse (cli, argc, argv, "f", delete_options, false, cli_bool_flag, &force);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_delete (&cli->ctx, id, force, &cli->err);
}
