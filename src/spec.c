/* pith spec: write a default config.json.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <string.h>

#include "cli.h"

struct spec_flags
{
  const char *bundle;
  bool rootless;
};

static const struct option spec_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "rootless", no_argument, NULL, 'r' },
  { NULL, 0, NULL, 0 },
};

static int
spec_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  struct spec_flags *f = data;

  (void) cli;
  if (opt == 'b')
    f->bundle = arg;
  else
    f->rootless = true;
  return 0;
}

int
cmd_spec (struct cli *cli, int argc, char **argv)
{
  struct spec_flags flags = { 0 };
  int first = cli_parse (cli, argc, argv, "b:", spec_options, false, spec_flag, &flags);

  if (first < 0)
    return -1;
  if (first < argc)
    {
      cli->err.msg = strdup ("spec: takes no arguments");
      return -1;
    }
  return pith_spec_write (flags.bundle, flags.rootless, &cli->err);
}
