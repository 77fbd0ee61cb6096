/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "namespaces.h"
#include "paths.h"
#include "sysctl.h"
#include "utils.h"

static bool
wants_ns (const oci_config *config, enum ns_kind kind)
{
  for (size_t i = 0; config->linux && i < config->linux->namespaces_len; i++)
    if (ns_kind_from_name (config->linux->namespaces[i]->type) == (int) kind)
      return true;
  return false;
}

/* The namespace a key lives in, or -1 when it is global to the host. */
static int
sysctl_namespace (const char *key)
{
  static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                          "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                          "kernel.shm_rmid_forced" };

  for (size_t i = 0; i < ARRAY_SIZE (ipc_keys); i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return NS_IPC;
  if (str_has_prefix (key, "fs.mqueue."))
    return NS_IPC;
  if (str_has_prefix (key, "net."))
    return NS_NET;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return NS_UTS;
  return -1;
}

int
sysctl_validate (const oci_config *config, pith_error *err)
{
  const oci_map_string *s = config->linux ? config->linux->sysctl : NULL;

  for (size_t i = 0; s && i < s->len; i++)
    {
      int ns = sysctl_namespace (s->keys[i]);

      if (strstr (s->keys[i], "..") || strchr (s->keys[i], '/'))
        return pith_fail (err, 0, "config.json: /linux/sysctl/%s: not a sysctl name", s->keys[i]);
      if (ns < 0)
        return pith_fail (err, 0, "config.json: /linux/sysctl/%s: not namespaced: it would change the host",
                          s->keys[i]);
      if (!wants_ns (config, ns))
        return pith_fail (err, 0, "config.json: /linux/sysctl/%s: needs the container's own %s namespace",
                          s->keys[i], ns_kind_name (ns));
    }
  return 0;
}

int
sysctl_apply (const oci_map_string *sysctl, pith_error *err)
{
  cleanup_close int proc = -1;

  if (sysctl == NULL || sysctl->len == 0)
    return 0;
  /* The keys of the net, ipc and uts namespaces show the namespaces of
   * the process that looks, whatever procfs instance it looks through. */
  proc = procfs_open (err);
  if (proc < 0)
    return pith_wrap (err, "sysctl");
  for (size_t i = 0; i < sysctl->len; i++)
    {
      cleanup_free char *path = xasprintf ("sys/%s", sysctl->keys[i]);
      cleanup_close int fd = -1;

      for (char *p = path + strlen ("sys/"); *p; p++)
        if (*p == '.')
          *p = '/';
      fd = procfs_open_at (proc, path, O_WRONLY, err);
      if (fd < 0)
        return pith_wrap (err, "sysctl %s", sysctl->keys[i]);
      if (write_all (fd, sysctl->values[i], strlen (sysctl->values[i])) < 0)
        return pith_fail (err, errno, "sysctl %s=%s", sysctl->keys[i], sysctl->values[i]);
    }
  return 0;
}
