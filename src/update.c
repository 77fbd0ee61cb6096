/* pith update [--resources FILE|-] [runc's per-resource flags] ID: change
 * the cgroup limits of a container.  The flags apply over the document.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum
{
  OPT_SETTING = 1000, /* + index in update_options */
};

static const struct option update_options[] = {
  { "resources", required_argument, NULL, 'r' },
  { "blkio-weight", required_argument, NULL, OPT_SETTING + 1 },
  { "cpu-period", required_argument, NULL, OPT_SETTING + 2 },
  { "cpu-quota", required_argument, NULL, OPT_SETTING + 3 },
  { "cpu-burst", required_argument, NULL, OPT_SETTING + 4 },
  { "cpu-share", required_argument, NULL, OPT_SETTING + 5 },
  { "cpu-shares", required_argument, NULL, OPT_SETTING + 6 },
  { "cpu-rt-period", required_argument, NULL, OPT_SETTING + 7 },
  { "cpu-rt-runtime", required_argument, NULL, OPT_SETTING + 8 },
  { "cpuset-cpus", required_argument, NULL, OPT_SETTING + 9 },
  { "cpuset-mems", required_argument, NULL, OPT_SETTING + 10 },
  { "cpu-idle", required_argument, NULL, OPT_SETTING + 11 },
  { "memory", required_argument, NULL, OPT_SETTING + 12 },
  { "memory-reservation", required_argument, NULL, OPT_SETTING + 13 },
  { "memory-swap", required_argument, NULL, OPT_SETTING + 14 },
  { "kernel-memory", required_argument, NULL, OPT_SETTING + 15 },
  { "kernel-memory-tcp", required_argument, NULL, OPT_SETTING + 16 },
  { "pids-limit", required_argument, NULL, OPT_SETTING + 17 },
  { "l3-cache-schema", required_argument, NULL, OPT_SETTING + 18 },
  { "mem-bw-schema", required_argument, NULL, OPT_SETTING + 19 },
  { NULL, 0, NULL, 0 },
};

struct update_flags
{
  const char *resources; /* FILE or "-" */
  char **settings;       /* "name=value", NULL-terminated */
  size_t n;
};

static int
update_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  struct update_flags *f = data;

  (void) cli;
  if (opt == 'r')
    {
      f->resources = arg;
      return 0;
    }
  f->settings = realloc (f->settings, (f->n + 2) * sizeof *f->settings);
  if (f->settings == NULL || asprintf (&f->settings[f->n], "%s=%s", update_options[opt - OPT_SETTING].name, arg) < 0)
    abort ();
  f->settings[++f->n] = NULL;
  return 0;
}

/* The --resources document: a file, or standard input for "-". */
static char *
read_document (struct cli *cli, const char *path)
{
  FILE *in = strcmp (path, "-") == 0 ? stdin : fopen (path, "re");
  char *data = NULL;
  size_t len = 0, cap = 0, n;

  if (in == NULL)
    {
      if (asprintf (&cli->err.msg, "update: --resources `%s`: %s", path, strerror (errno)) < 0)
        abort ();
      return NULL;
    }
  do
    {
      if (len + 4096 + 1 > cap)
        {
          cap = (cap + 4096) * 2;
          data = realloc (data, cap);
          if (data == NULL)
            abort ();
        }
      n = fread (data + len, 1, cap - len - 1, in);
      len += n;
    }
  while (n > 0);
  data[len] = '\0';
  if (in != stdin)
    fclose (in);
  return data;
}

int
cmd_update (struct cli *cli, int argc, char **argv)
{
  struct update_flags flags = { 0 };
  char *json = NULL;
  const char *id;
  int ret = -1;
  int first = cli_parse (cli, argc, argv, "r:", update_options, false, update_flag, &flags);

  if (first >= 0 && cli_take_id (cli, argc, argv, first, 0, &id) == 0)
    {
      if (flags.resources)
        json = read_document (cli, flags.resources);
      if (flags.resources == NULL || json != NULL)
        {
          pith_update_options opts = { .resources_json = json, .settings = (const char *const *) flags.settings };
          ret = pith_container_update (&cli->ctx, id, &opts, &cli->err);
        }
    }
  for (size_t i = 0; i < flags.n; i++)
    free (flags.settings[i]);
  free (flags.settings);
  free (json);
  return ret;
}
