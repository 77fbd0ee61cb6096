/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include "pith.h"

PITH_PUBLIC const char *
pith_version (void)
{
  return PACKAGE_VERSION;
}

PITH_PUBLIC const char *
pith_commit (void)
{
  return PITH_GIT_COMMIT;
}
