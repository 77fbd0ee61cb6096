/* The pith command line: flag parsing and output only.  Each command lives
 * in its own file, parses its flags and calls one libpith function.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PITH_CLI_H
#define PITH_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "pith.h"

struct cli;

/* One flag of a command.  The same table drives the parser and --help, so
 * the help cannot drift from what is accepted. */
struct cli_flag
{
  const char *name; /* the long name, without dashes */
  int val;          /* its short letter ('b'), or a value >= 1000 for a long-only flag */
  const char *arg;  /* the value's name in the help ("DIR"); NULL for a switch */
  const char *help; /* one line */
};

/* The end of a flag table. */
#define CLI_FLAGS_END { NULL, 0, NULL, NULL }

struct cli_command
{
  const char *name;
  const char *args;             /* the synopsis after the flags: "ID", "ID [SIGNAL]" */
  const char *summary;          /* one line, for `pith --help` */
  const struct cli_flag *flags; /* ends with CLI_FLAGS_END */
  int (*run) (struct cli *cli, int argc, char **argv);
};

struct cli
{
  pith_context ctx;
  const char *command;
  const struct cli_command *cmd; /* the command being run */
  pith_error err;
  int failure_status; /* exit status when the command fails; 0: 1 */
  bool done;          /* --help was printed: exit 0 without running anything */
};

/* Called for each flag of a command; returns 0, or -1 with cli->err set. */
typedef int (*cli_flag_fn) (struct cli *cli, int opt, const char *arg, void *data);

/* Parses the flags of cli->cmd (argv[0] is the command name).  Flags may
 * follow arguments unless STOP_AT_ARG.  Returns the index of the first
 * argument, or -1: with cli->err set, or with cli->done after --help. */
int cli_parse (struct cli *cli, int argc, char **argv, bool stop_at_arg, cli_flag_fn on_flag, void *data);

/* getopt_long's view of FLAGS (with --help/-h added when ADD_HELP): the
 * option array (free it) and the short options in OPTSTRING. */
struct option *cli_getopt_table (const struct cli_flag *flags, bool add_help, char *optstring, size_t size);

/* The help of FLAGS, one line each. */
void cli_print_flags (FILE *f, const struct cli_flag *flags);

/* Takes the container id at argv[first] and checks that at most MAX_EXTRA
 * arguments follow it. */
int cli_take_id (struct cli *cli, int argc, char **argv, int first, int max_extra, const char **id);

/* For commands without flags of their own. */
extern const struct cli_flag cli_no_flags[];
int cli_no_flag (struct cli *cli, int opt, const char *arg, void *data);

/* For commands whose only flag is a switch: sets *(bool *) DATA. */
int cli_bool_flag (struct cli *cli, int opt, const char *arg, void *data);

int cli_parse_int (struct cli *cli, const char *flag, const char *value, int *out);

/* A usage error in cli->err; returns -1. */
int cli_error (struct cli *cli, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Shared by create and run: create's flags, as table entries. */
enum
{
  CLI_OPT_PID_FILE = 1000,
  CLI_OPT_CONSOLE_SOCKET,
  CLI_OPT_PRESERVE_FDS,
  CLI_OPT_NO_PIVOT,
  CLI_OPT_NO_NEW_KEYRING,
  CLI_OPT_KEEP,
  CLI_OPT_NO_SUBREAPER,
};
#define CLI_CREATE_FLAGS                                                                                              \
  { "bundle", 'b', "DIR", "the bundle directory (default: the current directory)" },                                  \
      { "pid-file", CLI_OPT_PID_FILE, "FILE", "write the host pid of the container's init to FILE" },                 \
      { "console-socket", CLI_OPT_CONSOLE_SOCKET, "SOCKET", "send the terminal's master side to this unix socket" }, \
      { "preserve-fds", CLI_OPT_PRESERVE_FDS, "N", "pass fds 3 .. 3+N-1 on to the container" },                       \
      { "no-pivot", CLI_OPT_NO_PIVOT, NULL, "enter the rootfs without pivot_root(2) (for a rootfs on ramfs)" },       \
      { "no-new-keyring", CLI_OPT_NO_NEW_KEYRING, NULL, "keep the caller's session keyring" }
int cli_create_flag (struct cli *cli, int opt, const char *arg, void *data);

/* The commands, one file each. */
extern const struct cli_command cli_create, cli_start, cli_run, cli_state, cli_kill, cli_delete, cli_list, cli_spec,
    cli_features, cli_update, cli_pause, cli_resume, cli_ps, cli_events, cli_exec, cli_checkpoint, cli_restore;

#endif
