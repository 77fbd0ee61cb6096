/* `features`: what this build implements, from the same tables the code
 * uses, so it cannot claim more than it does.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include "caps.h"
#include "mempolicy.h"
#include "mounts.h"
#include "namespaces.h"
#include "oci-types.h"
#include "seccomp-filter.h"
#include "utils.h"

static size_t
count (const char *const *list)
{
  size_t n = 0;

  while (list[n])
    n++;
  return n;
}

PITH_PUBLIC int
pith_features (char **json, pith_error *err)
{
  static const char *const hooks[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };
  cleanup_strv char **caps = caps_known_names ();
  cleanup_strv char **archs = seccomp_arch_names ();
  cleanup_strv char **supported_flags = seccomp_supported_flag_names ();
  cleanup_free char *libseccomp_version = seccomp_library_version ();
  cleanup_free char *gen_err = NULL;
  oci_map_string *annotations = NULL;
  oci_features_enabled enabled = { .enabled = true, .enabled_present = true };
  /* systemdUser stays false: the user manager is only reached by a non-root
   * pith, which does not run containers yet. */
  oci_features_cgroup cgroup = {
    .v1 = true, .v1_present = true, .v2 = true, .v2_present = true,
    .systemd = true, .systemd_present = true, .systemd_user = false, .systemd_user_present = true,
    .rdma = true, .rdma_present = true,
  };
  oci_features_seccomp seccomp = {
    .enabled = true, .enabled_present = true,
    .actions = (char **) seccomp_action_names (), .actions_len = count (seccomp_action_names ()),
    .operators = (char **) seccomp_operator_names (), .operators_len = count (seccomp_operator_names ()),
    .archs = archs, .archs_len = count ((const char *const *) archs),
    .known_flags = (char **) seccomp_flag_names (), .known_flags_len = count (seccomp_flag_names ()),
    .supported_flags = supported_flags, .supported_flags_len = count ((const char *const *) supported_flags),
  };
  oci_features_intel_rdt rdt = { .enabled = true, .enabled_present = true, .schemata = true, .schemata_present = true };
  oci_features_mount_extensions mount_ext = { .idmap = &enabled };
  oci_features_memory_policy mempolicy = {
    .modes = (char **) mempolicy_mode_names (), .modes_len = count (mempolicy_mode_names ()),
    .flags = (char **) mempolicy_flag_names (), .flags_len = count (mempolicy_flag_names ()),
  };
  oci_features_linux linux = {
    .namespaces = (char **) ns_spec_names (),
    .namespaces_len = count (ns_spec_names ()),
    .capabilities = caps,
    .capabilities_len = count ((const char *const *) caps),
    .cgroup = &cgroup,
    .seccomp = &seccomp,
    .apparmor = &enabled,
    .selinux = &enabled,
    .intel_rdt = &rdt,
    .mount_extensions = &mount_ext,
    .memory_policy = &mempolicy,
    .net_devices = &enabled,
  };
  oci_features f = {
    .oci_version_min = (char *) "1.0.0",
    .oci_version_max = (char *) PITH_OCI_VERSION,
    .hooks = (char **) hooks,
    .hooks_len = count (hooks),
    .mount_options = (char **) mount_option_names (),
    .mount_options_len = count (mount_option_names ()),
    .linux = &linux,
  };

  oci_map_string_set (&annotations, "run.pith.version", PACKAGE_VERSION);
  oci_map_string_set (&annotations, "run.pith.commit", PITH_GIT_COMMIT);
  oci_map_string_set (&annotations, "io.github.seccomp.libseccomp.version", libseccomp_version);
  f.annotations = annotations;
  *json = oci_features_generate (&f, OCI_GEN_PRETTY, &gen_err);
  oci_map_string_free (annotations);
  if (*json == NULL)
    return pith_fail (err, 0, "generate features: %s", gen_err);
  return 0;
}
