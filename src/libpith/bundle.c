/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "utils.h"

#define CONFIG_MAX_SIZE (64 << 20)

int
bundle_load (const char *dir, struct bundle *b, pith_error *err)
{
  cleanup_free char *parse_err = NULL;
  cleanup_close int dirfd = -1;
  char resolved[PATH_MAX];
  struct stat st;
  const char *root;

  memset (b, 0, sizeof *b);
  if (dir == NULL)
    dir = ".";
  if (realpath (dir, resolved) == NULL)
    return pith_fail (err, errno, "bundle `%s`", dir);
  b->path = xstrdup (resolved);
  dirfd = open (b->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return pith_fail (err, errno, "bundle `%s`", b->path);
  if (read_file_at (dirfd, "config.json", CONFIG_MAX_SIZE, &b->config_json, &b->config_len, err) < 0)
    return pith_fail (err, err->errno_value, "open `%s/config.json`", b->path);
  b->config = oci_config_parse_data (b->config_json, b->config_len, "config.json", &parse_err);
  if (b->config == NULL)
    return pith_fail (err, 0, "%s", parse_err);
  if (config_validate (b->config, err) < 0)
    return -1;

  root = b->config->root->path;
  b->rootfs = root[0] == '/' ? xstrdup (root) : xasprintf ("%s/%s", b->path, root);
  if (stat (b->rootfs, &st) < 0)
    return pith_fail (err, errno, "rootfs `%s` (config.json: /root/path)", b->rootfs);
  if (!S_ISDIR (st.st_mode))
    return pith_fail (err, ENOTDIR, "rootfs `%s` (config.json: /root/path)", b->rootfs);
  return 0;
}

void
bundle_release (struct bundle *b)
{
  free (b->path);
  free (b->rootfs);
  free (b->config_json);
  oci_config_free (b->config);
  memset (b, 0, sizeof *b);
}
