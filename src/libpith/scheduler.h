/* process.scheduler (sched_setattr) and process.execCPUAffinity.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_SCHEDULER_H
#define PITH_SCHEDULER_H

#include "oci-types.h"
#include "pith.h"

/* JSON_PATH names the object: "config.json: /process/scheduler". */
int scheduler_validate (const oci_scheduler *s, const char *json_path, pith_error *err);
/* Sets the calling thread's policy and parameters (inherited by what it
 * execs and forks).  Needs CAP_SYS_NICE for real-time policies and
 * negative nice values: call before dropping privileges.  S NULL: nothing. */
int scheduler_apply (const oci_scheduler *s, pith_error *err);

/* JSON_PATH: "config.json: /process/execCPUAffinity". */
int affinity_validate (const oci_exec_cpu_affinity *a, const char *json_path, pith_error *err);
/* Pins the calling thread to CPUS ("0-3,7"); NULL or empty: nothing.
 * runtime-spec: `initial` applies to a process joining the container
 * before it enters the container's cgroup, `final` after; neither applies
 * to the container's init. */
int affinity_apply (const char *cpus, pith_error *err);

#endif
