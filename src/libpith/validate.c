/* config_validate: every check that can run before anything is created.
 * Each module checks its own part of the config.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "bundle.h"
#include "devices.h"
#include "hooks.h"
#include "intelrdt.h"
#include "mempolicy.h"
#include "mounts.h"
#include "namespaces.h"
#include "netdevice.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp-filter.h"
#include "sysctl.h"
#include "utils.h"

static bool
has_namespace (const oci_linux *linux, const char *type)
{
  for (size_t i = 0; linux && i < linux->namespaces_len; i++)
    if (strcmp (linux->namespaces[i]->type, type) == 0)
      return true;
  return false;
}

int
config_validate (const oci_config *config, pith_error *err)
{
  const oci_linux *linux = config->linux;

  if (!str_has_prefix (config->oci_version, "1."))
    return pith_fail (err, 0, "config.json: /ociVersion: \"%s\" is not a 1.x runtime-spec version",
                      config->oci_version);
  if (config->root == NULL)
    return pith_fail (err, 0, "config.json: /root: required on Linux");
  if (config->process == NULL)
    return pith_fail (err, 0, "config.json: /process: required to create a container");
  if (linux == NULL)
    return pith_fail (err, 0, "config.json: /linux: required on Linux");
  /* pith builds the container's root in a mount namespace of its own. */
  if (!has_namespace (linux, "mount"))
    return pith_fail (err, 0, "config.json: /linux/namespaces: a mount namespace is required");
  if (process_validate (config->process, "config.json: /process", err) < 0)
    return -1;
  if (ns_validate (config, err) < 0 || mounts_validate (config, err) < 0 || devices_validate (linux, err) < 0
      || sysctl_validate (config, err) < 0 || rootfs_validate_propagation (linux->rootfs_propagation, err) < 0)
    return -1;
  if (config->hooks && hooks_validate (config->hooks, err) < 0)
    return -1;
  if (linux->seccomp && seccomp_validate (linux->seccomp, "config.json: /linux/seccomp", err) < 0)
    return -1;
  if (linux->intel_rdt && intelrdt_validate (linux->intel_rdt, err) < 0)
    return -1;
  if (netdevice_validate (linux, err) < 0)
    return -1;
  if (linux->memory_policy && mempolicy_validate (linux->memory_policy, "config.json: /linux/memoryPolicy", err) < 0)
    return -1;
  if (linux->personality && strcmp (linux->personality->domain, "LINUX") != 0
      && strcmp (linux->personality->domain, "LINUX32") != 0)
    return pith_fail (err, 0, "config.json: /linux/personality/domain: \"%s\" is not LINUX or LINUX32",
                      linux->personality->domain);
  /* runtime-spec defines no personality flags yet. */
  if (linux->personality && linux->personality->flags_len)
    return pith_fail (err, 0, "config.json: /linux/personality/flags/0: unknown personality flag \"%s\"",
                      linux->personality->flags[0]);
  return 0;
}
