/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bitmask.h"
#include "lookup.h"
#include "mempolicy.h"
#include "utils.h"

#define NODE_LIMIT 4096

enum nodes_rule
{
  NODES_NONE,     /* must not list nodes */
  NODES_OPTIONAL,
  NODES_REQUIRED,
};

static const struct
{
  const char *name;
  int value;
  enum nodes_rule nodes;
} modes[] = {
  { "MPOL_DEFAULT", 0, NODES_NONE },        { "MPOL_PREFERRED", 1, NODES_OPTIONAL },
  { "MPOL_BIND", 2, NODES_REQUIRED },       { "MPOL_INTERLEAVE", 3, NODES_REQUIRED },
  { "MPOL_LOCAL", 4, NODES_NONE },          { "MPOL_PREFERRED_MANY", 5, NODES_REQUIRED },
  { "MPOL_WEIGHTED_INTERLEAVE", 6, NODES_REQUIRED },
};

static const struct
{
  const char *name;
  int value;
} mode_flags[] = {
  { "MPOL_F_NUMA_BALANCING", 1 << 13 },
  { "MPOL_F_RELATIVE_NODES", 1 << 14 },
  { "MPOL_F_STATIC_NODES", 1 << 15 },
};

static const char *const mode_names[] = {
  "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL", "MPOL_PREFERRED_MANY",
  "MPOL_WEIGHTED_INTERLEAVE", NULL,
};
static const char *const flag_names[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES",
                                          NULL };

const char *const *
mempolicy_mode_names (void)
{
  return mode_names;
}

const char *const *
mempolicy_flag_names (void)
{
  return flag_names;
}

static int
mode_index (const char *name)
{
  return name_index (modes, name);
}

static int
flag_of (const char *name)
{
  int i = name_index (mode_flags, name);

  return i < 0 ? -1 : mode_flags[i].value;
}

int
mempolicy_validate (const oci_memory_policy *mp, const char *json_path, pith_error *err)
{
  int m = mode_index (mp->mode);
  bool has_nodes = mp->nodes && mp->nodes[0];
  int all_flags = 0;
  struct bitmask nodes;

  if (m < 0)
    return pith_fail (err, 0, "%s/mode: unknown memory policy mode \"%s\"", json_path, mp->mode);
  if (modes[m].nodes == NODES_NONE && has_nodes)
    return pith_fail (err, 0, "%s/nodes: %s takes no nodes", json_path, mp->mode);
  if (modes[m].nodes == NODES_REQUIRED && !has_nodes)
    return pith_fail (err, 0, "%s/nodes: %s needs at least one node", json_path, mp->mode);
  if (bitmask_parse (mp->nodes, NODE_LIMIT, &nodes, err) < 0)
    return pith_wrap (err, "%s/nodes", json_path);
  bitmask_release (&nodes);
  for (size_t i = 0; i < mp->flags_len; i++)
    {
      int f = flag_of (mp->flags[i]);

      if (f < 0)
        return pith_fail (err, 0, "%s/flags/%zu: unknown memory policy flag \"%s\"", json_path, i, mp->flags[i]);
      all_flags |= f;
    }
  if (all_flags && modes[m].value == 0)
    return pith_fail (err, 0, "%s/flags: MPOL_DEFAULT takes no flags", json_path);
  if ((all_flags & flag_of ("MPOL_F_STATIC_NODES")) && (all_flags & flag_of ("MPOL_F_RELATIVE_NODES")))
    return pith_fail (err, 0, "%s/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other",
                      json_path);
  return 0;
}

int
mempolicy_apply (const oci_memory_policy *mp, pith_error *err)
{
  struct bitmask nodes;
  int mode;
  long r;

  if (mp == NULL)
    return 0;
  mode = modes[mode_index (mp->mode)].value;
  for (size_t i = 0; i < mp->flags_len; i++)
    mode |= flag_of (mp->flags[i]);
  if (bitmask_parse (mp->nodes, NODE_LIMIT, &nodes, err) < 0)
    return -1;
  /* The kernel reads one bit less than maxnode says. */
  r = syscall (SYS_set_mempolicy, mode, nodes.bits, nodes.bits ? nodes.nbits + 1 : 0);
  bitmask_release (&nodes);
  if (r < 0)
    return pith_fail (err, errno, "memoryPolicy: set %s%s%s", mp->mode, mp->nodes ? " on nodes " : "",
                      mp->nodes ? mp->nodes : "");
  return 0;
}
