/* pith exec [flags] ID [COMMAND [ARG...]]: a new process in a running
 * container.  Flags stop at ID: what follows is the command, its own flags
 * included.  Like runc, any failure of exec itself exits 255, so that it
 * stands apart from the process's own exit status.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define EXEC_FAILED 255

enum
{
  OPT_CONSOLE_SOCKET = 1000,
  OPT_CWD,
  OPT_PID_FILE,
  OPT_PROCESS_LABEL,
  OPT_APPARMOR,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
};

static const struct cli_flag exec_flag_table[] = {
  { "process", 'p', "FILE", "the process to run: a runtime-spec process.json" },
  { "tty", 't', NULL, "give the process a new pseudo-terminal" },
  { "detach", 'd', NULL, "return once the process runs, instead of waiting for it" },
  { "pid-file", OPT_PID_FILE, "FILE", "write the process's host pid to FILE" },
  { "console-socket", OPT_CONSOLE_SOCKET, "SOCKET", "send the terminal's master side to this unix socket" },
  { "cwd", OPT_CWD, "DIR", "the working directory" },
  { "env", 'e', "NAME=VALUE", "set a variable (repeatable)" },
  { "user", 'u', "UID[:GID]", "numeric user and group" },
  { "additional-gids", 'g', "GID", "add a supplementary group (repeatable)" },
  { "cap", 'c', "CAP_NAME", "add a capability (repeatable)" },
  { "no-new-privs", OPT_NO_NEW_PRIVS, NULL, "set noNewPrivileges" },
  { "apparmor", OPT_APPARMOR, "PROFILE", "the AppArmor profile" },
  { "process-label", OPT_PROCESS_LABEL, "LABEL", "the SELinux label" },
  { "preserve-fds", OPT_PRESERVE_FDS, "N", "pass fds 3 .. 3+N-1 on to the process" },
  { "cgroup", OPT_CGROUP, "[CONTROLLER[,...]:]PATH", "run in this existing sub-cgroup (repeatable)" },
  { "ignore-paused", OPT_IGNORE_PAUSED, NULL, "allow a paused container (the process waits for resume)" },
  CLI_FLAGS_END,
};

struct exec_flags
{
  pith_exec_options o;
  char **env, **caps, **cgroups; /* NULL-terminated, the strings are argv's */
  size_t n_env, n_caps, n_cgroups;
  gid_t *gids;
};

/* Appends to a NULL-terminated list of argv strings. */
static void
push (char ***list, size_t *n, char *s)
{
  char **l = realloc (*list, (*n + 2) * sizeof *l);

  if (l == NULL)
    abort ();
  l[(*n)++] = s;
  l[*n] = NULL;
  *list = l;
}

static int
parse_id (const char *s, unsigned long *out)
{
  char *end;

  errno = 0;
  if (s[0] < '0' || s[0] > '9')
    return -1;
  *out = strtoul (s, &end, 10);
  return errno || *end || *out > 0xfffffffeUL ? -1 : 0;
}

/* --user uid[:gid], numbers as runc takes them. */
static int
parse_user (struct cli *cli, char *arg, pith_exec_options *o)
{
  char *colon = strchr (arg, ':');
  unsigned long v;

  if (colon)
    {
      *colon = '\0';
      if (parse_id (colon + 1, &v) < 0)
        return cli_error (cli, "--user: \"%s\" is not a numeric gid", colon + 1);
      o->gid = (gid_t) v;
      o->gid_present = true;
    }
  if (parse_id (arg, &v) < 0)
    return cli_error (cli, "--user: \"%s\" is not a numeric uid (uid[:gid])", arg);
  o->uid = (uid_t) v;
  o->uid_present = true;
  return 0;
}

static int
exec_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  struct exec_flags *f = data;
  pith_exec_options *o = &f->o;
  unsigned long v;

  switch (opt)
    {
    case OPT_CONSOLE_SOCKET:
      o->console_socket = arg;
      return 0;
    case OPT_CWD:
      o->cwd = arg;
      return 0;
    case 'e':
      if (strchr (arg, '=') == NULL)
        return cli_error (cli, "--env: \"%s\" is not NAME=VALUE", arg);
      push (&f->env, &f->n_env, (char *) arg);
      return 0;
    case 't':
      o->flags |= PITH_EXEC_TTY;
      return 0;
    case 'u':
      return parse_user (cli, (char *) arg, o);
    case 'g':
      if (parse_id (arg, &v) < 0)
        return cli_error (cli, "--additional-gids: \"%s\" is not a gid", arg);
      f->gids = realloc (f->gids, (o->additional_gids_len + 1) * sizeof *f->gids);
      if (f->gids == NULL)
        abort ();
      f->gids[o->additional_gids_len++] = (gid_t) v;
      o->additional_gids = f->gids;
      return 0;
    case 'p':
      o->process_file = arg;
      return 0;
    case 'd':
      o->flags |= PITH_EXEC_DETACH;
      return 0;
    case OPT_PID_FILE:
      o->pid_file = arg;
      return 0;
    case OPT_PROCESS_LABEL:
      o->selinux_label = arg;
      return 0;
    case OPT_APPARMOR:
      o->apparmor_profile = arg;
      return 0;
    case OPT_NO_NEW_PRIVS:
      o->flags |= PITH_EXEC_NO_NEW_PRIVS;
      return 0;
    case 'c':
      push (&f->caps, &f->n_caps, (char *) arg);
      return 0;
    case OPT_PRESERVE_FDS:
      return cli_parse_int (cli, "--preserve-fds", arg, &o->preserve_fds);
    case OPT_CGROUP:
      push (&f->cgroups, &f->n_cgroups, (char *) arg);
      return 0;
    case OPT_IGNORE_PAUSED:
      o->flags |= PITH_EXEC_IGNORE_PAUSED;
      return 0;
    }
  return cli_error (cli, "exec: unexpected flag %d", opt);
}

/* runc's wording, which callers know: "exec failed: <why>". */
static void
failed (struct cli *cli)
{
  char *msg = NULL;

  if (cli->err.msg && asprintf (&msg, "exec failed: %s", cli->err.msg) >= 0)
    {
      free (cli->err.msg);
      cli->err.msg = msg;
    }
}

static int
cmd_exec (struct cli *cli, int argc, char **argv)
{
  struct exec_flags f = { 0 };
  const char *id;
  int first, status = 0, ret = -1;

  /* As runc: a usage error exits 1, a failure of exec itself 255. */
  first = cli_parse (cli, argc, argv, true, exec_flag, &f);
  if (first < 0)
    goto out;
  if (first >= argc)
    {
      cli_error (cli, "exec: missing the container id");
      goto out;
    }
  id = argv[first];
  if (first + 1 >= argc && f.o.process_file == NULL)
    {
      cli_error (cli, "exec: missing the command to run (or --process FILE)");
      goto out;
    }
  cli->failure_status = EXEC_FAILED;
  f.o.args = first + 1 < argc ? argv + first + 1 : NULL;
  f.o.env = f.env;
  f.o.caps = f.caps;
  f.o.cgroups = f.cgroups;
  ret = pith_container_exec (&cli->ctx, id, &f.o, &status, &cli->err);
  if (ret < 0)
    failed (cli);
out:
  free (f.env);
  free (f.caps);
  free (f.cgroups);
  free (f.gids);
  return ret < 0 ? -1 : status;
}

const struct cli_command cli_exec = {
  "exec", "ID COMMAND [ARG...] | --process FILE ID", "Run a new process in a created or running container.",
  exec_flag_table, cmd_exec,
};
