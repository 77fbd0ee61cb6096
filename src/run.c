/* pith run ID: create and start; in the foreground, wait and exit with the
 * container's status.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

int
cmd_run (struct cli *cli, int argc, char **argv)
{
  pith_create_options opts = { 0 };
  const char *id;
  int status;
  int first = cli_parse (cli, argc, argv, CLI_CREATE_SHORTOPTS "d", cli_create_options, false, cli_create_flag,
                         &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  if (pith_container_run (&cli->ctx, id, &opts, &status, &cli->err) < 0)
    return -1;
  return status;
}
