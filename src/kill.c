/* pith kill ID [SIGNAL]: signal the container (SIGTERM by default).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <signal.h>

#include "cli.h"

static const struct cli_flag kill_flag_table[] = {
  { "all", 'a', NULL, "signal every process of the container, not only its init" },
  CLI_FLAGS_END,
};

static int
cmd_kill (struct cli *cli, int argc, char **argv)
{
  bool all = false;
  int signo = SIGTERM;
  const char *id;
  int first = cli_parse (cli, argc, argv, false, cli_bool_flag, &all);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 1, &id) < 0)
    return -1;
  if (first + 1 < argc && pith_signal_parse (argv[first + 1], &signo, &cli->err) < 0)
    return -1;
  return pith_container_kill (&cli->ctx, id, signo, all, &cli->err);
}

const struct cli_command cli_kill = {
  "kill", "ID [SIGNAL]", "Send SIGNAL (a number or a name; default SIGTERM) to the container.", kill_flag_table,
  cmd_kill,
};
