/* Control groups: which hierarchies the host has, where the container's
 * cgroup goes, and which driver handles it (see cgroup.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "utils.h"

#define UNIFIED_KEY "unified"
#define RESOURCES_SOURCE "config.json: /linux/resources"

/* Mount options of a v1 cgroup mount that are not controller names. */
static bool
is_controller_option (const char *opt)
{
  static const char *const not_controllers[]
      = { "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "nosuid", "nodev", "noexec",
          "relatime", "noatime", "nsdelegate", "memory_recursiveprot", "favordynmods", "memory_localevents" };

  if (str_has_prefix (opt, "release_agent="))
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (not_controllers); i++)
    if (strcmp (opt, not_controllers[i]) == 0)
      return false;
  return true;
}

static char *
controllers_of (const char *super_opts)
{
  cleanup_free char *copy = xstrdup (super_opts);
  char *saveptr = NULL, *out = xzalloc (strlen (super_opts) + 1);

  for (char *tok = strtok_r (copy, ",", &saveptr); tok; tok = strtok_r (NULL, ",", &saveptr))
    if (is_controller_option (tok))
      {
        if (out[0])
          strcat (out, ",");
        strcat (out, tok);
      }
  return out;
}

/* The controllers a cgroup2 directory offers, comma-separated. */
static char *
unified_controllers (const char *dir)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };

  if (cgroup_read (dir, "cgroup.controllers", &data, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return xstrdup ("");
    }
  for (char *p = data; *p; p++)
    if (*p == ' ')
      *p = ',';
  return steal_pointer (&data);
}

/* The cgroup hierarchies mounted on the host, one per superblock, from
 * mountinfo: the filesystem type decides, not the mount path. */
static int
read_hierarchies (struct cgroup_plan *plan, pith_error *err)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  bool has_v1 = false, has_v2 = false;
  cleanup_strv char **seen_dev = xzalloc (sizeof (char *));
  size_t n_seen = 0;

  if (f == NULL)
    return pith_fail (err, errno, "open /proc/self/mountinfo");
  while (getline (&line, &cap, f) > 0)
    {
      char *fields[16] = { 0 }, *saveptr = NULL, *sep;
      size_t nf = 0;
      bool dup = false;

      /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
      sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      *sep = '\0';
      for (char *t = strtok_r (line, " ", &saveptr); t && nf < 6; t = strtok_r (NULL, " ", &saveptr))
        fields[nf++] = t;
      saveptr = NULL;
      char *fstype = strtok_r (sep + 3, " ", &saveptr);
      strtok_r (NULL, " ", &saveptr); /* source */
      char *superopts = strtok_r (NULL, " \n", &saveptr);
      if (nf < 5 || fstype == NULL || superopts == NULL)
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        continue;
      if (strcmp (fields[3], "/") != 0)
        continue;
      for (size_t i = 0; i < n_seen; i++)
        dup |= strcmp (seen_dev[i], fields[2]) == 0;
      if (dup)
        continue;
      seen_dev = xrealloc (seen_dev, (n_seen + 2) * sizeof *seen_dev);
      seen_dev[n_seen++] = xstrdup (fields[2]);
      seen_dev[n_seen] = NULL;

      plan->h = xrealloc (plan->h, (plan->n + 1) * sizeof *plan->h);
      plan->h[plan->n] = (struct cgroup_hierarchy){
        .mountpoint = xstrdup (fields[4]),
        .controllers = v2 ? unified_controllers (fields[4]) : controllers_of (superopts),
        .unified = v2,
      };
      plan->n++;
      has_v1 |= !v2;
      has_v2 |= v2;
    }
  if (plan->n == 0)
    return pith_fail (err, ENOENT, "no cgroup filesystem is mounted");
  plan->v2 = has_v2 && !has_v1;
  return 0;
}

/* The caller's own cgroup in the hierarchy with these controllers, for relative paths. */
static char *
own_cgroup (const struct cgroup_hierarchy *h)
{
  cleanup_file FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  const char *want = h->unified ? "" : h->controllers;

  if (f == NULL)
    return xstrdup ("/");
  while (getline (&line, &cap, f) > 0)
    {
      char *ctrl = strchr (line, ':'), *path;

      if (ctrl == NULL || (path = strchr (ctrl + 1, ':')) == NULL)
        continue;
      *path++ = '\0';
      path[strcspn (path, "\n")] = '\0';
      if (strcmp (ctrl + 1, want) == 0)
        return xstrdup (path);
    }
  return xstrdup ("/");
}

static void
plan_init (struct cgroup_plan *plan)
{
  memset (plan, 0, sizeof *plan);
  plan->clone_fd = -1;
  plan->source = RESOURCES_SOURCE;
}

int
cgroup_plan_make (pith_context *ctx, const oci_linux *linux, const char *id, struct cgroup_plan *plan,
                  pith_error *err)
{
  const char *config_path = linux ? linux->cgroups_path : NULL;

  plan_init (plan);
  /* --cgroup-manager disabled: no cgroup at all (cgroup-none.c). */
  if (ctx->cgroup_disabled)
    return cgroup_none_plan (ctx, linux ? linux->resources : NULL, plan, err);
  if (read_hierarchies (plan, err) < 0)
    return -1;
  plan->fs = plan->v2 ? &cgroup_driver_v2 : &cgroup_driver_v1;
  plan->driver = ctx->systemd_cgroup ? &cgroup_driver_systemd : plan->fs;
  if (linux)
    {
      plan->devices = linux->devices;
      plan->devices_len = linux->devices_len;
    }
  if (ctx->systemd_cgroup)
    {
      if (cgroup_systemd_path (config_path, id, plan, err) < 0)
        return -1;
    }
  else if (config_path == NULL || config_path[0] == '\0')
    plan->path = xasprintf ("/pith/%s", id);
  else
    plan->path = xstrdup (config_path);
  if (strstr (plan->path, "..") != NULL)
    return pith_fail (err, 0, "config.json: /linux/cgroupsPath: \"%s\" must not contain \"..\"", plan->path);

  for (size_t i = 0; i < plan->n; i++)
    {
      struct cgroup_hierarchy *h = &plan->h[i];

      if (plan->path[0] == '/')
        h->dir = xasprintf ("%s%s", h->mountpoint, plan->path);
      else
        {
          cleanup_free char *base = own_cgroup (h);
          h->dir = xasprintf ("%s%s%s/%s", h->mountpoint, base[0] == '/' ? "" : "/",
                              strcmp (base, "/") == 0 ? "" : base, plan->path);
        }
    }
  return 0;
}

int
cgroup_plan_load (const oci_saved_state *s, struct cgroup_plan *plan, pith_error *err)
{
  const oci_map_string *paths = s->cgroup_paths;
  bool has_v1 = false;

  (void) err;
  plan_init (plan);
  for (size_t i = 0; paths && i < paths->len; i++)
    {
      bool unified = strcmp (paths->keys[i], UNIFIED_KEY) == 0;

      plan->h = xrealloc (plan->h, (plan->n + 1) * sizeof *plan->h);
      plan->h[plan->n++] = (struct cgroup_hierarchy){
        .controllers = unified ? unified_controllers (paths->values[i]) : xstrdup (paths->keys[i]),
        .unified = unified,
        .dir = xstrdup (paths->values[i]),
      };
      has_v1 |= !unified;
    }
  plan->v2 = plan->n > 0 && !has_v1;
  plan->fs = plan->v2 ? &cgroup_driver_v2 : &cgroup_driver_v1;
  plan->driver = s->systemd_cgroup_present && s->systemd_cgroup ? &cgroup_driver_systemd : plan->fs;
  /* No paths saved: made with --cgroup-manager disabled. */
  if (plan->n == 0)
    plan->driver = &cgroup_driver_none;
  if (plan->n > 0)
    {
      /* A systemd scope's unit is the last component of its cgroup. */
      const char *base = strrchr (plan->h[0].dir, '/');
      plan->path = xstrdup (plan->h[0].dir);
      if (plan->driver == &cgroup_driver_systemd && base)
        plan->unit = xstrdup (base + 1);
    }
  return 0;
}

void
cgroup_plan_release (struct cgroup_plan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      free (plan->h[i].mountpoint);
      free (plan->h[i].controllers);
      free (plan->h[i].dir);
    }
  if (plan->clone_fd >= 0)
    close (plan->clone_fd);
  free (plan->h);
  free (plan->path);
  free (plan->slice);
  free (plan->unit);
  plan_init (plan);
}

void
cgroup_plan_save (const struct cgroup_plan *plan, oci_map_string **paths)
{
  for (size_t i = 0; i < plan->n; i++)
    oci_map_string_set (paths, plan->h[i].unified ? UNIFIED_KEY : plan->h[i].controllers, plan->h[i].dir);
}

bool
cgroup_hierarchy_has (const struct cgroup_hierarchy *h, const char *name)
{
  size_t l = strlen (name);

  for (const char *p = h->controllers; (p = strstr (p, name)) != NULL; p += l)
    if ((p == h->controllers || p[-1] == ',') && (p[l] == '\0' || p[l] == ','))
      return true;
  return false;
}

const struct cgroup_hierarchy *
cgroup_find (const struct cgroup_plan *plan, const char *controller)
{
  for (size_t i = 0; i < plan->n; i++)
    if (cgroup_hierarchy_has (&plan->h[i], controller))
      return &plan->h[i];
  return NULL;
}

int
cgroup_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *resources, pith_error *err)
{
  return plan->driver->prepare (ctx, plan, resources, err);
}

bool
cgroup_prepare_before_clone (const struct cgroup_plan *plan)
{
  return plan->v2 || plan->driver == &cgroup_driver_systemd;
}

int
cgroup_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *resources,
             pith_error *err)
{
  return plan->driver->join (ctx, plan, pid, resources, err);
}

int
cgroup_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err)
{
  if (plan->n == 0)
    return 0;
  return plan->driver->destroy (ctx, plan, err);
}

int
cgroup_state_destroy (pith_context *ctx, const oci_saved_state *s, pith_error *err)
{
  struct cgroup_plan plan;
  int ret = cgroup_plan_load (s, &plan, err);

  if (ret == 0)
    ret = cgroup_destroy (ctx, &plan, err);
  cgroup_plan_release (&plan);
  return ret;
}

int
cgroup_state_signal (const oci_saved_state *s, int signo, pith_error *err)
{
  struct cgroup_plan plan;
  int ret = cgroup_plan_load (s, &plan, err);

  if (ret == 0)
    ret = plan.driver->signal_all (&plan, signo, err);
  cgroup_plan_release (&plan);
  return ret;
}

int
cgroup_state_thaw (const oci_saved_state *s, pith_error *err)
{
  struct cgroup_plan plan;
  int ret = cgroup_plan_load (s, &plan, err);

  if (ret == 0 && plan.n > 0)
    ret = plan.driver->freeze (&plan, false, err);
  cgroup_plan_release (&plan);
  return ret;
}

bool
cgroup_is_frozen (const oci_map_string *paths)
{
  if (paths == NULL)
    return false;
  for (size_t i = 0; i < paths->len; i++)
    {
      cleanup_free char *data = NULL;
      pith_error ignored = { 0 };
      bool v2 = strcmp (paths->keys[i], UNIFIED_KEY) == 0;

      if (!v2 && strcmp (paths->keys[i], "freezer") != 0)
        continue;
      /* On a hybrid host the v1 freezer decides; cgroup.freeze is the v2 one. */
      if (v2 && paths->len > 1)
        continue;
      if (cgroup_read (paths->values[i], v2 ? "cgroup.freeze" : "freezer.state", &data, &ignored) < 0)
        {
          pith_error_release (&ignored);
          continue;
        }
      if (v2 ? data[0] == '1' : str_has_prefix (data, "FROZEN"))
        return true;
    }
  return false;
}
