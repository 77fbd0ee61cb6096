/* Control groups: detecting the host's hierarchies, placing the container,
 * applying linux.resources, tearing down.  The per-version resource writers
 * live in cgroup-v1.c and cgroup-v2.c.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_CGROUP_H
#define PITH_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci-types.h"
#include "pith.h"

struct cgroup_hierarchy
{
  char *mountpoint;  /* /sys/fs/cgroup/memory */
  char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; on cgroup2 its cgroup.controllers */
  bool unified;      /* a cgroup2 hierarchy */
  char *dir;         /* the container's cgroup directory in it */
};

struct cgroup_plan
{
  bool v2;        /* pure cgroup2 host */
  char *path;     /* the cgroup path, e.g. /pith/<id> */
  struct cgroup_hierarchy *h;
  size_t n;
};

/* Works out where the container's cgroups go (nothing is created yet). */
int cgroup_plan_make (pith_context *ctx, const oci_linux *linux, const char *id, struct cgroup_plan *plan,
                      pith_error *err);
void cgroup_plan_release (struct cgroup_plan *plan);

/* Creates the cgroups, applies RESOURCES and moves PID in. */
int cgroup_enter (pith_context *ctx, const struct cgroup_plan *plan, pid_t pid, const oci_resources *resources,
                  pith_error *err);
/* key: controllers of a hierarchy ("unified" for cgroup2), value: directory. */
void cgroup_plan_save (const struct cgroup_plan *plan, oci_map_string **paths);

/* Kills what is left and removes the directories (and empty parents). */
int cgroup_destroy (const oci_map_string *paths, pith_error *err);
int cgroup_signal_all (const oci_map_string *paths, int signo, pith_error *err);
bool cgroup_is_frozen (const oci_map_string *paths);

/* Mounts the container's view of the cgroups at DESTINATION in ROOTFD
 * (the `cgroup` mount type of config.json). */
int cgroup_mount (const struct cgroup_plan *plan, int rootfd, const char *destination, unsigned long flags,
                  bool cgroupns, pith_error *err);

/* Resources the host (or this build) cannot apply: an error naming the
 * resource and the reason, never a silent skip. */
int cgroup_check_resources (const struct cgroup_plan *plan, const oci_resources *r, pith_error *err);
bool cgroup_hierarchy_has (const struct cgroup_hierarchy *h, const char *controller);

/* Writers shared by the version-specific files. */
int cgroup_write (const char *dir, const char *file, const char *value, pith_error *err);
int cgroup_write_u64 (const char *dir, const char *file, uint64_t value, pith_error *err);
int cgroup_write_i64 (const char *dir, const char *file, int64_t value, pith_error *err);

int cgroup_v1_apply (const struct cgroup_hierarchy *h, const oci_resources *r, pith_error *err);
/* On a cgroup2 hierarchy, applies the resources whose controller it holds. */
int cgroup_v2_apply (const struct cgroup_hierarchy *h, const oci_resources *r, pith_error *err);
/* Enables the hierarchy's controllers in every ancestor of the container's cgroup. */
int cgroup_v2_enable_controllers (const struct cgroup_hierarchy *h, pith_error *err);

#endif
