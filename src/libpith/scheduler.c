/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bitmask.h"
#include "lookup.h"
#include "scheduler.h"
#include "utils.h"

#define CPU_LIMIT (1 << 16)
#define SCHED_ISO_VALUE 4 /* reserved by Linux, never implemented */

/* glibc of Debian 12 has no struct sched_attr; this is the kernel's
 * SCHED_ATTR_SIZE_VER1 layout. */
struct kernel_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

static const struct
{
  const char *name;
  int value;
} policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },   { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", SCHED_ISO_VALUE }, { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", 6 },
};

static const struct
{
  const char *name;
  uint64_t value;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static int
policy_of (const char *name)
{
  int i = name_index (policies, name);

  return i < 0 ? -1 : policies[i].value;
}

static int64_t
flag_of (const char *name)
{
  int i = name_index (sched_flags, name);

  return i < 0 ? -1 : (int64_t) sched_flags[i].value;
}

int
scheduler_validate (const oci_scheduler *s, const char *json_path, pith_error *err)
{
  int policy = policy_of (s->policy);
  bool realtime = policy == SCHED_FIFO || policy == SCHED_RR;
  int32_t priority = s->priority_present ? s->priority : 0;

  if (policy < 0)
    return pith_fail (err, 0, "%s/policy: unknown scheduling policy \"%s\"", json_path, s->policy);
  if (policy == SCHED_ISO_VALUE)
    return pith_fail (err, ENOTSUP, "%s/policy: SCHED_ISO is not implemented by Linux", json_path);
  if (s->nice_present && (s->nice < -20 || s->nice > 19))
    return pith_fail (err, 0, "%s/nice: %d is outside -20..19", json_path, s->nice);
  if (realtime && (priority < 1 || priority > 99))
    return pith_fail (err, 0, "%s/priority: %s needs a priority in 1..99, not %d", json_path, s->policy, priority);
  if (!realtime && priority != 0)
    return pith_fail (err, 0, "%s/priority: only SCHED_FIFO and SCHED_RR take a priority", json_path);
  if (policy != 6 && (s->runtime || s->deadline || s->period))
    return pith_fail (err, 0, "%s: runtime, deadline and period are for SCHED_DEADLINE only", json_path);
  for (size_t i = 0; i < s->flags_len; i++)
    if (flag_of (s->flags[i]) < 0)
      return pith_fail (err, 0, "%s/flags/%zu: unknown scheduler flag \"%s\"", json_path, i, s->flags[i]);
  return 0;
}

int
scheduler_apply (const oci_scheduler *s, pith_error *err)
{
  struct kernel_sched_attr attr = { .size = sizeof attr };

  if (s == NULL)
    return 0;
  attr.sched_policy = policy_of (s->policy);
  attr.sched_nice = s->nice_present ? s->nice : 0;
  attr.sched_priority = s->priority_present ? s->priority : 0;
  attr.sched_runtime = s->runtime;
  attr.sched_deadline = s->deadline;
  attr.sched_period = s->period;
  for (size_t i = 0; i < s->flags_len; i++)
    attr.sched_flags |= flag_of (s->flags[i]);
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return pith_fail (err, errno, "scheduler: set %s", s->policy);
  return 0;
}

int
affinity_validate (const oci_exec_cpu_affinity *a, const char *json_path, pith_error *err)
{
  const char *lists[] = { a->initial, a->final };
  const char *names[] = { "initial", "final" };

  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    {
      struct bitmask m;

      if (bitmask_parse (lists[i], CPU_LIMIT, &m, err) < 0)
        return pith_wrap (err, "%s/%s", json_path, names[i]);
      bitmask_release (&m);
    }
  return 0;
}

int
affinity_apply (const char *cpus, pith_error *err)
{
  struct bitmask m;
  int r;

  if (cpus == NULL || cpus[0] == '\0')
    return 0;
  if (bitmask_parse (cpus, CPU_LIMIT, &m, err) < 0)
    return -1;
  r = sched_setaffinity (0, bitmask_bytes (&m), (cpu_set_t *) m.bits);
  bitmask_release (&m);
  if (r < 0)
    return pith_fail (err, errno, "set CPU affinity to %s", cpus);
  return 0;
}
