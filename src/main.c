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

static const struct
{
  const char *name;
  int (*fn) (struct cli *cli, int argc, char **argv);
} commands[] = {
  { "create", cmd_create }, { "delete", cmd_delete }, { "features", cmd_features }, { "kill", cmd_kill },
  { "list", cmd_list },     { "run", cmd_run },       { "spec", cmd_spec },         { "start", cmd_start },
  { "state", cmd_state },
  { "update", cmd_update }, { "pause", cmd_pause }, { "resume", cmd_resume }, { "ps", cmd_ps },
  { "events", cmd_events }, { "exec", cmd_exec },
};

static void
usage (FILE *f)
{
  fputs ("usage: pith [global flags] COMMAND [flags] [args]\n"
         "\n"
         "global flags: --root DIR, --log FILE, --log-format text|json, --debug,\n"
         "              --systemd-cgroup, --rootless true|false|auto, --version, --help\n"
         "commands:     create start run state kill delete list spec features\n"
         "              update pause resume ps events exec\n"
         "See pith(1) for each command's flags.\n",
         f);
}

static void
print_version (void)
{
  printf ("pith version %s\ncommit: %s\nspec: %s\n", pith_version (), pith_commit (), PITH_OCI_VERSION);
}

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

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
  int opt, ret;

  opterr = 0;
  while ((opt = getopt_long (argc, argv, "+vh", global_options, NULL)) != -1)
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
        default:
          fprintf (stderr, "pith: unknown global flag `%s`\n", argv[optind - 1]);
          usage (stderr);
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
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, cli.command) == 0)
      {
        int first = optind;

        /* Each command parses its own flags, its name being argv[0]. */
        optind = 0;
        ret = commands[i].fn (&cli, argc - first, argv + first);
        goto done;
      }
  fprintf (stderr, "pith: unknown command `%s`\n", cli.command);
  usage (stderr);
  return 1;

done:
  if (ret < 0)
    return fail (&cli, &sink);
  return ret;
}
