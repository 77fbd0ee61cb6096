/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <selinux/selinux.h>
#include <string.h>

#include "security.h"
#include "selinux.h"
#include "utils.h"

bool
selinux_enabled (void)
{
  return is_selinux_enabled () > 0;
}

int
selinux_check_label (const char *label, const char *json_path, pith_error *err)
{
  if (label == NULL || label[0] == '\0')
    return 0;
  /* The kernel asks the loaded policy; the const cast is libselinux's API. */
  if (security_check_context ((char *) label) < 0)
    return pith_fail (err, errno ? errno : EINVAL, "%s: \"%s\" is not a valid SELinux context", json_path, label);
  return 0;
}

char *
selinux_mount_data (const char *data, const char *label)
{
  bool has_data = data && data[0];

  if (label == NULL || label[0] == '\0')
    return has_data ? xstrdup (data) : NULL;
  /* Quoted: MCS categories ("s0:c1,c2") contain commas. */
  return xasprintf ("%s%scontext=\"%s\"", has_data ? data : "", has_data ? "," : "", label);
}

bool
selinux_type_takes_context (const char *type)
{
  static const char *const self_labelled[] = { "proc", "sysfs", "cgroup", "cgroup2", "securityfs", "selinuxfs" };

  if (type == NULL)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (self_labelled); i++)
    if (strcmp (type, self_labelled[i]) == 0)
      return false;
  return true;
}

int
selinux_set_label (const char *attr, const char *label, pith_error *err)
{
  if (label == NULL || label[0] == '\0')
    return 0;
  if (proc_attr_write (NULL, attr, label, err) < 0)
    return pith_wrap (err, "set SELinux %s label \"%s\"", attr, label);
  return 0;
}
