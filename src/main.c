/* pith: global flags, logging, dispatch.  Only this file prints errors and
 * decides the exit status.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct log_sink
{
  int fd;    /* --log file, or -1 */
  bool json; /* --log-format json */
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void
write_json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        fprintf (f, "\\%c", *p);
      else if (*p == '\n')
        fputs ("\\n", f);
      else if (*p == '\t')
        fputs ("\\t", f);
      else if (*p < 0x20)
        fprintf (f, "\\u%04x", *p);
      else
        fputc (*p, f);
    }
  fputc ('"', f);
}

static void
log_line (void *arg, enum pith_log_level level, const char *msg)
{
  struct log_sink *sink = arg;
  char stamp[64], frac[16];
  struct timespec ts;
  struct tm tm;
  char *line = NULL;
  size_t len = 0;
  FILE *f;

  /* Without --log, warnings and debug output go to stderr; errors are
   * printed by main() itself. */
  if (sink->fd < 0)
    {
      if (level != PITH_LOG_ERROR)
        fprintf (stderr, "pith: %s: %s\n", level_names[level], msg);
      return;
    }
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (frac, sizeof frac, ".%09ldZ", ts.tv_nsec);
  f = open_memstream (&line, &len);
  if (f == NULL)
    return;
  if (sink->json)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":", level_names[level]);
      write_json_string (f, msg);
      fprintf (f, ",\"time\":\"%s%s\"}\n", stamp, frac);
    }
  else
    {
      fprintf (f, "time=\"%s%s\" level=%s msg=", stamp, frac, level_names[level]);
      write_json_string (f, msg);
      fputc ('\n', f);
    }
  fclose (f);
  /* One write per line: concurrent pith processes may share the file. */
  if (write (sink->fd, line, len) < 0)
    fprintf (stderr, "pith: cannot write log: %s\n", strerror (errno));
  free (line);
}

/* The dispatch table, in the order `pith --help` lists them. */
static const struct cli_command *const commands[] = {
  &cli_create, &cli_start, &cli_run,   &cli_exec,   &cli_state, &cli_list,   &cli_kill,     &cli_delete,
  &cli_pause,  &cli_resume, &cli_update, &cli_ps,   &cli_events, &cli_spec, &cli_features, &cli_checkpoint,
  &cli_restore,
};

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_CGROUP_MANAGER,
  OPT_ROOTLESS,
};

static const struct cli_flag global_flags[] = {
  { "root", OPT_ROOT, "DIR", "keep container state under DIR (default " PITH_DEFAULT_STATE_ROOT ")" },
  { "log", OPT_LOG, "FILE", "also write log messages to FILE" },
  { "log-format", OPT_LOG_FORMAT, "text|json", "format of the --log file (default text)" },
  { "debug", OPT_DEBUG, NULL, "also log debug messages" },
  { "systemd-cgroup", OPT_SYSTEMD_CGROUP, NULL,
    "the cgroup is a transient systemd scope (as --cgroup-manager systemd)" },
  { "cgroup-manager", OPT_CGROUP_MANAGER, "cgroupfs|systemd|disabled",
    "who makes the cgroup (default cgroupfs); disabled: no cgroup at all" },
  { "rootless", OPT_ROOTLESS, "true|false|auto", "accepted for compatibility" },
  { "version", 'v', NULL, "print the version and exit" },
  { "help", 'h', NULL, "print this help and exit" },
  CLI_FLAGS_END,
};

static void
usage (FILE *f)
{
  fputs ("usage: pith [global flags] COMMAND [flags] [args]\n\nglobal flags:\n", f);
  cli_print_flags (f, global_flags);
  fputs ("\ncommands:\n", f);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
  fputs ("\n`pith COMMAND --help` (or `pith help COMMAND`) lists a command's flags; see also pith(1).\n", f);
}

static void
print_version (void)
{
  printf ("pith version %s\ncommit: %s\nspec: %s\n", pith_version (), pith_commit (), PITH_OCI_VERSION);
}

static int
set_cgroup_manager (pith_context *ctx, const char *value)
{
  if (strcmp (value, "cgroupfs") == 0)
    ctx->systemd_cgroup = ctx->cgroup_disabled = false;
  else if (strcmp (value, "systemd") == 0)
    {
      ctx->systemd_cgroup = true;
      ctx->cgroup_disabled = false;
    }
  else if (strcmp (value, "disabled") == 0)
    {
      ctx->systemd_cgroup = false;
      ctx->cgroup_disabled = true;
    }
  else
    {
      fprintf (stderr, "pith: --cgroup-manager: \"%s\" is not cgroupfs, systemd or disabled\n", value);
      return -1;
    }
  return 0;
}

static void
free_options (struct option **p)
{
  free (*p);
}

static const struct cli_command *
find_command (const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

static int
fail (struct cli *cli, struct log_sink *sink)
{
  const char *msg = cli->err.msg ? cli->err.msg : "unknown error";

  fprintf (stderr, "pith: %s\n", msg);
  if (sink->fd >= 0)
    log_line (sink, PITH_LOG_ERROR, msg);
  pith_error_release (&cli->err);
  return cli->failure_status ? cli->failure_status : 1;
}

int
main (int argc, char **argv)
{
  struct log_sink sink = { .fd = -1 };
  struct cli cli = { .ctx = { .log = log_line, .log_arg = &sink } };
  const char *log_path = NULL;
  char optstring[32] = "+:";
  struct option *global_options __attribute__ ((cleanup (free_options)))
       = cli_getopt_table (global_flags, false, optstring, sizeof optstring);
  char *help_argv[3] = { NULL, (char *) "--help", NULL };
  int opt, ret;

  opterr = 0;
  while ((opt = getopt_long (argc, argv, optstring, global_options, NULL)) != -1)
    {
      switch (opt)
        {
        case OPT_ROOT:
          cli.ctx.state_root = optarg;
          break;
        case OPT_LOG:
          log_path = optarg;
          break;
        case OPT_LOG_FORMAT:
          if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0)
            {
              fprintf (stderr, "pith: --log-format: \"%s\" is not text or json\n", optarg);
              return 1;
            }
          sink.json = strcmp (optarg, "json") == 0;
          break;
        case OPT_DEBUG:
          cli.ctx.debug = true;
          break;
        case OPT_SYSTEMD_CGROUP:
          cli.ctx.systemd_cgroup = true;
          cli.ctx.cgroup_disabled = false;
          break;
        case OPT_CGROUP_MANAGER:
          if (set_cgroup_manager (&cli.ctx, optarg) < 0)
            return 1;
          break;
        case OPT_ROOTLESS:
          if (strcmp (optarg, "true") != 0 && strcmp (optarg, "false") != 0 && strcmp (optarg, "auto") != 0)
            {
              fprintf (stderr, "pith: --rootless: \"%s\" is not true, false or auto\n", optarg);
              return 1;
            }
          break;
        case 'v':
          print_version ();
          return 0;
        case 'h':
          usage (stdout);
          return 0;
        case ':':
          fprintf (stderr, "pith: global flag `%s` needs a value\n", argv[optind - 1]);
          return 1;
        default:
          fprintf (stderr, "pith: unknown global flag `%s` (see `pith --help`)\n", argv[optind - 1]);
          return 1;
        }
    }
  if (log_path)
    {
      sink.fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (sink.fd < 0)
        {
          fprintf (stderr, "pith: open log `%s`: %s\n", log_path, strerror (errno));
          return 1;
        }
    }
  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  cli.command = argv[optind];
  /* `pith help [COMMAND]`: the global help, or COMMAND --help. */
  if (strcmp (cli.command, "help") == 0)
    {
      if (optind + 1 >= argc)
        {
          usage (stdout);
          return 0;
        }
      cli.command = help_argv[0] = argv[optind + 1];
      argc = 2;
      argv = help_argv;
      optind = 0;
    }
  cli.cmd = find_command (cli.command);
  if (cli.cmd == NULL)
    {
      fprintf (stderr, "pith: unknown command `%s` (see `pith --help`)\n", cli.command);
      return 1;
    }
  {
    int first = optind;

    /* Each command parses its own flags, its name being argv[0]. */
    optind = 0;
    ret = cli.cmd->run (&cli, argc - first, argv + first);
  }
  if (cli.done)
    return 0;
  if (ret < 0)
    return fail (&cli, &sink);
  return ret;
}
