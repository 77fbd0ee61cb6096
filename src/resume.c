/* pith resume ID: thaw a paused container.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

static int
cmd_resume (struct cli *cli, int argc, char **argv)
{
  const char *id;
  int first = cli_parse (cli, argc, argv, false, cli_no_flag, NULL);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_resume (&cli->ctx, id, &cli->err);
}

const struct cli_command cli_resume = {
  "resume", "ID", "Thaw a paused container.", cli_no_flags, cmd_resume,
};
