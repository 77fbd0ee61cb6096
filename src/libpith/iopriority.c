/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iopriority.h"
#include "lookup.h"
#include "utils.h"

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

static const struct
{
  const char *name;
  int value;
} classes[] = {
  { "IOPRIO_CLASS_RT", 1 },
  { "IOPRIO_CLASS_BE", 2 },
  { "IOPRIO_CLASS_IDLE", 3 },
};

static int
class_of (const char *name)
{
  int i = name_index (classes, name);

  return i < 0 ? -1 : classes[i].value;
}

int
iopriority_validate (const oci_io_priority *io, const char *json_path, pith_error *err)
{
  if (class_of (io->class) < 0)
    return pith_fail (err, 0, "%s/class: unknown I/O class \"%s\" (IOPRIO_CLASS_RT, _BE or _IDLE)", json_path,
                      io->class);
  if (io->priority_present && (io->priority < 0 || io->priority > 7))
    return pith_fail (err, 0, "%s/priority: %d is outside 0..7", json_path, io->priority);
  return 0;
}

int
iopriority_apply (const oci_io_priority *io, pith_error *err)
{
  int value;

  if (io == NULL)
    return 0;
  value = (class_of (io->class) << IOPRIO_CLASS_SHIFT) | (io->priority_present ? io->priority : 0);
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
    return pith_fail (err, errno, "ioPriority: set %s %d", io->class, io->priority_present ? io->priority : 0);
  return 0;
}
