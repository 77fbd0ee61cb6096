/* pith restore [flags] ID: a new container from a bundle and criu's images;
 * in the foreground, wait and exit with its status, as run does.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <config.h>

#include "cli.h"

enum
{
  OPT_IMAGE_PATH = 1000,
  OPT_WORK_PATH,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
};

static const struct cli_flag restore_flag_table[] = {
  { "image-path", OPT_IMAGE_PATH, "DIR", "criu's images (default ./checkpoint)" },
  { "work-path", OPT_WORK_PATH, "DIR", "criu's log and work files (default: the image path)" },
  { "bundle", 'b', "DIR", "the bundle directory (default: the current directory)" },
  { "detach", 'd', NULL, "return once the container runs" },
  { "pid-file", OPT_PID_FILE, "FILE", "write the host pid of the restored init to FILE" },
  { "tcp-established", OPT_TCP_ESTABLISHED, NULL, "restore established TCP connections" },
  { "ext-unix-sk", OPT_EXT_UNIX_SK, NULL, "allow unix sockets connected outside the container" },
  { "shell-job", OPT_SHELL_JOB, NULL, "the container runs on the caller's terminal (a shell job)" },
  { "file-locks", OPT_FILE_LOCKS, NULL, "restore file locks" },
  { "console-socket", OPT_CONSOLE_SOCKET, "SOCKET", "refused: a restored terminal cannot be handed over" },
  { "no-pivot", OPT_NO_PIVOT, NULL, "refused: criu enters the root with pivot_root(2)" },
  CLI_FLAGS_END,
};

static int
restore_flag (struct cli *cli, int opt, const char *arg, void *data)
{
  pith_restore_options *o = data;

  switch (opt)
    {
    case OPT_IMAGE_PATH:
      o->image_path = arg;
      break;
    case OPT_WORK_PATH:
      o->work_path = arg;
      break;
    case 'b':
      o->bundle = arg;
      break;
    case 'd':
      o->flags |= PITH_RESTORE_DETACH;
      break;
    case OPT_PID_FILE:
      o->pid_file = arg;
      break;
    case OPT_CONSOLE_SOCKET:
      o->console_socket = arg;
      break;
    case OPT_NO_PIVOT:
      o->flags |= PITH_RESTORE_NO_PIVOT;
      break;
    case OPT_TCP_ESTABLISHED:
      o->flags |= PITH_CHECKPOINT_TCP_ESTABLISHED;
      break;
    case OPT_EXT_UNIX_SK:
      o->flags |= PITH_CHECKPOINT_EXT_UNIX_SK;
      break;
    case OPT_SHELL_JOB:
      o->flags |= PITH_CHECKPOINT_SHELL_JOB;
      break;
    case OPT_FILE_LOCKS:
      o->flags |= PITH_CHECKPOINT_FILE_LOCKS;
      break;
    default:
      return cli_error (cli, "restore: unexpected flag %d", opt);
    }
  return 0;
}

static int
cmd_restore (struct cli *cli, int argc, char **argv)
{
  pith_restore_options opts = { 0 };
  const char *id;
  int status;
  int first = cli_parse (cli, argc, argv, false, restore_flag, &opts);

  if (first < 0 || cli_take_id (cli, argc, argv, first, 0, &id) < 0)
    return -1;
  if (pith_container_restore (&cli->ctx, id, &opts, &status, &cli->err) < 0)
    return -1;
  return status;
}

const struct cli_command cli_restore = {
  "restore", "ID", "Make a container from a bundle and criu's images of a checkpoint, and run it.",
  restore_flag_table, cmd_restore,
};
