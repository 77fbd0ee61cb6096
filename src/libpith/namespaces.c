/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "namespaces.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *spec_name;
  const char *proc_name; /* /proc/<pid>/ns/<proc_name> */
  int flag;
} ns_table[NS_COUNT] = {
  [NS_USER] = { "user", "user", CLONE_NEWUSER },
  [NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [NS_TIME] = { "time", "time", CLONE_NEWTIME },
  [NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
  [NS_NET] = { "network", "net", CLONE_NEWNET },
  [NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
};

static const char *const spec_names[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };

const char *
ns_kind_name (enum ns_kind k)
{
  return ns_table[k].spec_name;
}

int
ns_kind_from_name (const char *name)
{
  for (int k = 0; k < NS_COUNT; k++)
    if (strcmp (ns_table[k].spec_name, name) == 0)
      return k;
  return -1;
}

const char *const *
ns_spec_names (void)
{
  return spec_names;
}

int
ns_validate (const oci_config *config, pith_error *err)
{
  const oci_linux *linux = config->linux;
  bool seen[NS_COUNT] = { false };

  if (linux == NULL)
    return 0;
  for (size_t i = 0; i < linux->namespaces_len; i++)
    {
      const oci_namespace *ns = linux->namespaces[i];
      int k = ns_kind_from_name (ns->type);

      if (k < 0)
        return pith_fail (err, 0, "config.json: /linux/namespaces/%zu/type: unknown namespace type \"%s\"", i,
                          ns->type);
      if (seen[k])
        return pith_fail (err, 0, "config.json: /linux/namespaces/%zu: namespace \"%s\" is listed twice", i,
                          ns->type);
      seen[k] = true;
      if (ns->path && ns->path[0] != '/')
        return pith_fail (err, 0, "config.json: /linux/namespaces/%zu/path: \"%s\" is not an absolute path", i,
                          ns->path);
    }
  if ((linux->uid_mappings_len || linux->gid_mappings_len) && !seen[NS_USER])
    return pith_fail (err, 0, "config.json: /linux/uidMappings: id mappings need a user namespace");
  if (linux->time_offsets && linux->time_offsets->len && !seen[NS_TIME])
    return pith_fail (err, 0, "config.json: /linux/timeOffsets: time offsets need a time namespace");
  if (config->hostname && config->hostname[0] && !seen[NS_UTS])
    return pith_fail (err, 0, "config.json: /hostname: setting the hostname needs a new uts namespace");
  if (config->domainname && config->domainname[0] && !seen[NS_UTS])
    return pith_fail (err, 0, "config.json: /domainname: setting the domainname needs a new uts namespace");
  return 0;
}

int
ns_plan_open (const oci_linux *linux, struct ns_plan *plan, pith_error *err)
{
  memset (plan, 0, sizeof *plan);
  for (int k = 0; k < NS_COUNT; k++)
    plan->join_fd[k] = -1;
  if (linux == NULL)
    return 0;
  for (size_t i = 0; i < linux->namespaces_len; i++)
    {
      const oci_namespace *ns = linux->namespaces[i];
      int k = ns_kind_from_name (ns->type);

      plan->wanted[k] = true;
      if (ns->path && ns->path[0])
        {
          plan->join_fd[k] = open (ns->path, O_RDONLY | O_CLOEXEC);
          if (plan->join_fd[k] < 0)
            return pith_fail (err, errno, "open %s namespace `%s`", ns->type, ns->path);
        }
      else if (k == NS_CGROUP)
        plan->unshare_cgroup = true;
      else if (k == NS_TIME)
        plan->unshare_time = true;
      else if (k != NS_PID || plan->join_fd[NS_USER] < 0)
        plan->clone_flags |= ns_table[k].flag;
    }
  /* Namespaces created by clone belong to the user namespace the child is
   * born in.  When a user namespace is joined by path, the others must be
   * created after the child has joined it, so clone makes none. */
  if (plan->join_fd[NS_USER] >= 0)
    {
      plan->clone_flags = 0;
      /* A new pid namespace must belong to the joined user namespace, and
       * only the children of its maker are born in it: the init makes it
       * and forks the real init (fork_into_pid_ns in init.c). */
      plan->pid_after_join = plan->wanted[NS_PID] && plan->join_fd[NS_PID] < 0;
    }
  return 0;
}

void
ns_plan_close (struct ns_plan *plan)
{
  for (int k = 0; k < NS_COUNT; k++)
    if (plan->join_fd[k] >= 0)
      {
        close (plan->join_fd[k]);
        plan->join_fd[k] = -1;
      }
}

static int
write_time_offsets (const oci_linux *linux, pith_error *err)
{
  static const struct
  {
    const char *spec_name;
    const char *kernel_name;
  } clocks[] = { { "monotonic", "monotonic" }, { "boottime", "boottime" } };
  const oci_map_time_offset *offsets = linux->time_offsets;
  char buf[256];
  size_t used = 0;

  if (offsets == NULL)
    return 0;
  for (size_t i = 0; i < offsets->len; i++)
    {
      const char *kernel_name = NULL;

      for (size_t c = 0; c < ARRAY_SIZE (clocks); c++)
        if (strcmp (offsets->keys[i], clocks[c].spec_name) == 0)
          kernel_name = clocks[c].kernel_name;
      if (kernel_name == NULL)
        return pith_fail (err, 0, "config.json: /linux/timeOffsets/%s: unknown clock (monotonic or boottime)",
                          offsets->keys[i]);
      used += snprintf (buf + used, sizeof buf - used, "%s %lld %u\n", kernel_name,
                        (long long) offsets->values[i]->secs, offsets->values[i]->nanosecs);
    }
  if (used == 0)
    return 0;
  /* One write: the kernel accepts offsets only before a process enters. */
  return write_file_at (AT_FDCWD, "/proc/self/timens_offsets", buf, used, err);
}

static int
save_ns_for_children (const char *name, int *fd, pith_error *err)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/self/ns/%s", name);
  *fd = open (path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return pith_fail (err, errno, "open `%s`", path);
  return 0;
}

int
ns_parent_prepare (const struct ns_plan *plan, const oci_linux *linux, struct ns_saved *saved, pith_error *err)
{
  saved->pid_fd = saved->time_fd = -1;
  if (plan->join_fd[NS_PID] >= 0)
    {
      if (save_ns_for_children ("pid_for_children", &saved->pid_fd, err) < 0)
        return -1;
      if (setns (plan->join_fd[NS_PID], CLONE_NEWPID) < 0)
        return pith_fail (err, errno, "join pid namespace");
    }
  if (plan->join_fd[NS_TIME] >= 0 || plan->unshare_time)
    {
      if (save_ns_for_children ("time_for_children", &saved->time_fd, err) < 0)
        return -1;
      if (plan->join_fd[NS_TIME] >= 0)
        {
          if (setns (plan->join_fd[NS_TIME], CLONE_NEWTIME) < 0)
            return pith_fail (err, errno, "join time namespace");
        }
      else
        {
          if (unshare (CLONE_NEWTIME) < 0)
            return pith_fail (err, errno, "create time namespace");
          if (write_time_offsets (linux, err) < 0)
            return -1;
        }
    }
  return 0;
}

int
ns_parent_join_pidfd (int pidfd, unsigned long flags, struct ns_saved *saved, pith_error *err)
{
  saved->pid_fd = saved->time_fd = -1;
  flags &= CLONE_NEWPID | CLONE_NEWTIME;
  if ((flags & CLONE_NEWPID) && save_ns_for_children ("pid_for_children", &saved->pid_fd, err) < 0)
    return -1;
  if ((flags & CLONE_NEWTIME) && save_ns_for_children ("time_for_children", &saved->time_fd, err) < 0)
    return -1;
  if (flags && setns (pidfd, flags) < 0)
    return pith_fail (err, errno, "join the container's pid and time namespaces");
  return 0;
}

int
ns_differing_flags (pid_t pid, unsigned long *flags, pith_error *err)
{
  *flags = 0;
  for (int k = 0; k < NS_COUNT; k++)
    {
      char mine[64], theirs[64];
      struct stat a, b;

      snprintf (mine, sizeof mine, "/proc/self/ns/%s", ns_table[k].proc_name);
      snprintf (theirs, sizeof theirs, "/proc/%d/ns/%s", (int) pid, ns_table[k].proc_name);
      if (stat (theirs, &b) < 0)
        {
          /* A kind this kernel lacks: nobody is in one. */
          if (errno == ENOENT && stat (mine, &a) < 0)
            continue;
          return pith_fail (err, errno, "`%s`", theirs);
        }
      if (stat (mine, &a) < 0)
        return pith_fail (err, errno, "`%s`", mine);
      if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        *flags |= ns_table[k].flag;
    }
  return 0;
}

int
ns_parent_restore (struct ns_saved *saved, pith_error *err)
{
  int ret = 0;

  if (saved->pid_fd >= 0 && setns (saved->pid_fd, CLONE_NEWPID) < 0)
    ret = pith_fail (err, errno, "restore pid namespace for children");
  if (saved->time_fd >= 0 && setns (saved->time_fd, CLONE_NEWTIME) < 0)
    ret = pith_fail (err, errno, "restore time namespace for children");
  if (saved->pid_fd >= 0)
    close (saved->pid_fd);
  if (saved->time_fd >= 0)
    close (saved->time_fd);
  saved->pid_fd = saved->time_fd = -1;
  return ret;
}

static int
write_id_map (pid_t pid, const char *file, oci_id_mapping **maps, size_t n, pith_error *err)
{
  cleanup_free char *buf = xmalloc (n * 36 + 1);
  char path[64];
  size_t used = 0;

  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    used += sprintf (buf + used, "%u %u %u\n", maps[i]->container_id, maps[i]->host_id, maps[i]->size);
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  if (write_file_at (AT_FDCWD, path, buf, used, err) < 0)
    return pith_wrap (err, "write %s", file);
  return 0;
}

int
ns_write_id_maps (pid_t pid, const oci_linux *linux, pith_error *err)
{
  if (write_id_map (pid, "uid_map", linux->uid_mappings, linux->uid_mappings_len, err) < 0)
    return -1;
  return write_id_map (pid, "gid_map", linux->gid_mappings, linux->gid_mappings_len, err);
}

int
ns_join (struct ns_plan *plan, pith_error *err)
{
  unsigned long late_flags = 0;

  /* With a joined user namespace clone made nothing new: the namespaces to
   * create are made once inside it, so that it owns them. */
  if (plan->join_fd[NS_USER] >= 0)
    for (int k = 0; k < NS_COUNT; k++)
      if (plan->wanted[k] && plan->join_fd[k] < 0 && k != NS_TIME && k != NS_CGROUP)
        late_flags |= ns_table[k].flag;

  for (int k = 0; k < NS_COUNT; k++)
    {
      /* pid and time were entered by the parent for us. */
      if (plan->join_fd[k] < 0 || k == NS_PID || k == NS_TIME)
        continue;
      if (setns (plan->join_fd[k], ns_table[k].flag) < 0)
        return pith_fail (err, errno, "join %s namespace", ns_table[k].spec_name);
      close (plan->join_fd[k]);
      plan->join_fd[k] = -1;
      /* The gid too: an unmapped one makes files created in the
       * namespace's own file systems fail with EOVERFLOW. */
      if (k == NS_USER && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
        return pith_fail (err, errno, "become root in the joined user namespace");
    }
  if (late_flags && unshare (late_flags) < 0)
    return pith_fail (err, errno, "create namespaces");
  return 0;
}
