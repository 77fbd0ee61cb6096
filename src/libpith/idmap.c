/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "mounts.h"
#include "namespaces.h"
#include "utils.h"

int
idmap_userns_open (oci_id_mapping **uids, size_t n_uids, oci_id_mapping **gids, size_t n_gids, pith_error *err)
{
  oci_linux maps = { .uid_mappings = uids, .uid_mappings_len = n_uids, .gid_mappings = gids,
                     .gid_mappings_len = n_gids };
  int hold[2], fd = -1;
  char path[64];
  pid_t pid;

  if (pipe2 (hold, O_CLOEXEC) < 0)
    return pith_fail (err, errno, "pipe");
  /* A fork-like child in a new user namespace, kept alive (blocked on the
   * pipe) until the maps are written and the namespace is open. */
  pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid == 0)
    {
      char c;

      close (hold[1]);
      (void) !read (hold[0], &c, 1);
      _exit (0);
    }
  close (hold[0]);
  if (pid < 0)
    {
      close (hold[1]);
      return pith_fail (err, errno, "create a user namespace for an idmapped mount");
    }
  if (ns_write_id_maps (pid, &maps, err) == 0)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        pith_fail (err, errno, "open `%s`", path);
    }
  close (hold[1]);
  TEMP_FAILURE_RETRY (waitpid (pid, NULL, 0));
  return fd < 0 ? pith_wrap (err, "user namespace for an idmapped mount") : fd;
}

/* The mapping a mount asks for: its own, or with just `idmap`/`ridmap`
 * the container's user namespace mapping. */
static void
mount_mapping (const oci_config *config, const oci_mount *m, oci_linux *out)
{
  memset (out, 0, sizeof *out);
  if (m->uid_mappings_len || m->gid_mappings_len)
    {
      out->uid_mappings = m->uid_mappings;
      out->uid_mappings_len = m->uid_mappings_len;
      out->gid_mappings = m->gid_mappings;
      out->gid_mappings_len = m->gid_mappings_len;
    }
  else if (config->linux)
    {
      out->uid_mappings = config->linux->uid_mappings;
      out->uid_mappings_len = config->linux->uid_mappings_len;
      out->gid_mappings = config->linux->gid_mappings;
      out->gid_mappings_len = config->linux->gid_mappings_len;
    }
}

static int
idmapped_clone (const char *bundle, const oci_mount *m, const struct mount_opts *o, int userns, pith_error *err)
{
  cleanup_free char *source = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
  cleanup_close int tree = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };

  tree = open_tree (AT_FDCWD, source,
                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((o->flags & MS_REC) ? AT_RECURSIVE : 0));
  if (tree < 0)
    return pith_fail (err, errno, "clone `%s`", source);
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (o->idmap == IDMAP_RECURSIVE ? AT_RECURSIVE : 0), &attr,
                     sizeof attr)
      < 0)
    return pith_fail (err, errno, "idmap `%s`", source);
  return steal_fd (&tree);
}

int
idmap_prepare_mounts (const oci_config *config, const char *bundle, int min_fd, int **fds_out, pith_error *err)
{
  cleanup_free int *fds = NULL;
  cleanup_close int userns = -1;
  oci_linux userns_maps = { 0 };

  *fds_out = NULL;
  for (size_t i = 0; i < config->mounts_len; i++)
    {
      const oci_mount *m = config->mounts[i];
      struct mount_opts o;
      oci_linux maps;
      int fd;

      if (mount_opts_parse (m->options, m->options_len, &o, err) < 0)
        return pith_wrap (err, "config.json: /mounts/%zu/options", i);
      mount_opts_release (&o);
      o.idmap = mount_idmap_kind (m, &o);
      if (o.idmap == IDMAP_NONE)
        continue;
      if (fds == NULL)
        {
          fds = xmalloc (config->mounts_len * sizeof *fds);
          for (size_t j = 0; j < config->mounts_len; j++)
            fds[j] = -1;
        }
      mount_mapping (config, m, &maps);
      /* Mounts that share a mapping share its namespace. */
      if (userns < 0 || maps.uid_mappings != userns_maps.uid_mappings
          || maps.gid_mappings != userns_maps.gid_mappings)
        {
          if (userns >= 0)
            close (userns);
          userns = idmap_userns_open (maps.uid_mappings, maps.uid_mappings_len, maps.gid_mappings,
                                      maps.gid_mappings_len, err);
          userns_maps = maps;
        }
      fd = userns < 0 ? -1 : idmapped_clone (bundle, m, &o, userns, err);
      if (fd >= 0 && fd < min_fd)
        {
          int moved = move_fd_above (fd, min_fd);

          if (moved < 0)
            {
              pith_fail (err, errno, "move the mount fd");
              close (fd);
            }
          fd = moved;
        }
      if (fd < 0)
        {
          idmap_release_mounts (steal_pointer (&fds), config->mounts_len);
          return pith_wrap (err, "idmapped mount `%s` (config.json: /mounts/%zu)", m->destination, i);
        }
      fds[i] = fd;
    }
  *fds_out = steal_pointer (&fds);
  return 0;
}

void
idmap_release_mounts (int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}
