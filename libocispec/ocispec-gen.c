/* libocispec: JSON generation, driven by the descriptor tables of
 * oci-types.c (see ocispec.c for parsing).
 */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1 /* vasprintf */
#endif

#include "ocispec-private.h"

#include <inttypes.h>
#include <math.h>

#include <yajl/yajl_gen.h>

static void
yajl_gen_freep (yajl_gen *g)
{
  if (*g != NULL)
    yajl_gen_free (*g);
}

static int gen_struct (struct ctx *c, yajl_gen g, const ocispec_desc *d, const void *obj);

static int
gen_status (struct ctx *c, yajl_gen_status st)
{
  switch (st)
    {
    case yajl_gen_status_ok:
      return 0;
    case yajl_gen_invalid_string:
      return fail (c, "string is not valid UTF-8");
    case yajl_gen_invalid_number:
      return fail (c, "number is not finite");
    default:
      return fail (c, "yajl_gen error %d", (int) st);
    }
}

static int
gen_value (struct ctx *c, yajl_gen g, unsigned kind, const ocispec_desc *sub, const void *slot)
{
  char num[32];
  const char *s;

  switch (kind)
    {
    case OCISPEC_STRING:
      s = get_ptr (slot, 0);
      if (s == NULL)
        return fail (c, "string is NULL");
      return gen_status (c, yajl_gen_string (g, (const unsigned char *) s, strlen (s)));
    case OCISPEC_STRUCT:
      if (get_ptr (slot, 0) == NULL)
        return fail (c, "object is NULL");
      return gen_struct (c, g, sub, get_ptr (slot, 0));
    case OCISPEC_BOOL:
      return gen_status (c, yajl_gen_bool (g, *(const bool *) slot));
    case OCISPEC_DOUBLE:
      if (!isfinite (*(const double *) slot))
        return fail (c, "number is not finite");
      /* The shortest form that reads back as the same double.  */
      for (int prec = 15; prec <= 17; prec++)
        {
          double back;
          snprintf (num, sizeof num, "%.*g", prec, *(const double *) slot);
          back = strtod (num, NULL);
          if (memcmp (&back, slot, sizeof back) == 0)
            break;
        }
      break;
    case OCISPEC_INT32:
      snprintf (num, sizeof num, "%" PRId32, *(const int32_t *) slot);
      break;
    case OCISPEC_UINT32:
      snprintf (num, sizeof num, "%" PRIu32, *(const uint32_t *) slot);
      break;
    case OCISPEC_INT64:
      snprintf (num, sizeof num, "%" PRId64, *(const int64_t *) slot);
      break;
    case OCISPEC_UINT16:
      snprintf (num, sizeof num, "%" PRIu16, *(const uint16_t *) slot);
      break;
    default:
      snprintf (num, sizeof num, "%" PRIu64, *(const uint64_t *) slot);
      break;
    }
  return gen_status (c, yajl_gen_number (g, num, strlen (num)));
}

static int
gen_key (struct ctx *c, yajl_gen g, const char *key)
{
  return gen_status (c, yajl_gen_string (g, (const unsigned char *) key, strlen (key)));
}

static int
gen_field (struct ctx *c, yajl_gen g, const ocispec_field *f, const void *obj)
{
  const char *member = (const char *) obj + f->offset;
  size_t i, es = elem_size (f->kind);
  const char *items;
  char **keys;
  void *m;

  switch (f->shape)
    {
    case OCISPEC_ONE:
      return gen_value (c, g, f->kind, f->sub, member);
    case OCISPEC_ARRAY:
      items = get_ptr (member, 0);
      if (gen_status (c, yajl_gen_array_open (g)) < 0)
        return -1;
      for (i = 0; i < *(const size_t *) ((const char *) obj + f->aux); i++)
        {
          size_t mark = path_push_index (&c->path, i);
          if (gen_value (c, g, f->kind, f->sub, items + i * es) < 0)
            return -1;
          path_pop (&c->path, mark);
        }
      return gen_status (c, yajl_gen_array_close (g));
    default:
      m = get_ptr (member, 0);
      keys = get_ptr (m, MAP_KEYS);
      items = get_ptr (m, MAP_VALUES);
      if (gen_status (c, yajl_gen_map_open (g)) < 0)
        return -1;
      for (i = 0; i < *len_at (m, MAP_LEN); i++)
        {
          size_t mark;
          if (keys[i] == NULL)
            return fail (c, "map key %zu is NULL", i);
          mark = path_push_key (&c->path, keys[i]);
          if (gen_key (c, g, keys[i]) < 0
              || gen_value (c, g, f->kind, f->sub, items + i * es) < 0)
            return -1;
          path_pop (&c->path, mark);
        }
      return gen_status (c, yajl_gen_map_close (g));
    }
}

static int
gen_struct (struct ctx *c, yajl_gen g, const ocispec_desc *d, const void *obj)
{
  size_t i;

  if (gen_status (c, yajl_gen_map_open (g)) < 0)
    return -1;
  for (i = 0; i < d->n_fields; i++)
    {
      const ocispec_field *f = &d->fields[i];
      size_t mark;

      if (!field_present (f, obj))
        {
          if (f->required)
            return fail (c, "missing required field \"%s\"", f->key);
          continue;
        }
      mark = path_push_key (&c->path, f->key);
      if (gen_key (c, g, f->key) < 0 || gen_field (c, g, f, obj) < 0)
        return -1;
      path_pop (&c->path, mark);
    }
  return gen_status (c, yajl_gen_map_close (g));
}

/* yajl's beautifier writes an empty array as "[\n\n  ]"; make it "[]".  A
   raw newline never occurs inside a generated string, so a bracket followed
   by one is always structural.  */
static void
collapse_empty (char *s)
{
  char *r = s, *w = s;

  while (*r != '\0')
    {
      *w++ = *r;
      if ((*r == '[' || *r == '{') && r[1] == '\n' && r[2] == '\n')
        {
          size_t sp = strspn (r + 3, " ");
          if (r[3 + sp] == (*r == '[' ? ']' : '}'))
            {
              r += 3 + sp;
              *w++ = *r;
            }
        }
      r++;
    }
  *w = '\0';
}

char *
ocispec_generate (const ocispec_desc *d, const void *v, unsigned flags, char **err)
{
  __attribute__ ((cleanup (yajl_gen_freep))) yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *source = xasprintf ("generating %s", d->name);
  struct ctx c = { source, { NULL, 0, 0 }, NULL };
  const unsigned char *buf;
  size_t len;
  char *out;

  if (err != NULL)
    *err = NULL;
  if (g == NULL)
    abort ();
  if (v == NULL)
    {
      fail (&c, "nothing to generate (NULL)");
      set_err (err, c.err);
      return NULL;
    }
  yajl_gen_config (g, yajl_gen_beautify, (flags & OCI_GEN_PRETTY) ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  if (gen_struct (&c, g, d, v) < 0)
    {
      free (c.path.buf);
      set_err (err, c.err);
      return NULL;
    }
  free (c.path.buf);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    abort ();
  out = xmalloc (len + 1);
  memcpy (out, buf, len);
  out[len] = '\0';
  if (flags & OCI_GEN_PRETTY)
    collapse_empty (out);
  return out;
}
