/* Linux namespaces: which to create, which to join by path, and the steps
 * on each side of the clone.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_NAMESPACES_H
#define PITH_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci-types.h"
#include "pith.h"

enum ns_kind
{
  NS_USER, /* first: joining it decides who may join the others */
  NS_PID,
  NS_TIME,
  NS_MOUNT,
  NS_NET,
  NS_IPC,
  NS_UTS,
  NS_CGROUP,
  NS_COUNT,
};

struct ns_plan
{
  bool wanted[NS_COUNT];   /* listed in linux.namespaces */
  int join_fd[NS_COUNT];   /* opened `path`, or -1 for a new namespace */
  unsigned long clone_flags; /* new namespaces created by clone itself */
  bool unshare_cgroup;     /* new cgroup ns: after joining the container cgroup */
  bool unshare_time;       /* new time ns: made by the parent before clone */
  bool pid_after_join;     /* new pid ns in a joined user ns: the init forks into it */
};

const char *ns_kind_name (enum ns_kind k);
int ns_kind_from_name (const char *name);
/* Names of all supported kinds in spec spelling, NULL-terminated. */
const char *const *ns_spec_names (void);

int ns_validate (const oci_config *config, pith_error *err);
int ns_plan_open (const oci_linux *linux, struct ns_plan *plan, pith_error *err);
void ns_plan_close (struct ns_plan *plan);

/* Parent, before clone: enter the pid and time namespaces the child must be
 * born in (joined or new), remembering ours.  After clone, restore. */
struct ns_saved
{
  int pid_fd;
  int time_fd;
};
int ns_parent_prepare (const struct ns_plan *plan, const oci_linux *linux, struct ns_saved *saved, pith_error *err);
int ns_parent_restore (struct ns_saved *saved, pith_error *err);
/* The same for joining a running container (exec): the pid and time
 * namespaces among FLAGS, of the process behind PIDFD. */
int ns_parent_join_pidfd (int pidfd, unsigned long flags, struct ns_saved *saved, pith_error *err);

/* The CLONE_NEW* flags of the namespaces PID is in and we are not: what
 * joining it takes (setns of one's own user namespace is refused). */
int ns_differing_flags (pid_t pid, unsigned long *flags, pith_error *err);

/* Parent, after clone: write the child's uid/gid maps. */
int ns_write_id_maps (pid_t pid, const oci_linux *linux, pith_error *err);

/* Child: join the namespaces given by path (user first). */
int ns_join (struct ns_plan *plan, pith_error *err);

#endif
