/* The pith command line: flag parsing and output only.  Each command lives
 * in its own file, parses its flags and calls one libpith function.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PITH_CLI_H
#define PITH_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "pith.h"

struct cli
{
  pith_context ctx;
  const char *command;
  pith_error err;
  int failure_status; /* exit status when the command fails; 0: 1 */
};

/* Called for each flag of a command; returns 0, or -1 with cli->err set. */
typedef int (*cli_flag_fn) (struct cli *cli, int opt, const char *arg, void *data);

/* Parses the flags of a command (argv[0] is the command name).  Flags may
 * follow arguments unless STOP_AT_ARG.  Returns the index of the first
 * argument, or -1 with cli->err set. */
int cli_parse (struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts,
               bool stop_at_arg, cli_flag_fn on_flag, void *data);

/* Takes the container id at argv[first] and checks that at most MAX_EXTRA
 * arguments follow it. */
int cli_take_id (struct cli *cli, int argc, char **argv, int first, int max_extra, const char **id);

/* For commands without flags of their own. */
extern const struct option cli_no_options[];
int cli_no_flag (struct cli *cli, int opt, const char *arg, void *data);

/* For commands whose only flag is a switch: sets *(bool *) DATA. */
int cli_bool_flag (struct cli *cli, int opt, const char *arg, void *data);

int cli_parse_int (struct cli *cli, const char *flag, const char *value, int *out);

/* A usage error in cli->err; returns -1. */
int cli_error (struct cli *cli, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Shared by create and run. */
extern const struct option cli_create_options[];
#define CLI_CREATE_SHORTOPTS "b:"
int cli_create_flag (struct cli *cli, int opt, const char *arg, void *data);

int cmd_create (struct cli *cli, int argc, char **argv);
int cmd_start (struct cli *cli, int argc, char **argv);
int cmd_run (struct cli *cli, int argc, char **argv);
int cmd_state (struct cli *cli, int argc, char **argv);
int cmd_kill (struct cli *cli, int argc, char **argv);
int cmd_delete (struct cli *cli, int argc, char **argv);
int cmd_list (struct cli *cli, int argc, char **argv);
int cmd_spec (struct cli *cli, int argc, char **argv);
int cmd_features (struct cli *cli, int argc, char **argv);
int cmd_update (struct cli *cli, int argc, char **argv);
int cmd_pause (struct cli *cli, int argc, char **argv);
int cmd_resume (struct cli *cli, int argc, char **argv);
int cmd_ps (struct cli *cli, int argc, char **argv);
int cmd_events (struct cli *cli, int argc, char **argv);
int cmd_exec (struct cli *cli, int argc, char **argv);

#endif
