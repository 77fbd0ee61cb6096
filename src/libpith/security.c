/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apparmor.h"
#include "caps.h"
#include "log.h"
#include "paths.h"
#include "security.h"
#include "seccomp-notify.h"
#include "selinux.h"
#include "state-store.h"
#include "sync.h"
#include "utils.h"

static bool
is_set (const char *s)
{
  return s && s[0];
}

int
proc_attr_write (const char *lsm, const char *attr, const char *value, pith_error *err)
{
  cleanup_free char *path = xasprintf ("thread-self/attr/%s%s%s", lsm ? lsm : "", lsm ? "/" : "", attr);

  /* Not the container's /proc: a procfs file the container bound over
   * attr/exec would take the label instead (CVE-2025-52881). */
  if (procfs_write (path, value, err) == 0)
    return 0;
  /* Kernels without per-LSM directories take the legacy file. */
  if (err->errno_value == ENOENT && lsm)
    {
      pith_error_release (err);
      return proc_attr_write (NULL, attr, value, err);
    }
  return -1;
}

static int
prepare_labels (pith_context *ctx, const oci_process *p, const char *process_path, const oci_linux *linux,
                struct process_security *sec, pith_error *err)
{
  const char *process_label = p ? p->selinux_label : NULL;
  const char *mount_label = linux ? linux->mount_label : NULL;
  cleanup_free char *path = NULL;

  if (p)
    {
      path = xasprintf ("%s/apparmorProfile", process_path);
      if (apparmor_check (p->apparmor_profile, path, err) < 0)
        return -1;
    }
  if (!is_set (process_label) && !is_set (mount_label))
    return 0;
  sec->selinux = selinux_enabled ();
  if (!sec->selinux)
    {
      pith_debug (ctx, "SELinux is disabled on this host: %s%s%s not applied",
                  is_set (process_label) ? "selinuxLabel" : "",
                  is_set (process_label) && is_set (mount_label) ? " and " : "",
                  is_set (mount_label) ? "mountLabel" : "");
      return 0;
    }
  free (path);
  path = xasprintf ("%s/selinuxLabel", process_path);
  if (selinux_check_label (process_label, path, err) < 0)
    return -1;
  return selinux_check_label (mount_label, "config.json: /linux/mountLabel", err);
}

static int
open_cache (pith_context *ctx)
{
  pith_error ignored = { 0 };
  cleanup_close int rootfd = state_root_open (ctx, true, &ignored);
  int fd = rootfd < 0 ? -1 : seccomp_cache_open (rootfd);

  if (fd < 0)
    pith_debug (ctx, "seccomp: no cache of compiled programs%s%s", ignored.msg ? ": " : "",
                ignored.msg ? ignored.msg : "");
  pith_error_release (&ignored);
  return fd;
}

int
security_prepare (pith_context *ctx, const oci_process *p, const char *process_path, const oci_linux *linux,
                  struct process_security *sec, pith_error *err)
{
  const oci_seccomp *s = linux ? linux->seccomp : NULL;
  cleanup_close int cache = -1;

  memset (sec, 0, sizeof *sec);
  sec->notify_relay = -1;
  if (prepare_labels (ctx, p, process_path, linux, sec, err) < 0)
    return -1;
  if (s == NULL)
    return 0;
  if (seccomp_uses_notify (s) && seccomp_notify_check_listener (s, err) < 0)
    return -1;
  cache = open_cache (ctx);
  if (seccomp_compile (ctx, s, "config.json: /linux/seccomp", cache, &sec->seccomp, err) < 0)
    return -1;
  pith_debug (ctx, "seccomp: %u instructions, flags %#x", sec->seccomp.len, sec->seccomp.flags);
  return 0;
}

void
security_release (struct process_security *sec)
{
  seccomp_program_release (&sec->seccomp);
}

int
security_set_keyring_label (const struct process_security *sec, const oci_process *p, pith_error *err)
{
  /* The keyring is the process's: it takes the process label, as in runc. */
  if (sec == NULL || !sec->selinux || p == NULL)
    return 0;
  return selinux_set_label ("keycreate", p->selinux_label, err);
}

int
security_set_exec_labels (const struct process_security *sec, const oci_process *p, pith_error *err)
{
  if (apparmor_exec_profile (p->apparmor_profile, err) < 0)
    return -1;
  if (sec && sec->selinux)
    return selinux_set_label ("exec", p->selinux_label, err);
  return 0;
}

bool
security_needs_admin_to_load (const struct process_security *sec, const oci_process *p)
{
  const oci_capabilities *c = p->capabilities;

  if (sec == NULL || sec->seccomp.insns == NULL)
    return false;
  if (p->no_new_privileges_present && p->no_new_privileges)
    return false;
  return !(c && caps_list_has (c->effective, c->effective_len, "CAP_SYS_ADMIN"));
}

int
security_load_seccomp (const struct process_security *sec, pith_error *err)
{
  int notify_fd;

  if (sec == NULL || sec->seccomp.insns == NULL)
    return 0;
  notify_fd = seccomp_program_load (&sec->seccomp, err);
  if (notify_fd < 0)
    return -1;
  if (!sec->seccomp.notify)
    return 0;
  if (sec->notify_relay < 0)
    return pith_fail (err, EINVAL, "seccomp notify: nowhere to send the listener fd");
  /* The notify fd is close-on-exec: the program does not keep it. */
  if (send_fd (sec->notify_relay, notify_fd, err) < 0)
    return pith_wrap (err, "seccomp notify");
  return 0;
}
