/* `spec`: the default config.json, as runc writes it, optionally rootless.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci-types.h"
#include "utils.h"

static const char default_config[] = "{"
  "\"ociVersion\":\"" PITH_OCI_VERSION "\","
  "\"process\":{"
    "\"terminal\":true,"
    "\"user\":{\"uid\":0,\"gid\":0},"
    "\"args\":[\"sh\"],"
    "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
    "\"cwd\":\"/\","
    "\"capabilities\":{"
      "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
      "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
      "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
  "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
  "\"hostname\":\"pith\","
  "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
      "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
      "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
      "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
      "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
      "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
      "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
  "\"linux\":{"
    "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
      "{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
    "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
      "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
    "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}"
  "}";

static oci_id_mapping *
single_mapping (unsigned host_id)
{
  oci_id_mapping *m = xzalloc (sizeof *m);

  m->container_id_present = m->host_id_present = m->size_present = true;
  m->host_id = host_id;
  m->size = 1;
  return m;
}

/* For a user without privileges: map only them, bind the host's /sys
 * (sysfs cannot be mounted in a user namespace without a network
 * namespace of its own), no devpts gid, no device cgroup rules. */
static void
make_rootless (oci_config *c)
{
  oci_linux *l = c->linux;

  l->namespaces = xrealloc (l->namespaces, (l->namespaces_len + 1) * sizeof *l->namespaces);
  l->namespaces[l->namespaces_len] = xzalloc (sizeof (oci_namespace));
  l->namespaces[l->namespaces_len++]->type = xstrdup ("user");
  l->uid_mappings = xzalloc (sizeof *l->uid_mappings);
  l->uid_mappings[0] = single_mapping (getuid ());
  l->uid_mappings_len = 1;
  l->gid_mappings = xzalloc (sizeof *l->gid_mappings);
  l->gid_mappings[0] = single_mapping (getgid ());
  l->gid_mappings_len = 1;
  oci_resources_free (l->resources);
  l->resources = NULL;
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      oci_mount *m = c->mounts[i];

      if (strcmp (m->destination, "/sys") == 0)
        {
          static const char *const opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };

          free (m->type);
          free (m->source);
          m->type = xstrdup ("none");
          m->source = xstrdup ("/sys");
          for (size_t j = 0; j < m->options_len; j++)
            free (m->options[j]);
          m->options = xrealloc (m->options, ARRAY_SIZE (opts) * sizeof *m->options);
          m->options_len = ARRAY_SIZE (opts);
          for (size_t j = 0; j < ARRAY_SIZE (opts); j++)
            m->options[j] = xstrdup (opts[j]);
        }
      for (size_t j = 0; j < m->options_len; j++)
        if (strcmp (m->options[j], "gid=5") == 0)
          {
            free (m->options[j]);
            memmove (&m->options[j], &m->options[j + 1], (m->options_len - j - 1) * sizeof *m->options);
            m->options_len--;
            j--;
          }
    }
}

PITH_PUBLIC int
pith_spec_write (const char *bundle, bool rootless, pith_error *err)
{
  cleanup_free char *parse_err = NULL, *gen_err = NULL, *json = NULL;
  cleanup_close int dirfd = open (bundle ? bundle : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  oci_config *config;
  int fd;

  if (dirfd < 0)
    return pith_fail (err, errno, "bundle `%s`", bundle ? bundle : ".");
  config = oci_config_parse_data (default_config, sizeof default_config - 1, "default config", &parse_err);
  if (config == NULL)
    return pith_fail (err, 0, "%s", parse_err);
  if (rootless)
    make_rootless (config);
  json = oci_config_generate (config, OCI_GEN_PRETTY, &gen_err);
  oci_config_free (config);
  if (json == NULL)
    return pith_fail (err, 0, "generate config.json: %s", gen_err);
  fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return pith_fail (err, EEXIST, "config.json already exists in `%s`", bundle ? bundle : ".");
      return pith_fail (err, errno, "create config.json");
    }
  if (write_all (fd, json, strlen (json)) < 0 || write_all (fd, "\n", 1) < 0)
    {
      int saved = errno;
      close (fd);
      return pith_fail (err, saved, "write config.json");
    }
  close (fd);
  return 0;
}
