/* Usage statistics of a container's cgroup, read from the v1 controllers
 * or the cgroup2 files, and written as the `data` of runc's stats event
 * (runc types.Stats), which containerd and other callers decode.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "utils.h"

#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages"

int
cgroup_read_keyed (const char *dir, const char *file, struct cgroup_kv **kv, size_t *n, pith_error *err)
{
  cleanup_free char *data = NULL;
  char *saveptr = NULL;

  *kv = NULL;
  *n = 0;
  if (cgroup_read (dir, file, &data, err) < 0)
    return -1;
  for (char *line = strtok_r (data, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      *kv = xrealloc (*kv, (*n + 1) * sizeof **kv);
      (*kv)[*n].key = xstrdup (line);
      (*kv)[*n].value = strtoull (sp + 1, NULL, 10);
      (*n)++;
    }
  return 0;
}

uint64_t
cgroup_kv_get (const struct cgroup_kv *kv, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (kv[i].key, key) == 0)
      return kv[i].value;
  return 0;
}

void
cgroup_kv_free (struct cgroup_kv *kv, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (kv[i].key);
  free (kv);
}

/* A number from DIR/FILE; "max" is UINT64_MAX, anything unreadable 0. */
static uint64_t
read_u64 (const char *dir, const char *file)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };

  if (cgroup_read (dir, file, &data, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return 0;
    }
  if (strcmp (data, "max") == 0)
    return UINT64_MAX;
  return strtoull (data, NULL, 10);
}

static void
read_keyed_quiet (const char *dir, const char *file, struct cgroup_kv **kv, size_t *n)
{
  pith_error ignored = { 0 };

  if (cgroup_read_keyed (dir, file, kv, n, &ignored) < 0)
    pith_error_release (&ignored);
}

static void
read_list (const char *dir, const char *file, uint16_t **out, size_t *n)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };

  if (cgroup_read (dir, file, &data, &ignored) < 0)
    pith_error_release (&ignored);
  else
    {
      free (*out);
      if (cgroup_parse_list (data, out, n) < 0)
        *n = 0;
    }
}

static void
add_io (struct cgroup_io_entry **list, size_t *n, uint64_t major, uint64_t minor, const char *op, uint64_t value)
{
  *list = xrealloc (*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = (struct cgroup_io_entry){ major, minor, op, value };
}

/* The hugepage sizes of this machine, as "2MB" names. */
static char **
hugepage_sizes (void)
{
  cleanup_dir DIR *d = opendir (HUGEPAGES_DIR);
  struct dirent *de;
  char **sizes = xzalloc (sizeof *sizes);
  size_t n = 0;

  while (d && (de = readdir (d)) != NULL)
    {
      char *name = cgroup_hugepage_size_name (de->d_name);
      if (name == NULL)
        continue;
      sizes = xrealloc (sizes, (n + 2) * sizeof *sizes);
      sizes[n++] = name;
      sizes[n] = NULL;
    }
  return sizes;
}

static void
hugetlb_stats (const char *dir, bool v2, struct cgroup_stats *st)
{
  cleanup_strv char **sizes = hugepage_sizes ();

  for (size_t i = 0; sizes[i]; i++)
    {
      cleanup_free char *usage = xasprintf ("hugetlb.%s.%s", sizes[i], v2 ? "current" : "usage_in_bytes");
      cleanup_free char *max = xasprintf ("hugetlb.%s.%s", sizes[i], v2 ? "max" : "max_usage_in_bytes");
      cleanup_free char *fail = xasprintf ("hugetlb.%s.%s", sizes[i], v2 ? "events" : "failcnt");
      struct cgroup_hugetlb_stat h = { .size = xstrdup (sizes[i]) };

      h.usage = read_u64 (dir, usage);
      /* v2 has no high-water mark: its .max is the limit, not usage. */
      h.max = v2 ? 0 : read_u64 (dir, max);
      if (v2)
        {
          struct cgroup_kv *kv = NULL;
          size_t n = 0;
          read_keyed_quiet (dir, fail, &kv, &n);
          h.failcnt = cgroup_kv_get (kv, n, "max");
          cgroup_kv_free (kv, n);
        }
      else
        h.failcnt = read_u64 (dir, fail);
      st->hugetlb = xrealloc (st->hugetlb, (st->n_hugetlb + 1) * sizeof *st->hugetlb);
      st->hugetlb[st->n_hugetlb++] = h;
    }
}

static void
memory_entry (const char *dir, const char *prefix, struct cgroup_mem_entry *e)
{
  cleanup_free char *usage = xasprintf ("%s.usage_in_bytes", prefix);
  cleanup_free char *max = xasprintf ("%s.max_usage_in_bytes", prefix);
  cleanup_free char *limit = xasprintf ("%s.limit_in_bytes", prefix);
  cleanup_free char *failcnt = xasprintf ("%s.failcnt", prefix);

  e->usage = read_u64 (dir, usage);
  e->max = read_u64 (dir, max);
  e->limit = read_u64 (dir, limit);
  e->failcnt = read_u64 (dir, failcnt);
}

static void
v1_memory (const char *dir, struct cgroup_stats *st)
{
  struct cgroup_kv *oom = NULL;
  size_t n = 0;

  read_keyed_quiet (dir, "memory.stat", &st->mem_raw, &st->n_mem_raw);
  st->mem_cache = cgroup_kv_get (st->mem_raw, st->n_mem_raw, "total_cache");
  if (st->mem_cache == 0)
    st->mem_cache = cgroup_kv_get (st->mem_raw, st->n_mem_raw, "cache");
  memory_entry (dir, "memory", &st->mem_usage);
  memory_entry (dir, "memory.memsw", &st->mem_swap);
  memory_entry (dir, "memory.kmem", &st->mem_kernel);
  memory_entry (dir, "memory.kmem.tcp", &st->mem_kernel_tcp);
  read_keyed_quiet (dir, "memory.oom_control", &oom, &n);
  st->oom_kills = cgroup_kv_get (oom, n, "oom_kill");
  cgroup_kv_free (oom, n);
}

/* "8:0 Read 4096" lines; the Total line and others without a device are skipped. */
static void
v1_blkio_file (const char *dir, const char *file, struct cgroup_io_entry **list, size_t *n)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };
  char *saveptr = NULL;

  if (cgroup_read (dir, file, &data, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return;
    }
  for (char *line = strtok_r (data, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      static const char *const ops[] = { "Read", "Write", "Sync", "Async", "Discard", "Total" };
      unsigned long long major, minor, value;
      char op[16];

      if (sscanf (line, "%llu:%llu %15s %llu", &major, &minor, op, &value) != 4)
        continue;
      for (size_t i = 0; i < ARRAY_SIZE (ops); i++)
        if (strcmp (op, ops[i]) == 0)
          add_io (list, n, major, minor, ops[i], value);
    }
}

static void
v1_cpu (const struct cgroup_hierarchy *h, struct cgroup_stats *st)
{
  const char *dir = h->dir;

  if (cgroup_hierarchy_has (h, "cpuacct"))
    {
      cleanup_free char *percpu = NULL;
      struct cgroup_kv *kv = NULL;
      size_t n = 0;
      long hz = sysconf (_SC_CLK_TCK);
      pith_error ignored = { 0 };
      char *saveptr = NULL;

      st->cpu_total = read_u64 (dir, "cpuacct.usage");
      read_keyed_quiet (dir, "cpuacct.stat", &kv, &n);
      /* cpuacct.stat counts clock ticks. */
      st->cpu_user = cgroup_kv_get (kv, n, "user") * (1000000000ULL / (uint64_t) (hz > 0 ? hz : 100));
      st->cpu_kernel = cgroup_kv_get (kv, n, "system") * (1000000000ULL / (uint64_t) (hz > 0 ? hz : 100));
      cgroup_kv_free (kv, n);
      if (cgroup_read (dir, "cpuacct.usage_percpu", &percpu, &ignored) < 0)
        pith_error_release (&ignored);
      for (char *t = percpu ? strtok_r (percpu, " ", &saveptr) : NULL; t; t = strtok_r (NULL, " ", &saveptr))
        {
          st->percpu = xrealloc (st->percpu, (st->n_percpu + 1) * sizeof *st->percpu);
          st->percpu[st->n_percpu++] = strtoull (t, NULL, 10);
        }
    }
  if (cgroup_hierarchy_has (h, "cpu"))
    {
      struct cgroup_kv *kv = NULL;
      size_t n = 0;
      read_keyed_quiet (dir, "cpu.stat", &kv, &n);
      st->periods = cgroup_kv_get (kv, n, "nr_periods");
      st->throttled_periods = cgroup_kv_get (kv, n, "nr_throttled");
      st->throttled_time = cgroup_kv_get (kv, n, "throttled_time");
      cgroup_kv_free (kv, n);
    }
}

static void
v2_memory (const char *dir, struct cgroup_stats *st)
{
  struct cgroup_kv *events = NULL;
  size_t n = 0;
  uint64_t swap_max;

  read_keyed_quiet (dir, "memory.stat", &st->mem_raw, &st->n_mem_raw);
  st->mem_cache = cgroup_kv_get (st->mem_raw, st->n_mem_raw, "file");
  st->mem_usage.usage = read_u64 (dir, "memory.current");
  st->mem_usage.max = read_u64 (dir, "memory.peak");
  st->mem_usage.limit = read_u64 (dir, "memory.max");
  read_keyed_quiet (dir, "memory.events", &events, &n);
  st->mem_usage.failcnt = cgroup_kv_get (events, n, "max");
  st->oom_kills = cgroup_kv_get (events, n, "oom_kill");
  cgroup_kv_free (events, n);
  /* v1 reported memory+swap: keep that meaning for callers. */
  swap_max = read_u64 (dir, "memory.swap.max");
  st->mem_swap.usage = read_u64 (dir, "memory.swap.current") + st->mem_usage.usage;
  st->mem_swap.limit = swap_max == UINT64_MAX || st->mem_usage.limit == UINT64_MAX ? UINT64_MAX
                                                                                   : swap_max + st->mem_usage.limit;
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static void
v2_io (const char *dir, struct cgroup_stats *st)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };
  char *saveptr = NULL;

  if (cgroup_read (dir, "io.stat", &data, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return;
    }
  for (char *line = strtok_r (data, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      unsigned long long major, minor;
      char *save2 = NULL;

      if (sscanf (line, "%llu:%llu", &major, &minor) != 2)
        continue;
      strtok_r (line, " ", &save2);
      for (char *kv = strtok_r (NULL, " ", &save2); kv; kv = strtok_r (NULL, " ", &save2))
        {
          char *eq = strchr (kv, '=');
          uint64_t v;
          if (eq == NULL)
            continue;
          *eq = '\0';
          v = strtoull (eq + 1, NULL, 10);
          if (strcmp (kv, "rbytes") == 0 || strcmp (kv, "wbytes") == 0)
            add_io (&st->io_bytes, &st->n_io_bytes, major, minor, kv[0] == 'r' ? "Read" : "Write", v);
          else if (strcmp (kv, "rios") == 0 || strcmp (kv, "wios") == 0)
            add_io (&st->io_ops, &st->n_io_ops, major, minor, kv[0] == 'r' ? "Read" : "Write", v);
        }
    }
}

/* cpu.stat of cgroup2 exists even without the cpu controller. */
static void
v2_cpu (const char *dir, struct cgroup_stats *st)
{
  struct cgroup_kv *kv = NULL;
  size_t n = 0;

  read_keyed_quiet (dir, "cpu.stat", &kv, &n);
  st->cpu_total = cgroup_kv_get (kv, n, "usage_usec") * 1000;
  st->cpu_user = cgroup_kv_get (kv, n, "user_usec") * 1000;
  st->cpu_kernel = cgroup_kv_get (kv, n, "system_usec") * 1000;
  st->periods = cgroup_kv_get (kv, n, "nr_periods");
  st->throttled_periods = cgroup_kv_get (kv, n, "nr_throttled");
  st->throttled_time = cgroup_kv_get (kv, n, "throttled_usec") * 1000;
  cgroup_kv_free (kv, n);
}

/* The controllers of one hierarchy, v1 or cgroup2 by its kind. */
static void
hierarchy_stats (const struct cgroup_hierarchy *h, struct cgroup_stats *st)
{
  const char *dir = h->dir;
  bool v2 = h->unified;

  if (cgroup_hierarchy_has (h, "cpuset"))
    {
      read_list (dir, v2 ? "cpuset.cpus.effective" : "cpuset.cpus", &st->cpus, &st->n_cpus);
      read_list (dir, v2 ? "cpuset.mems.effective" : "cpuset.mems", &st->mems, &st->n_mems);
    }
  if (cgroup_hierarchy_has (h, "memory"))
    (v2 ? v2_memory : v1_memory) (dir, st);
  if (cgroup_hierarchy_has (h, "pids"))
    {
      st->pids_current = read_u64 (dir, "pids.current");
      st->pids_limit = read_u64 (dir, "pids.max");
    }
  if (!v2 && cgroup_hierarchy_has (h, "blkio"))
    {
      bool bfq = cgroup_has_file (dir, "blkio.bfq.io_service_bytes_recursive");
      v1_blkio_file (dir, bfq ? "blkio.bfq.io_service_bytes_recursive" : "blkio.throttle.io_service_bytes_recursive",
                     &st->io_bytes, &st->n_io_bytes);
      v1_blkio_file (dir, bfq ? "blkio.bfq.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive",
                     &st->io_ops, &st->n_io_ops);
    }
  if (v2 && cgroup_hierarchy_has (h, "io"))
    v2_io (dir, st);
  if (cgroup_hierarchy_has (h, "hugetlb"))
    hugetlb_stats (dir, v2, st);
}

int
cgroup_fs_stats (const struct cgroup_plan *plan, struct cgroup_stats *st, pith_error *err)
{
  const char *dir = cgroup_procs_dir (plan);

  memset (st, 0, sizeof *st);
  if (dir == NULL || access (dir, F_OK) < 0)
    return pith_fail (err, dir ? errno : ENOENT, "the container's cgroup is gone");
  for (size_t i = 0; i < plan->n; i++)
    {
      /* On a hybrid host cpu usage comes from v1's cpuacct. */
      if (!plan->h[i].unified)
        v1_cpu (&plan->h[i], st);
      else if (plan->v2)
        v2_cpu (plan->h[i].dir, st);
      hierarchy_stats (&plan->h[i], st);
    }
  /* runc reports an unlimited pids.max as 0. */
  if (st->pids_limit == UINT64_MAX)
    st->pids_limit = 0;
  return 0;
}

void
cgroup_stats_release (struct cgroup_stats *st)
{
  free (st->percpu);
  free (st->cpus);
  free (st->mems);
  cgroup_kv_free (st->mem_raw, st->n_mem_raw);
  free (st->io_bytes);
  free (st->io_ops);
  for (size_t i = 0; i < st->n_hugetlb; i++)
    free (st->hugetlb[i].size);
  free (st->hugetlb);
  memset (st, 0, sizeof *st);
}

/* ---- JSON */

static void
json_u64_list (FILE *f, const char *key, const uint64_t *v, size_t n)
{
  fprintf (f, "\"%s\":[", key);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s%" PRIu64, i ? "," : "", v[i]);
  fputs ("]", f);
}

static void
json_u16_list (FILE *f, const char *key, const uint16_t *v, size_t n)
{
  fprintf (f, "\"%s\":[", key);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s%u", i ? "," : "", (unsigned) v[i]);
  fputs ("]", f);
}

static void
json_mem_entry (FILE *f, const char *key, const struct cgroup_mem_entry *e)
{
  fprintf (f, "\"%s\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64 "}", key,
           e->limit, e->usage, e->max, e->failcnt);
}

static void
json_io_list (FILE *f, const char *key, const struct cgroup_io_entry *e, size_t n)
{
  fprintf (f, "\"%s\":[", key);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s{\"major\":%" PRIu64 ",\"minor\":%" PRIu64 ",\"op\":\"%s\",\"value\":%" PRIu64 "}", i ? "," : "",
             e[i].major, e[i].minor, e[i].op, e[i].value);
  fputs ("]", f);
}

char *
cgroup_stats_json (const struct cgroup_stats *st)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&out, &len);

  if (f == NULL)
    abort ();
  /* Keys are fixed names and kernel identifiers: nothing to escape. */
  fprintf (f, "{\"cpu\":{\"usage\":{\"total\":%" PRIu64 ",", st->cpu_total);
  json_u64_list (f, "percpu", st->percpu, st->n_percpu);
  fprintf (f, ",\"kernel\":%" PRIu64 ",\"user\":%" PRIu64 "},", st->cpu_kernel, st->cpu_user);
  fprintf (f, "\"throttling\":{\"periods\":%" PRIu64 ",\"throttledPeriods\":%" PRIu64 ",\"throttledTime\":%" PRIu64 "}},",
           st->periods, st->throttled_periods, st->throttled_time);
  fputs ("\"cpuset\":{", f);
  json_u16_list (f, "cpus", st->cpus, st->n_cpus);
  fputc (',', f);
  json_u16_list (f, "mems", st->mems, st->n_mems);
  fprintf (f, "},\"memory\":{\"cache\":%" PRIu64 ",", st->mem_cache);
  json_mem_entry (f, "usage", &st->mem_usage);
  fputc (',', f);
  json_mem_entry (f, "swap", &st->mem_swap);
  fputc (',', f);
  json_mem_entry (f, "kernel", &st->mem_kernel);
  fputc (',', f);
  json_mem_entry (f, "kernelTCP", &st->mem_kernel_tcp);
  fputs (",\"raw\":{", f);
  for (size_t i = 0; i < st->n_mem_raw; i++)
    fprintf (f, "%s\"%s\":%" PRIu64, i ? "," : "", st->mem_raw[i].key, st->mem_raw[i].value);
  fprintf (f, "},\"event_count\":{\"oom_kill\":%" PRIu64 "}},", st->oom_kills);
  fprintf (f, "\"pids\":{\"current\":%" PRIu64 ",\"limit\":%" PRIu64 "},", st->pids_current, st->pids_limit);
  fputs ("\"blkio\":{", f);
  json_io_list (f, "ioServiceBytesRecursive", st->io_bytes, st->n_io_bytes);
  fputc (',', f);
  json_io_list (f, "ioServicedRecursive", st->io_ops, st->n_io_ops);
  fputs ("},\"hugetlb\":{", f);
  for (size_t i = 0; i < st->n_hugetlb; i++)
    fprintf (f, "%s\"%s\":{\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64 "}", i ? "," : "",
             st->hugetlb[i].size, st->hugetlb[i].usage, st->hugetlb[i].max, st->hugetlb[i].failcnt);
  fputs ("},\"intel_rdt\":{},\"network_interfaces\":null}", f);
  fclose (f);
  return out;
}
