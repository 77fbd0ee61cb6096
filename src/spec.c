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

enum
{
  OPT_ROOTLESS = 1000,
};

static const struct cli_flag spec_flag_table[] = {
  { "bundle", 'b', "DIR", "write DIR/config.json (default: the current directory)" },
  { "rootless", OPT_ROOTLESS, NULL, "a configuration for an unprivileged user (user namespace, id mappings)" },
  CLI_FLAGS_END,
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

static int
cmd_spec (struct cli *cli, int argc, char **argv)
{
  struct spec_flags flags = { 0 };
  int first = cli_parse (cli, argc, argv, false, spec_flag, &flags);

  if (first < 0)
    return -1;
  if (first < argc)
    {
      cli->err.msg = strdup ("spec: takes no arguments");
      return -1;
    }
  return pith_spec_write (flags.bundle, flags.rootless, &cli->err);
}

const struct cli_command cli_spec = {
  "spec", "", "Write a default config.json (never over an existing one).", spec_flag_table, cmd_spec,
};
