/* pith state ID: the runtime-spec state as JSON.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static int
cmd_state (struct cli *cli, int argc, char **argv)
{
  const char *id;
  char *json;
  int first = cli_parse (cli, argc, argv, false, cli_no_flag, NULL);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  if (pith_container_state (&cli->ctx, id, &json, &cli->err) < 0)
    return -1;
  fputs (json, stdout);
  free (json);
  return 0;
}

const struct cli_command cli_state = {
  "state", "ID", "Print the state of a container as JSON.", cli_no_flags, cmd_state,
};
