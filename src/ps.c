/* pith ps [--format table|json] ID [ps(1) options]: the container's
 * processes, as a JSON array of pids or as ps(1) lines (default "-ef")
 * for those pids, as runc prints them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_flag ps_flag_table[] = {
  { "format", 'f', "table|json", "ps(1) lines (default) or a JSON array of host pids" },
  CLI_FLAGS_END,
};

static int
ps_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  (void) opt;
  if (strcmp (arg, "json") != 0 && strcmp (arg, "table") != 0)
    {
      cli->err.msg = strdup ("ps: --format must be table or json");
      return -1;
    }
  *(bool *) data = strcmp (arg, "json") == 0;
  return 0;
}

static bool
listed (pid_t pid, const pid_t *pids, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Runs ps with ARGS and keeps its header and the lines of PIDS. */
static int
print_table (struct cli *cli, char **args, int nargs, const pid_t *pids, size_t n)
{
  char **argv = calloc ((size_t) nargs + 3, sizeof *argv);
  int fds[2], status, pid_column = -1;
  char *line = NULL;
  size_t cap = 0;
  bool header = true;
  FILE *out;
  pid_t child;

  if (argv == NULL || pipe (fds) < 0)
    abort ();
  argv[0] = (char *) "ps";
  for (int i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  if (nargs == 0)
    argv[1] = (char *) "-ef";
  child = fork ();
  if (child == 0)
    {
      dup2 (fds[1], STDOUT_FILENO);
      close (fds[0]);
      close (fds[1]);
      execvp ("ps", argv);
      _exit (127);
    }
  free (argv);
  close (fds[1]);
  out = fdopen (fds[0], "r");
  while (out && getline (&line, &cap, out) > 0)
    {
      char *copy = strdup (line), *saveptr = NULL, *tok;
      int col = 0;
      bool show = header;

      for (tok = strtok_r (copy, " \t\n", &saveptr); tok; tok = strtok_r (NULL, " \t\n", &saveptr), col++)
        {
          if (header && strcmp (tok, "PID") == 0)
            pid_column = col;
          else if (!header && col == pid_column)
            show = listed ((pid_t) atoi (tok), pids, n);
        }
      free (copy);
      if (header && pid_column < 0)
        {
          cli->err.msg = strdup ("ps: the ps(1) output has no PID column");
          break;
        }
      if (show)
        fputs (line, stdout);
      header = false;
    }
  free (line);
  if (out)
    fclose (out);
  waitpid (child, &status, 0);
  if (cli->err.msg)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      cli->err.msg = strdup ("ps: ps(1) failed");
      return -1;
    }
  return 0;
}

static int
cmd_ps (struct cli *cli, int argc, char **argv)
{
  bool json = false;
  pid_t *pids;
  size_t n;
  int ret;
  /* Options after the id belong to ps(1). */
  int first = cli_parse (cli, argc, argv, true, ps_flag, &json);

  if (first < 0)
    return -1;
  if (first >= argc)
    {
      cli->err.msg = strdup ("ps: missing the container id");
      return -1;
    }
  if (json && first + 1 < argc)
    {
      cli->err.msg = strdup ("ps: ps(1) options make no sense with --format json");
      return -1;
    }
  if (pith_container_processes (&cli->ctx, argv[first], &pids, &n, &cli->err) < 0)
    return -1;
  if (json)
    {
      fputs ("[", stdout);
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      fputs ("]\n", stdout);
      ret = 0;
    }
  else
    {
      fflush (stdout);
      ret = print_table (cli, argv + first + 1, argc - first - 1, pids, n);
    }
  free (pids);
  return ret;
}

const struct cli_command cli_ps = {
  "ps", "ID [PS OPTIONS]", "List the container's processes (PS OPTIONS go to ps(1), default -ef).", ps_flag_table,
  cmd_ps,
};
