/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "utils.h"

static int
cap_value_of (const char *name, cap_value_t *out)
{
  char lower[64];
  size_t i;

  for (i = 0; name[i] && i < sizeof lower - 1; i++)
    lower[i] = tolower ((unsigned char) name[i]);
  lower[i] = '\0';
  if (!str_has_prefix (lower, "cap_") || cap_from_name (lower, out) < 0)
    return -1;
  return 0;
}

int
caps_validate (const oci_capabilities *caps, const char *json_path, pith_error *err)
{
  const struct
  {
    const char *name;
    char **list;
    size_t len;
  } sets[] = {
    { "bounding", caps ? caps->bounding : NULL, caps ? caps->bounding_len : 0 },
    { "effective", caps ? caps->effective : NULL, caps ? caps->effective_len : 0 },
    { "inheritable", caps ? caps->inheritable : NULL, caps ? caps->inheritable_len : 0 },
    { "permitted", caps ? caps->permitted : NULL, caps ? caps->permitted_len : 0 },
    { "ambient", caps ? caps->ambient : NULL, caps ? caps->ambient_len : 0 },
  };

  for (size_t s = 0; s < ARRAY_SIZE (sets); s++)
    for (size_t i = 0; i < sets[s].len; i++)
      {
        cap_value_t v;
        if (cap_value_of (sets[s].list[i], &v) < 0)
          return pith_fail (err, 0, "%s/%s/%zu: unknown capability \"%s\"", json_path, sets[s].name, i,
                            sets[s].list[i]);
      }
  return 0;
}

static bool
in_list (char **list, size_t len, cap_value_t v)
{
  for (size_t i = 0; i < len; i++)
    {
      cap_value_t c;
      if (cap_value_of (list[i], &c) == 0 && c == v)
        return true;
    }
  return false;
}

int
caps_drop_bounding (const oci_capabilities *caps, pith_error *err)
{
  int last = cap_max_bits ();

  for (cap_value_t v = 0; v < last; v++)
    {
      if (caps && in_list (caps->bounding, caps->bounding_len, v))
        continue;
      if (prctl (PR_CAPBSET_DROP, v, 0, 0, 0) < 0 && errno != EINVAL)
        return pith_fail (err, errno, "drop %s from the bounding set", cap_to_name (v));
    }
  return 0;
}

static int
set_flags (cap_t c, cap_flag_t flag, char **list, size_t len, pith_error *err)
{
  for (size_t i = 0; i < len; i++)
    {
      cap_value_t v;
      if (cap_value_of (list[i], &v) < 0 || v >= cap_max_bits ())
        continue; /* validated earlier; unknown to this kernel means it cannot be held */
      if (cap_set_flag (c, flag, 1, &v, CAP_SET) < 0)
        return pith_fail (err, errno, "capability %s", list[i]);
    }
  return 0;
}

bool
caps_list_has (char **list, size_t len, const char *name)
{
  cap_value_t v;

  return cap_value_of (name, &v) == 0 && in_list (list, len, v);
}

/* The effective, permitted and inheritable sets of CAPS, plus KEEP (a
 * CAP_* value, or -1) in effective and permitted. */
static cap_t
caps_build (const oci_capabilities *caps, int keep, pith_error *err)
{
  cap_t c = cap_init ();
  cap_value_t k = keep;

  if (c == NULL)
    {
      pith_fail (err, errno, "cap_init");
      return NULL;
    }
  if ((caps
       && (set_flags (c, CAP_EFFECTIVE, caps->effective, caps->effective_len, err) < 0
           || set_flags (c, CAP_PERMITTED, caps->permitted, caps->permitted_len, err) < 0
           || set_flags (c, CAP_INHERITABLE, caps->inheritable, caps->inheritable_len, err) < 0))
      || (keep >= 0
          && (cap_set_flag (c, CAP_EFFECTIVE, 1, &k, CAP_SET) < 0
              || cap_set_flag (c, CAP_PERMITTED, 1, &k, CAP_SET) < 0)))
    {
      if (err->msg == NULL)
        pith_fail (err, errno, "capability %d", keep);
      cap_free (c);
      return NULL;
    }
  return c;
}

int
caps_apply (const oci_capabilities *caps, int keep, pith_error *err)
{
  cap_t c = caps_build (caps, keep, err);
  int ret = 0;

  if (c == NULL)
    return -1;
  if (cap_set_proc (c) < 0)
    ret = pith_fail (err, errno, "set capabilities");
  cap_free (c);
  if (ret < 0 || caps == NULL)
    return ret;
  for (size_t i = 0; i < caps->ambient_len; i++)
    {
      cap_value_t v;
      if (cap_value_of (caps->ambient[i], &v) < 0 || v >= cap_max_bits ())
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0)
        return pith_fail (err, errno, "raise ambient %s (it must be permitted and inheritable too)",
                          caps->ambient[i]);
    }
  return 0;
}

void *
caps_final_prepare (const oci_capabilities *caps, pith_error *err)
{
  return caps_build (caps, -1, err);
}

int
caps_final_set (void *final, pith_error *err)
{
  if (cap_set_proc (final) < 0)
    return pith_fail (err, errno, "drop the capabilities kept for loading the seccomp filter");
  return 0;
}

void
caps_final_freep (void **final)
{
  if (*final)
    cap_free (*final);
  *final = NULL;
}

char **
caps_known_names (void)
{
  int last = cap_max_bits ();
  char **names = xzalloc ((last + 1) * sizeof *names);
  int n = 0;

  for (cap_value_t v = 0; v < last; v++)
    {
      char *name = cap_to_name (v);

      if (name == NULL)
        continue;
      for (char *p = name; *p; p++)
        *p = toupper ((unsigned char) *p);
      names[n++] = xstrdup (name);
      cap_free (name);
    }
  return names;
}
