/* Mount options and the mounts of config.json.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_MOUNTS_H
#define PITH_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/mount.h>

#include "oci-types.h"
#include "pith.h"

struct cgroup_plan;

enum idmap_kind
{
  IDMAP_NONE,
  IDMAP_TOP,       /* `idmap`, or mappings alone: the mount itself */
  IDMAP_RECURSIVE, /* `ridmap`: every mount of an rbind */
};

struct mount_opts
{
  unsigned long flags;          /* MS_* for mount(2) */
  unsigned long cleared;        /* MS_* flags an option turned off (rw, suid, ...) */
  unsigned long propagation[4]; /* MS_SHARED ... in option order */
  size_t n_propagation;
  struct mount_attr rec;        /* rro, rnosuid, ...: applied with AT_RECURSIVE */
  bool tmpcopyup;
  enum idmap_kind idmap;        /* idmap / ridmap */
  char *data;                   /* options the filesystem interprets */
};

int mount_opts_parse (char **options, size_t n, struct mount_opts *out, pith_error *err);
/* Whether M (with options O) is idmapped, and how. */
enum idmap_kind mount_idmap_kind (const oci_mount *m, const struct mount_opts *o);
void mount_opts_release (struct mount_opts *o);

/* All option names pith knows, NULL-terminated (for `features`). */
const char *const *mount_option_names (void);
/* MS_* propagation of NAME (rprivate, shared, ...), or 0 if NAME is not one. */
unsigned long mount_propagation_of (const char *name);

struct mount_env
{
  int rootfd;          /* the container rootfs, before pivot_root */
  const char *bundle;  /* relative bind sources are relative to it */
  bool in_userns;
  const struct cgroup_plan *cgroups;
  bool cgroupns;       /* the container has its own cgroup namespace */
  const int *idmapped; /* per mount: an idmapped clone of its source made by the parent, or -1; may be NULL */
  const char *mount_label; /* SELinux context= for the mounts that take one, or NULL */
};

int mount_entry (const struct mount_env *env, const oci_mount *m, size_t index, pith_error *err);
/* Checks each mount's options before anything is created.  A mount is
 * idmapped when it has uidMappings/gidMappings or the option idmap/ridmap
 * (with no mappings of its own it takes the container's user namespace
 * mapping); only bind mounts can be. */
int mounts_validate (const oci_config *config, pith_error *err);

/* A new, detached mount of a TYPE file system (fsopen, fsconfig, fsmount)
 * with mount(2)'s FLAGS and DATA; move_mount puts it on a target's fd. */
int mount_new_fs (const char *type, const char *source, unsigned long flags, const char *data, pith_error *err);
/* mount_new_fs moved onto TARGET (an O_PATH fd); returns the new mount's fd. */
int mount_fs_onto (int target, const char *type, const char *source, unsigned long flags, const char *data,
                   pith_error *err);
/* The same file system on TARGET when the caller needs no fd of it. */
int mount_fs_at (int target, const char *type, const char *source, unsigned long flags, const char *data,
                 pith_error *err);

/* Binds the file or directory FROM_FD (any fd, O_PATH is fine) onto TO_FD. */
int bind_fd (int from_fd, int to_fd, bool recursive, unsigned attr_set, pith_error *err);

#endif
