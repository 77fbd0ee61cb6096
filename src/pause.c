/* pith pause ID: freeze every process of the container (state: paused).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

static int
cmd_pause (struct cli *cli, int argc, char **argv)
{
  const char *id;
  int first = cli_parse (cli, argc, argv, false, cli_no_flag, NULL);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_pause (&cli->ctx, id, &cli->err);
}

const struct cli_command cli_pause = {
  "pause", "ID", "Freeze every process of a running container.", cli_no_flags, cmd_pause,
};
