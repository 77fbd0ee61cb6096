/* libocispec internals shared by ocispec.c (parse, free, maps) and
 * ocispec-gen.c (generate).  Everything here is static inline so nothing
 * leaks into the link namespace of the programs libocispec ends up in.
 */
#ifndef OCISPEC_PRIVATE_H
#define OCISPEC_PRIVATE_H

#include "ocispec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation: failure aborts, the only way out of this library */

static inline void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

static inline void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

static inline void *
xreallocarray (void *p, size_t n, size_t size)
{
  if (size != 0 && n > SIZE_MAX / size)
    abort ();
  p = realloc (p, n * size != 0 ? n * size : 1);
  if (p == NULL)
    abort ();
  return p;
}

static inline char *
xstrdup (const char *s)
{
  char *p = strdup (s);
  if (p == NULL)
    abort ();
  return p;
}

static inline char *xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));
static inline char *
xvasprintf (const char *fmt, va_list ap)
{
  char *s;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

static inline char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static inline char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  s = xvasprintf (fmt, ap);
  va_end (ap);
  return s;
}

static inline void
set_err (char **err, char *msg)
{
  if (err != NULL)
    *err = msg;
  else
    free (msg);
}

/* ---- cleanup helpers */

static inline void
freep (void *p)
{
  void *q;
  memcpy (&q, p, sizeof q);
  free (q);
}

#define cleanup_free __attribute__ ((cleanup (freep)))

/* ---- raw access to members.  Pointer members have many C types (char *,
   oci_X *, oci_X **, ...); they are all read and written as void *.  */

static inline void *
get_ptr (const void *base, size_t off)
{
  void *p;
  memcpy (&p, (const char *) base + off, sizeof p);
  return p;
}

static inline void
set_ptr (void *base, size_t off, void *p)
{
  memcpy ((char *) base + off, &p, sizeof p);
}

static inline size_t *
len_at (void *base, size_t off)
{
  return (size_t *) ((char *) base + off);
}

static inline size_t
elem_size (unsigned kind)
{
  switch (kind)
    {
    case OCISPEC_BOOL:
      return sizeof (bool);
    case OCISPEC_INT32:
      return sizeof (int32_t);
    case OCISPEC_UINT32:
      return sizeof (uint32_t);
    case OCISPEC_INT64:
      return sizeof (int64_t);
    case OCISPEC_UINT64:
      return sizeof (uint64_t);
    case OCISPEC_UINT16:
      return sizeof (uint16_t);
    case OCISPEC_DOUBLE:
      return sizeof (double);
    default: /* OCISPEC_STRING, OCISPEC_STRUCT */
      return sizeof (void *);
    }
}

static inline bool
kind_is_pointer (unsigned kind)
{
  return kind == OCISPEC_STRING || kind == OCISPEC_STRUCT;
}

/* Every oci_map_X has the layout of oci_map_string (oci-types.c checks).
   Generic code reaches the members by offset rather than through an
   oci_map_string lvalue, which would access the other map types through
   the wrong struct type.  */
#define MAP_LEN offsetof (oci_map_string, len)
#define MAP_KEYS offsetof (oci_map_string, keys)
#define MAP_VALUES offsetof (oci_map_string, values)

static inline bool
field_present (const ocispec_field *f, const void *obj)
{
  if (f->shape == OCISPEC_ONE && !kind_is_pointer (f->kind))
    return *(const bool *) ((const char *) obj + f->aux);
  return get_ptr (obj, f->offset) != NULL;
}

/* ---- JSON pointers */

struct path
{
  char *buf;
  size_t len, cap;
};

static inline void
path_append (struct path *p, const char *s, size_t n)
{
  if (p->len + n + 1 > p->cap)
    {
      p->cap = (p->len + n + 1) * 2;
      p->buf = xreallocarray (p->buf, p->cap, 1);
    }
  memcpy (p->buf + p->len, s, n);
  p->len += n;
  p->buf[p->len] = '\0';
}

/* Appends "/KEY" (escaped per RFC 6901); returns the length to restore.  */
static inline size_t
path_push_key (struct path *p, const char *key)
{
  size_t mark = p->len;
  const char *s;

  path_append (p, "/", 1);
  for (s = key; *s != '\0'; s++)
    {
      if (*s == '~')
        path_append (p, "~0", 2);
      else if (*s == '/')
        path_append (p, "~1", 2);
      else
        path_append (p, s, 1);
    }
  return mark;
}

static inline size_t
path_push_index (struct path *p, size_t i)
{
  char buf[32];
  size_t mark = p->len;
  int n = snprintf (buf, sizeof buf, "/%zu", i);

  path_append (p, buf, (size_t) n);
  return mark;
}

static inline void
path_pop (struct path *p, size_t mark)
{
  p->len = mark;
  if (p->buf != NULL)
    p->buf[mark] = '\0';
}

/* ---- error context shared by parsing and generation */

struct ctx
{
  const char *source;
  struct path path;
  char *err;
};

static inline int fail (struct ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static inline int
fail (struct ctx *c, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  free (c->err);
  c->err = xasprintf ("%s: %s: %s", c->source, c->path.len ? c->path.buf : "/", msg);
  return -1;
}

#endif
