/* pith list: the containers under --root, as a table, ids or JSON.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"

struct list_flags
{
  bool quiet;
  bool json;
};

static const struct cli_flag list_flag_table[] = {
  { "quiet", 'q', NULL, "print only the ids" },
  { "format", 'f', "table|json", "output format (default table)" },
  CLI_FLAGS_END,
};

static int
list_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  struct list_flags *f = data;

  if (opt == 'q')
    f->quiet = true;
  else if (strcmp (arg, "json") == 0 || strcmp (arg, "table") == 0)
    f->json = strcmp (arg, "json") == 0;
  else
    {
      cli->err.msg = strdup ("list: --format must be table or json");
      return -1;
    }
  return 0;
}

static void
print_table (const pith_list_entry *e, size_t n)
{
  static const char *const headers[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  int width[6];

  for (int c = 0; c < 6; c++)
    width[c] = (int) strlen (headers[c]);
  for (size_t i = 0; i < n; i++)
    {
      const char *cells[6] = { e[i].id, "", e[i].status, e[i].bundle, e[i].created, e[i].owner };
      char pid[16];
      snprintf (pid, sizeof pid, "%d", (int) e[i].pid);
      cells[1] = pid;
      for (int c = 0; c < 6; c++)
        if ((int) strlen (cells[c]) > width[c])
          width[c] = (int) strlen (cells[c]);
    }
  printf ("%-*s   %-*s   %-*s   %-*s   %-*s   %s\n", width[0], headers[0], width[1], headers[1], width[2], headers[2],
          width[3], headers[3], width[4], headers[4], headers[5]);
  for (size_t i = 0; i < n; i++)
    printf ("%-*s   %-*d   %-*s   %-*s   %-*s   %s\n", width[0], e[i].id, width[1], (int) e[i].pid, width[2],
            e[i].status, width[3], e[i].bundle, width[4], e[i].created, e[i].owner);
}

static int
cmd_list (struct cli *cli, int argc, char **argv)
{
  struct list_flags flags = { 0 };
  pith_list_entry *entries;
  size_t n;
  int first = cli_parse (cli, argc, argv, false, list_flag, &flags);

  if (first < 0)
    return -1;
  if (first < argc)
    {
      cli->err.msg = strdup ("list: takes no arguments");
      return -1;
    }
  if (pith_container_list (&cli->ctx, &entries, &n, &cli->err) < 0)
    return -1;
  if (flags.quiet)
    for (size_t i = 0; i < n; i++)
      puts (entries[i].id);
  else if (flags.json)
    {
      fputs ("[", stdout);
      for (size_t i = 0; i < n; i++)
        printf ("%s%s", i ? "," : "", entries[i].state_json ? entries[i].state_json : "null");
      fputs ("]\n", stdout);
    }
  else
    print_table (entries, n);
  pith_list_free (entries, n);
  return 0;
}

const struct cli_command cli_list = {
  "list", "", "List the containers under the state root.", list_flag_table, cmd_list,
};
