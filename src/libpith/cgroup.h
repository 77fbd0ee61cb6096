/* Control groups: detecting the host's hierarchies, placing the container,
 * applying linux.resources, and the later operations on a container's
 * cgroup (update, freeze, signal, stats, removal).
 *
 * Each backend is a `struct cgroup_driver`, one file each:
 *   cgroup-v1.c       cgroupfs on v1 and hybrid hosts (a cgroup2 mount
 *                     next to the v1 controllers is used for what it holds)
 *   cgroup-v2.c       cgroupfs on a pure cgroup2 host
 *   cgroup-systemd.c  a transient scope unit over D-Bus, on top of one of
 *                     the two above for what systemd has no property for
 * cgroup.c detects the host and holds what the drivers share; the resource
 * conversions are in cgroup-convert.c, device rules (v1 lists, v2 eBPF) in
 * cgroup-devices.c, statistics in cgroup-stats.c.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_CGROUP_H
#define PITH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
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

struct cgroup_plan;
struct cgroup_stats;

struct cgroup_driver
{
  const char *name;
  /* Before the clone: creates the cgroup and applies the resources.  May
   * set plan->clone_fd for CLONE_INTO_CGROUP. */
  int (*prepare) (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err);
  /* After the clone: puts PID into the cgroup (unless it was cloned there). */
  int (*join) (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *r, pith_error *err);
  /* Changes the limits of an existing cgroup: only what R sets. */
  int (*update) (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *r, pith_error *err);
  int (*freeze) (const struct cgroup_plan *plan, bool frozen, pith_error *err);
  int (*signal_all) (const struct cgroup_plan *plan, int signo, pith_error *err);
  int (*stats) (const struct cgroup_plan *plan, struct cgroup_stats *st, pith_error *err);
  /* Kills what is left and removes the cgroup. */
  int (*destroy) (pith_context *ctx, struct cgroup_plan *plan, pith_error *err);
};

extern const struct cgroup_driver cgroup_driver_v1;
extern const struct cgroup_driver cgroup_driver_v2;
extern const struct cgroup_driver cgroup_driver_systemd;
/* No cgroup at all, for --cgroup-manager disabled (cgroup-none.c). */
extern const struct cgroup_driver cgroup_driver_none;

struct cgroup_plan
{
  const struct cgroup_driver *driver;
  const struct cgroup_driver *fs; /* the cgroupfs driver of this host (v1 or v2) */
  bool v2;                        /* pure cgroup2 host */
  char *path;                     /* the cgroup path, e.g. /pith/<id> */
  char *slice, *unit;             /* systemd: "system.slice", "pith-<id>.scope" */
  struct cgroup_hierarchy *h;
  size_t n;
  /* linux.devices: the nodes pith makes stay usable whatever the rules say. */
  oci_device **devices;
  size_t devices_len;
  /* How errors name a resource: "config.json: /linux/resources" or the
   * update's source. */
  const char *source;
  int clone_fd;     /* v2: the cgroup for CLONE_INTO_CGROUP, or -1 */
  bool cloned_into; /* the init started inside it */
};

/* Works out where the container's cgroups go (nothing is created yet). */
int cgroup_plan_make (pith_context *ctx, const oci_linux *linux, const char *id, struct cgroup_plan *plan,
                      pith_error *err);
/* The plan of an existing container, from its saved state. */
int cgroup_plan_load (const oci_saved_state *s, struct cgroup_plan *plan, pith_error *err);
void cgroup_plan_release (struct cgroup_plan *plan);
/* --cgroup-manager disabled: an initialised PLAN gets the "none" driver;
 * resources nothing could enforce are refused, by name. */
int cgroup_none_plan (pith_context *ctx, const oci_resources *r, struct cgroup_plan *plan, pith_error *err);
bool cgroup_plan_disabled (const struct cgroup_plan *plan);
/* key: controllers of a hierarchy ("unified" for cgroup2), value: directory. */
void cgroup_plan_save (const struct cgroup_plan *plan, oci_map_string **paths);

/* Create: prepare (directories, limits), then join with the init's pid. */
int cgroup_prepare (pith_context *ctx, struct cgroup_plan *plan, const oci_resources *resources, pith_error *err);
/* Whether prepare must come before the clone: on v2 the init is cloned
 * straight into its cgroup, and the systemd driver's prepare is a check
 * that must fail before anything runs.  Otherwise the cgroup is made
 * while the init starts. */
bool cgroup_prepare_before_clone (const struct cgroup_plan *plan);
int cgroup_join (pith_context *ctx, struct cgroup_plan *plan, pid_t pid, const oci_resources *resources,
                 pith_error *err);
int cgroup_destroy (pith_context *ctx, struct cgroup_plan *plan, pith_error *err);

/* The same operations on a container known by its saved state. */
int cgroup_state_destroy (pith_context *ctx, const oci_saved_state *s, pith_error *err);
int cgroup_state_signal (const oci_saved_state *s, int signo, pith_error *err);
int cgroup_state_thaw (const oci_saved_state *s, pith_error *err);
bool cgroup_is_frozen (const oci_map_string *paths);

/* Mounts the container's view of the cgroups at DESTINATION in ROOTFD
 * (the `cgroup` mount type of config.json). */
int cgroup_mount (const struct cgroup_plan *plan, int rootfd, const char *destination, unsigned long flags,
                  bool cgroupns, pith_error *err);

/* Resources the host (or this build) cannot apply: an error naming the
 * resource and the reason, never a silent skip. */
int cgroup_check_resources (const struct cgroup_plan *plan, const oci_resources *r, pith_error *err);
bool cgroup_hierarchy_has (const struct cgroup_hierarchy *h, const char *controller);
const struct cgroup_hierarchy *cgroup_find (const struct cgroup_plan *plan, const char *controller);

/* ---- shared by the drivers */

/* Writes VALUE to DIR/FILE; a missing file is reported as the kernel
 * lacking that knob. */
int cgroup_write (const char *dir, const char *file, const char *value, pith_error *err);
/* The same in two steps, for a knob written several times (device rules):
 * one open, then one write() per value. */
int cgroup_open_knob (const char *dir, const char *file, pith_error *err);
int cgroup_write_fd (int fd, const char *dir, const char *file, const char *value, pith_error *err);
int cgroup_write_u64 (const char *dir, const char *file, uint64_t value, pith_error *err);
int cgroup_write_i64 (const char *dir, const char *file, int64_t value, pith_error *err);
/* VALUE, or "max" when it is negative (unlimited). */
int cgroup_write_limit (const char *dir, const char *file, int64_t value, pith_error *err);
/* DIR/FILE into *OUT (trailing newline removed). */
int cgroup_read (const char *dir, const char *file, char **out, pith_error *err);
bool cgroup_has_file (const char *dir, const char *file);
/* A resource error: "<plan->source>/<what>: <the error in ERR>". */
int cgroup_resource_error (const struct cgroup_plan *plan, pith_error *err, const char *what, ...)
    __attribute__ ((format (printf, 3, 4)));

/* mkdir -p of each hierarchy's directory (v1 cpuset levels get cpus/mems). */
int cgroup_fs_mkdirs (const struct cgroup_plan *plan, pith_error *err);
int cgroup_fs_join (const struct cgroup_plan *plan, pid_t pid, pith_error *err);
int cgroup_read_procs (const char *dir, pid_t **pids, size_t *n, pith_error *err);
/* The directory whose cgroup.procs lists every process of the container. */
const char *cgroup_procs_dir (const struct cgroup_plan *plan);
/* Every process of the container, sub-cgroups included. */
int cgroup_fs_pids (const struct cgroup_plan *plan, pid_t **pids, size_t *n, pith_error *err);
/* Signals every process of the container, sub-cgroups included. */
int cgroup_fs_signal_procs (const struct cgroup_plan *plan, int signo, pith_error *err);
/* Removes each hierarchy's directory, killing what keeps it busy. */
int cgroup_fs_remove (const struct cgroup_plan *plan, pith_error *err);
/* Only rmdir: true when every directory is gone, as at the delete of a
 * container whose processes have all exited (then nothing else is needed). */
bool cgroup_fs_remove_if_empty (const struct cgroup_plan *plan);
/* Applies R to every hierarchy of the plan (v1 or cgroup2 writers by kind). */
int cgroup_fs_apply (const struct cgroup_plan *plan, const oci_resources *r, pith_error *err);
/* Freezes, signals every process, thaws again (unless it was frozen
 * before and the signal is not SIGKILL): no process escapes by forking. */
int cgroup_fs_signal_frozen (const struct cgroup_plan *plan, int signo, pith_error *err);
void cgroup_sleep_ms (int ms);

/* systemd: "slice:prefix:name" to plan->slice, plan->unit and plan->path. */
int cgroup_systemd_path (const char *cgroups_path, const char *id, struct cgroup_plan *plan, pith_error *err);

/* Per hierarchy writers: v1 controllers, and a cgroup2 hierarchy (pure or
 * the unified part of a hybrid host). */
int cgroup_v1_apply (const struct cgroup_plan *plan, const struct cgroup_hierarchy *h, const oci_resources *r,
                     pith_error *err);
int cgroup_v2_apply (const struct cgroup_plan *plan, const struct cgroup_hierarchy *h, const oci_resources *r,
                     pith_error *err);
/* Enables the hierarchy's controllers in every ancestor of the container's cgroup. */
int cgroup_v2_enable_controllers (const struct cgroup_hierarchy *h, pith_error *err);
int cgroup_v2_freeze (const char *dir, bool frozen, pith_error *err);
/* hugetlb.<size>.limit_in_bytes (v1) or .max (v2), and their .rsvd twins. */
int cgroup_hugetlb_apply (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, bool v2,
                          pith_error *err);
/* rdma.max, the same syntax on v1 and v2. */
int cgroup_rdma_apply (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, pith_error *err);

/* ---- device rules (cgroup-devices.c) */

struct cgroup_device_rule
{
  bool allow;
  char type;     /* 'a', 'c', 'b' */
  int64_t major; /* -1: any */
  int64_t minor; /* -1: any */
  unsigned access; /* CGROUP_DEV_* */
};

enum
{
  CGROUP_DEV_MKNOD = 1,
  CGROUP_DEV_READ = 2,
  CGROUP_DEV_WRITE = 4,
  CGROUP_DEV_ALL = 7,
};

/* linux.resources.devices in order, then the devices pith always makes
 * and linux.devices, allowed.  *N == 0 when the config has no rules (the
 * cgroup keeps its parent's). */
int cgroup_device_rules (const struct cgroup_plan *plan, const oci_resources *r, struct cgroup_device_rule **rules,
                         size_t *n, pith_error *err);
/* "c 1:3 rwm", the v1 syntax. */
void cgroup_device_rule_format (const struct cgroup_device_rule *rule, char *buf, size_t size);
int cgroup_v1_devices (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, pith_error *err);
int cgroup_v2_devices (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, pith_error *err);
/* The eBPF program for RULES (last matching rule wins, no match: deny),
 * as struct bpf_insn; *N instructions, malloc'd. */
void *cgroup_device_program (const struct cgroup_device_rule *rules, size_t n_rules, size_t *n);

/* ---- statistics (cgroup-stats.c), runc's `events` document */

struct cgroup_mem_entry
{
  uint64_t limit, usage, max, failcnt;
};

struct cgroup_kv
{
  char *key;
  uint64_t value;
};

struct cgroup_io_entry
{
  uint64_t major, minor;
  const char *op; /* "Read", "Write", ... */
  uint64_t value;
};

struct cgroup_hugetlb_stat
{
  char *size; /* "2MB" */
  uint64_t usage, max, failcnt;
};

struct cgroup_stats
{
  uint64_t cpu_total, cpu_kernel, cpu_user; /* nanoseconds */
  uint64_t *percpu;
  size_t n_percpu;
  uint64_t periods, throttled_periods, throttled_time;
  uint16_t *cpus, *mems;
  size_t n_cpus, n_mems;
  uint64_t mem_cache;
  struct cgroup_mem_entry mem_usage, mem_swap, mem_kernel, mem_kernel_tcp;
  struct cgroup_kv *mem_raw;
  size_t n_mem_raw;
  uint64_t oom_kills; /* OOM kills so far (what `events` watches) */
  uint64_t pids_current, pids_limit;
  struct cgroup_io_entry *io_bytes, *io_ops;
  size_t n_io_bytes, n_io_ops;
  struct cgroup_hugetlb_stat *hugetlb;
  size_t n_hugetlb;
};

int cgroup_fs_stats (const struct cgroup_plan *plan, struct cgroup_stats *st, pith_error *err);
void cgroup_stats_release (struct cgroup_stats *st);
/* The `data` of a runc stats event. */
char *cgroup_stats_json (const struct cgroup_stats *st);
/* "key value" lines (memory.stat, cpu.stat, ...); *N pairs. */
int cgroup_read_keyed (const char *dir, const char *file, struct cgroup_kv **kv, size_t *n, pith_error *err);
uint64_t cgroup_kv_get (const struct cgroup_kv *kv, size_t n, const char *key);
void cgroup_kv_free (struct cgroup_kv *kv, size_t n);

/* ---- conversions (cgroup-convert.c), pure functions */

/* cpu.shares (2..262144) to cpu.weight (1..10000): 2 -> 1, 1024 -> 100, 262144 -> 10000. */
uint64_t cgroup_shares_to_weight (uint64_t shares);
/* blkio.weight (10..1000) to io.weight (1..10000). */
uint64_t cgroup_blkio_to_io_weight (uint64_t weight);
/* v1's memory+swap limit to v2's swap-only memory.swap.max; -1 is "max".
 * MEMORY is the memory limit it goes with (0: none, -1: unlimited). */
int cgroup_swap_to_v2 (int64_t swap, int64_t memory, int64_t *out, pith_error *err);
/* "512m", "1g", "1024", "-1": runc's memory flag syntax (binary units). */
int cgroup_parse_size (const char *s, int64_t *out);
/* "2048kB" (a /sys/kernel/mm/hugepages entry) to "2MB", the page size syntax of hugetlb files. */
char *cgroup_hugepage_size_name (const char *kb_name);
/* "0-2,5" -> [0,1,2,5]. */
int cgroup_parse_list (const char *s, uint16_t **out, size_t *n);

#endif
