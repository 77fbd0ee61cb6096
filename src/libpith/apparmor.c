/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "apparmor.h"
#include "security.h"
#include "utils.h"

#define APPARMOR_ENABLED_PARAM "/sys/module/apparmor/parameters/enabled"

bool
apparmor_enabled (void)
{
  cleanup_free char *value = NULL;
  pith_error ignored = { 0 };
  bool enabled;

  if (access ("/sys/kernel/security/apparmor", F_OK) < 0)
    return false;
  enabled = read_file_at (AT_FDCWD, APPARMOR_ENABLED_PARAM, 16, &value, NULL, &ignored) == 0 && value[0] == 'Y';
  pith_error_release (&ignored);
  return enabled;
}

int
apparmor_check (const char *profile, const char *json_path, pith_error *err)
{
  if (profile == NULL || profile[0] == '\0')
    return 0;
  if (strchr (profile, '\n'))
    return pith_fail (err, 0, "%s: \"%s\" is not a profile name", json_path, profile);
  if (!apparmor_enabled ())
    return pith_fail (err, EINVAL, "%s: cannot apply AppArmor profile \"%s\": AppArmor is not enabled on this host",
                      json_path, profile);
  return 0;
}

int
apparmor_exec_profile (const char *profile, pith_error *err)
{
  cleanup_free char *cmd = NULL;

  if (profile == NULL || profile[0] == '\0')
    return 0;
  cmd = xasprintf ("exec %s", profile);
  if (proc_attr_write ("apparmor", "exec", cmd, err) < 0)
    return pith_wrap (err, "apply AppArmor profile \"%s\"", profile);
  return 0;
}
