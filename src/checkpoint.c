/* pith checkpoint [flags] ID: dump a running container with criu (runc's
 * flags); it is gone afterwards unless --leave-running or --pre-dump.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include <string.h>

#include "cli.h"

enum
{
  OPT_IMAGE_PATH = 1000,
  OPT_WORK_PATH,
  OPT_PARENT_PATH,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_LEAVE_RUNNING = 1100, /* from here: 1100 + the bit of enum pith_checkpoint_flags */
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_PRE_DUMP,
};

static const struct cli_flag checkpoint_flag_table[] = {
  { "image-path", OPT_IMAGE_PATH, "DIR", "where criu writes the images (default ./checkpoint)" },
  { "work-path", OPT_WORK_PATH, "DIR", "criu's log and work files (default: the image path)" },
  { "parent-path", OPT_PARENT_PATH, "DIR", "a previous pre-dump, relative to the image path" },
  { "leave-running", OPT_LEAVE_RUNNING, NULL, "keep the container running after the dump" },
  { "tcp-established", OPT_TCP_ESTABLISHED, NULL, "dump established TCP connections" },
  { "ext-unix-sk", OPT_EXT_UNIX_SK, NULL, "allow unix sockets connected outside the container" },
  { "shell-job", OPT_SHELL_JOB, NULL, "the container runs on the caller's terminal (a shell job)" },
  { "file-locks", OPT_FILE_LOCKS, NULL, "dump file locks" },
  { "pre-dump", OPT_PRE_DUMP, NULL, "dump memory only; the container goes on" },
  { "manage-cgroups-mode", OPT_MANAGE_CGROUPS_MODE, "soft|full|strict|ignore", "criu's cgroup mode (default soft)" },
  CLI_FLAGS_END,
};

static int
checkpoint_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  pith_checkpoint_options *o = data;

  switch (opt)
    {
    case OPT_IMAGE_PATH:
      o->image_path = arg;
      return 0;
    case OPT_WORK_PATH:
      o->work_path = arg;
      return 0;
    case OPT_PARENT_PATH:
      o->parent_path = arg;
      return 0;
    case OPT_MANAGE_CGROUPS_MODE:
      if (strcmp (arg, "soft") != 0 && strcmp (arg, "full") != 0 && strcmp (arg, "strict") != 0
          && strcmp (arg, "ignore") != 0)
        return cli_error (cli, "checkpoint: --manage-cgroups-mode: \"%s\" is not soft, full, strict or ignore", arg);
      o->manage_cgroups_mode = arg;
      return 0;
    }
  o->flags |= 1u << (opt - OPT_LEAVE_RUNNING);
  return 0;
}

static int
cmd_checkpoint (struct cli *cli, int argc, char **argv)
{
  pith_checkpoint_options opts = { 0 };
  const char *id;
  int first = cli_parse (cli, argc, argv, false, checkpoint_flag, &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  return pith_container_checkpoint (&cli->ctx, id, &opts, &cli->err);
}

const struct cli_command cli_checkpoint = {
  "checkpoint", "ID", "Dump a running container with criu; it is gone afterwards unless --leave-running.",
  checkpoint_flag_table, cmd_checkpoint,
};
