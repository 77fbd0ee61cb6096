/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "intelrdt.h"
#include "utils.h"

#define RDTGROUP_SUPER_MAGIC 0x7655821

static bool
is_set (const char *s)
{
  return s && s[0];
}

int
intelrdt_validate (const oci_intel_rdt *r, pith_error *err)
{
  const char *c = r->clos_id;

  if (c && (c[0] == '\0' || strchr (c, '/') || strchr (c, '\n') || strcmp (c, ".") == 0 || strcmp (c, "..") == 0
            || strcmp (c, "info") == 0 || strcmp (c, "mon_groups") == 0))
    return pith_fail (err, 0, "config.json: /linux/intelRdt/closID: \"%s\" is not a resctrl group name", c);
  if (is_set (r->mem_bw_schema) && !str_has_prefix (r->mem_bw_schema, "MB:"))
    return pith_fail (err, 0, "config.json: /linux/intelRdt/memBwSchema: must start with \"MB:\"");
  for (size_t i = 0; i < r->schemata_len; i++)
    if (r->schemata[i][0] == '\0')
      return pith_fail (err, 0, "config.json: /linux/intelRdt/schemata/%zu: empty line", i);
  return 0;
}

int
intelrdt_check_host (pith_error *err)
{
  struct statfs sfs;

  if (statfs (RESCTRL_ROOT, &sfs) < 0 || sfs.f_type != RDTGROUP_SUPER_MAGIC)
    return pith_fail (err, ENOTSUP,
                      "config.json: /linux/intelRdt: resctrl is not mounted at " RESCTRL_ROOT
                      " (no Intel RDT here, or mount -t resctrl resctrl " RESCTRL_ROOT ")");
  return 0;
}

/* The schema lines of l3CacheSchema and memBwSchema: with both, an MB:
 * line of l3CacheSchema gives way to memBwSchema (config-linux.md). */
static char *
allocation_schema (const oci_intel_rdt *r)
{
  cleanup_free char *l3 = is_set (r->l3_cache_schema) ? xstrdup (r->l3_cache_schema) : NULL;
  char *out = xstrdup (""), *saveptr = NULL, *next;

  for (char *line = l3 ? strtok_r (l3, "\n", &saveptr) : NULL; line; line = strtok_r (NULL, "\n", &saveptr))
    if (!(is_set (r->mem_bw_schema) && str_has_prefix (line, "MB:")))
      {
        next = xasprintf ("%s%s\n", out, line);
        free (out);
        out = next;
      }
  if (is_set (r->mem_bw_schema))
    {
      next = xasprintf ("%s%s\n", out, r->mem_bw_schema);
      free (out);
      out = next;
    }
  return out;
}

/* An existing group must already hold the lines asked for. */
static int
check_schema (int group, const char *want, const char *name, pith_error *err)
{
  cleanup_free char *have = NULL, *copy = xstrdup (want);
  char *saveptr = NULL;

  if (read_file_at (group, "schemata", 1 << 16, &have, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (copy, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    if (strstr (have, line) == NULL)
      return pith_fail (err, 0, "config.json: /linux/intelRdt: group \"%s\" exists with other schemata (no `%s`)",
                        name, line);
  return 0;
}

static int
write_pid (int dirfd, pid_t pid, pith_error *err)
{
  char buf[16];

  snprintf (buf, sizeof buf, "%d", (int) pid);
  return write_file_at (dirfd, "tasks", buf, strlen (buf), err);
}

static int
join_group (const oci_intel_rdt *r, int group, const char *name, bool existed, pid_t pid, pith_error *err)
{
  cleanup_free char *schema = allocation_schema (r);

  if (schema[0] && existed && is_set (r->clos_id))
    {
      if (check_schema (group, schema, name, err) < 0)
        return -1;
    }
  else if (schema[0] && write_file_at (group, "schemata", schema, strlen (schema), err) < 0)
    return pith_wrap (err, "intelRdt: schemata of \"%s\"", name);
  for (size_t i = 0; i < r->schemata_len; i++)
    if (write_file_at (group, "schemata", r->schemata[i], strlen (r->schemata[i]), err) < 0)
      return pith_wrap (err, "intelRdt: schemata of \"%s\"", name);
  return write_pid (group, pid, err) < 0 ? pith_wrap (err, "intelRdt: join \"%s\"", name) : 0;
}

static int
check_monitoring (int group, const oci_intel_rdt *r, pith_error *err)
{
  static const struct
  {
    const char *field;
    const char *file;
  } events[] = { { "enableCMT", "mon_data/mon_L3_00/llc_occupancy" },
                 { "enableMBM", "mon_data/mon_L3_00/mbm_total_bytes" } };
  bool wanted[] = { r->enable_cmt_present && r->enable_cmt, r->enable_mbm_present && r->enable_mbm };

  for (size_t i = 0; i < ARRAY_SIZE (events); i++)
    if (wanted[i] && faccessat (group, events[i].file, F_OK, 0) < 0)
      return pith_fail (err, ENOTSUP, "config.json: /linux/intelRdt/%s: not supported by this host", events[i].field);
  return 0;
}

int
intelrdt_enter (const oci_intel_rdt *r, const char *root, const char *id, pid_t pid, int state_dirfd,
                pith_error *err)
{
  const char *name = is_set (r->clos_id) ? r->clos_id : id;
  bool has_schema = is_set (r->l3_cache_schema) || is_set (r->mem_bw_schema) || r->schemata_len;
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), group = -1, mon = -1;
  cleanup_free char *record = xstrdup ("");
  bool existed = true;

  if (rootfd < 0)
    return pith_fail (err, errno, "intelRdt: open `%s`", root);
  /* A closID with no schema names a group set up beforehand. */
  if (!(is_set (r->clos_id) && !has_schema))
    {
      if (mkdirat (rootfd, name, 0755) == 0)
        existed = false;
      else if (errno != EEXIST)
        return pith_fail (err, errno, "intelRdt: create group \"%s\"", name);
    }
  group = openat (rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (group < 0)
    return pith_fail (err, errno, "intelRdt: open group \"%s\"%s", name,
                      has_schema ? "" : " (with closID and no schema, the group must exist)");
  if (!existed)
    {
      free (record);
      record = xasprintf ("%s/%s\n", root, name);
    }
  if (check_monitoring (group, r, err) < 0 || join_group (r, group, name, existed, pid, err) < 0)
    goto fail;
  if (r->enable_monitoring_present && r->enable_monitoring)
    {
      cleanup_free char *mon_path = xasprintf ("mon_groups/%s", id);
      char *next;

      if (mkdirat (group, mon_path, 0755) < 0 && errno != EEXIST)
        {
          pith_fail (err, errno, "intelRdt: create monitoring group \"%s\"", id);
          goto fail;
        }
      next = xasprintf ("%s/%s/%s\n%s", root, name, mon_path, record);
      free (record);
      record = next;
      mon = openat (group, mon_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (mon < 0 || write_pid (mon, pid, err) < 0)
        {
          if (mon < 0)
            pith_fail (err, errno, "intelRdt: open monitoring group \"%s\"", id);
          goto fail;
        }
    }
  if (record[0] && write_file_atomic (state_dirfd, INTELRDT_RECORD, record, strlen (record), 0600, err) < 0)
    goto fail;
  return 0;
fail:
  if (!existed)
    unlinkat (rootfd, name, AT_REMOVEDIR);
  return -1;
}

int
intelrdt_join (const oci_intel_rdt *r, const char *root, const char *id, pid_t pid, pith_error *err)
{
  const char *name = is_set (r->clos_id) ? r->clos_id : id;
  cleanup_free char *group = xasprintf ("%s/%s", root, name);
  cleanup_close int groupfd = open (group, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (groupfd < 0)
    return pith_fail (err, errno, "intelRdt: open group `%s`", group);
  if (write_pid (groupfd, pid, err) < 0)
    return pith_wrap (err, "intelRdt: join \"%s\"", name);
  if (r->enable_monitoring_present && r->enable_monitoring)
    {
      cleanup_free char *mon_path = xasprintf ("mon_groups/%s", id);
      cleanup_close int mon = openat (groupfd, mon_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      if (mon < 0)
        return pith_fail (err, errno, "intelRdt: open monitoring group `%s/%s`", group, mon_path);
      if (write_pid (mon, pid, err) < 0)
        return pith_wrap (err, "intelRdt: join monitoring group \"%s\"", id);
    }
  return 0;
}

int
intelrdt_destroy (int state_dirfd, pith_error *err)
{
  cleanup_free char *record = NULL;
  char *saveptr = NULL;

  if (read_file_at (state_dirfd, INTELRDT_RECORD, 1 << 16, &record, NULL, err) < 0)
    {
      if (err->errno_value != ENOENT)
        return -1;
      pith_error_release (err);
      return 0;
    }
  /* Monitoring groups come first in the record: they live inside the group. */
  for (char *dir = strtok_r (record, "\n", &saveptr); dir; dir = strtok_r (NULL, "\n", &saveptr))
    if (rmdir (dir) < 0 && errno != ENOENT)
      return pith_fail (err, errno, "intelRdt: remove `%s`", dir);
  return 0;
}
