/* pith features: what this build implements, as runtime-spec features.md JSON.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_features (struct cli *cli, int argc, char **argv)
{
  char *json;
  int first = cli_parse (cli, argc, argv, false, cli_no_flag, NULL);

  if (first < 0)
    return -1;
  if (first < argc)
    {
      cli->err.msg = strdup ("features: takes no arguments");
      return -1;
    }
  if (pith_features (&json, &cli->err) < 0)
    return -1;
  fputs (json, stdout);
  free (json);
  return 0;
}

const struct cli_command cli_features = {
  "features", "", "Print what this build supports, as runtime-spec features JSON.", cli_no_flags, cmd_features,
};
