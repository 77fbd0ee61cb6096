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
  OPT_SETTING = 1000, /* + index in update_flag_table */
};

static const struct cli_flag update_flag_table[] = {
  { "resources", 'r', "FILE", "a linux.resources JSON document (- for standard input)" },
  { "blkio-weight", OPT_SETTING + 1, "N", "block IO weight (10-1000)" },
  { "cpu-period", OPT_SETTING + 2, "US", "CPU CFS period" },
  { "cpu-quota", OPT_SETTING + 3, "US", "CPU CFS quota" },
  { "cpu-burst", OPT_SETTING + 4, "US", "CPU CFS burst" },
  { "cpu-share", OPT_SETTING + 5, "N", "CPU shares (as --cpu-shares)" },
  { "cpu-shares", OPT_SETTING + 6, "N", "CPU shares (relative weight)" },
  { "cpu-rt-period", OPT_SETTING + 7, "US", "real-time period" },
  { "cpu-rt-runtime", OPT_SETTING + 8, "US", "real-time runtime" },
  { "cpuset-cpus", OPT_SETTING + 9, "LIST", "CPUs allowed (0-3,7)" },
  { "cpuset-mems", OPT_SETTING + 10, "LIST", "memory nodes allowed" },
  { "cpu-idle", OPT_SETTING + 11, "0|1", "SCHED_IDLE for the cgroup" },
  { "memory", OPT_SETTING + 12, "BYTES", "memory limit (k, m, g, t suffixes; -1: unlimited)" },
  { "memory-reservation", OPT_SETTING + 13, "BYTES", "memory soft limit" },
  { "memory-swap", OPT_SETTING + 14, "BYTES", "memory plus swap limit" },
  { "kernel-memory", OPT_SETTING + 15, "BYTES", "kernel memory limit (cgroup v1)" },
  { "kernel-memory-tcp", OPT_SETTING + 16, "BYTES", "kernel TCP buffer limit (cgroup v1)" },
  { "pids-limit", OPT_SETTING + 17, "N", "maximum number of processes" },
  { "l3-cache-schema", OPT_SETTING + 18, "SCHEMA", "refused: no Intel RDT updates" },
  { "mem-bw-schema", OPT_SETTING + 19, "SCHEMA", "refused: no Intel RDT updates" },
  CLI_FLAGS_END,
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
  if (f->settings == NULL || asprintf (&f->settings[f->n], "%s=%s", update_flag_table[opt - OPT_SETTING].name, arg) < 0)
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

static int
cmd_update (struct cli *cli, int argc, char **argv)
{
  struct update_flags flags = { 0 };
  char *json = NULL;
  const char *id;
  int ret = -1;
  int first = cli_parse (cli, argc, argv, false, update_flag, &flags);

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

const struct cli_command cli_update = {
  "update", "ID", "Change the cgroup limits of a container.", update_flag_table, cmd_update,
};
