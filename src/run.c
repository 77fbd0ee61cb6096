/* pith run ID: create and start; in the foreground, wait and exit with the
 * container's status.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

static const struct cli_flag run_flag_table[] = {
  CLI_CREATE_FLAGS,
  { "detach", 'd', NULL, "return once the container has started, leaving it running" },
  { "keep", CLI_OPT_KEEP, NULL, "do not delete the container when it has exited" },
  { "no-subreaper", CLI_OPT_NO_SUBREAPER, NULL, "do not make pith a child subreaper" },
  CLI_FLAGS_END,
};

static int
cmd_run (struct cli *cli, int argc, char **argv)
{
  pith_create_options opts = { 0 };
  const char *id;
  int status;
  int first = cli_parse (cli, argc, argv, false, cli_create_flag, &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  if (pith_container_run (&cli->ctx, id, &opts, &status, &cli->err) < 0)
    return -1;
  return status;
}

const struct cli_command cli_run = {
  "run", "ID", "Create and start a container; in the foreground, wait and exit with its status.", run_flag_table,
  cmd_run,
};
