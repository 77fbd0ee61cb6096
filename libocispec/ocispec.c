/* libocispec: the generic, descriptor-driven half of the OCI JSON model.
 *
 * oci-types.c (generated) describes each struct as a table of fields; the
 * functions here walk those tables to parse a yajl tree into the structs
 * and to free them (ocispec-gen.c generates JSON from them).  JSON pointers
 * in error messages follow RFC 6901.
 */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1 /* vasprintf */
#endif

#include "ocispec-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#define MAX_FILE_SIZE (64u << 20) /* bytes read by parse_file */
#define MAX_DEPTH 256             /* nesting accepted from a document */

/* ---- cleanup helpers */

static void
closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

static void
yajl_tree_freep (yajl_val *v)
{
  if (*v != NULL)
    yajl_tree_free (*v);
}

#define cleanup_close __attribute__ ((cleanup (closep)))

/* ---- freeing */

static void free_map (unsigned kind, const ocispec_desc *sub, void *map);

static void
free_value (unsigned kind, const ocispec_desc *sub, void *slot)
{
  if (kind == OCISPEC_STRING)
    free (get_ptr (slot, 0));
  else if (kind == OCISPEC_STRUCT)
    ocispec_free (sub, get_ptr (slot, 0));
}

/* Frees what field F of OBJ owns and marks it absent.  */
static void
clear_field (const ocispec_field *f, void *obj)
{
  char *member = (char *) obj + f->offset;
  size_t i, es = elem_size (f->kind);
  char *items;

  switch (f->shape)
    {
    case OCISPEC_ONE:
      free_value (f->kind, f->sub, member);
      memset (member, 0, es);
      if (!kind_is_pointer (f->kind))
        *(bool *) ((char *) obj + f->aux) = false;
      return;
    case OCISPEC_ARRAY:
      items = get_ptr (member, 0);
      if (items != NULL && kind_is_pointer (f->kind))
        for (i = 0; i < *len_at (obj, f->aux); i++)
          free_value (f->kind, f->sub, items + i * es);
      free (items);
      *len_at (obj, f->aux) = 0;
      break;
    default:
      free_map (f->kind, f->sub, get_ptr (member, 0));
      break;
    }
  set_ptr (member, 0, NULL);
}

void
ocispec_free (const ocispec_desc *d, void *v)
{
  size_t i;

  if (v == NULL)
    return;
  for (i = 0; i < d->n_fields; i++)
    clear_field (&d->fields[i], v);
  free (v);
}

static void
free_map (unsigned kind, const ocispec_desc *sub, void *m)
{
  size_t i, es = elem_size (kind);
  char **keys, *values;

  if (m == NULL)
    return;
  keys = get_ptr (m, MAP_KEYS);
  values = get_ptr (m, MAP_VALUES);
  for (i = 0; i < *len_at (m, MAP_LEN); i++)
    {
      free (keys[i]);
      if (values != NULL)
        free_value (kind, sub, values + i * es);
    }
  free (keys);
  free (values);
  free (m);
}

/* ---- parsing */

static const char *
kind_name (unsigned kind)
{
  static const char *const names[] = {
    [OCISPEC_STRING] = "string", [OCISPEC_BOOL] = "boolean",
    [OCISPEC_INT32] = "int32",   [OCISPEC_UINT32] = "uint32",
    [OCISPEC_INT64] = "int64",   [OCISPEC_UINT64] = "uint64",
    [OCISPEC_UINT16] = "uint16", [OCISPEC_DOUBLE] = "double",
    [OCISPEC_STRUCT] = "object",
  };
  return kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static const char *
json_type (yajl_val v)
{
  if (YAJL_IS_STRING (v))
    return "string";
  if (YAJL_IS_NUMBER (v))
    return "number";
  if (YAJL_IS_OBJECT (v))
    return "object";
  if (YAJL_IS_ARRAY (v))
    return "array";
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    return "boolean";
  return "null";
}

static int parse_struct (struct ctx *c, const ocispec_desc *d, yajl_val v, void *slot);

static int
parse_integer (struct ctx *c, unsigned kind, yajl_val v, void *slot)
{
  static const struct
  {
    int64_t min;
    uint64_t max;
  } range[] = {
    [OCISPEC_INT32] = { INT32_MIN, INT32_MAX },   [OCISPEC_UINT32] = { 0, UINT32_MAX },
    [OCISPEC_INT64] = { INT64_MIN, INT64_MAX },   [OCISPEC_UINT64] = { 0, UINT64_MAX },
    [OCISPEC_UINT16] = { 0, UINT16_MAX },
  };
  const char *text, *digits;
  char *end;
  bool neg;
  uint64_t u = 0;
  int64_t s = 0;

  if (!YAJL_IS_NUMBER (v))
    return fail (c, "expected integer, got %s", json_type (v));
  /* yajl_tree only marks values that fit a long long as integers, so
     work from the number as written.  */
  text = v->u.number.r;
  neg = text[0] == '-';
  digits = text + neg;
  if (digits[0] == '\0' || digits[strspn (digits, "0123456789")] != '\0')
    return fail (c, "expected integer, got number");

  errno = 0;
  if (range[kind].min == 0)
    {
      if (neg && digits[strspn (digits, "0")] != '\0')
        return fail (c, "%s is out of range for %s", text, kind_name (kind));
      u = strtoull (digits, &end, 10);
    }
  else
    {
      s = strtoll (text, &end, 10);
      if (s >= 0)
        u = (uint64_t) s;
    }
  if (errno != 0 || *end != '\0' || u > range[kind].max || s < range[kind].min)
    return fail (c, "%s is out of range for %s", text, kind_name (kind));

  switch (kind)
    {
    case OCISPEC_INT32:
      *(int32_t *) slot = (int32_t) s;
      break;
    case OCISPEC_UINT32:
      *(uint32_t *) slot = (uint32_t) u;
      break;
    case OCISPEC_INT64:
      *(int64_t *) slot = s;
      break;
    case OCISPEC_UINT16:
      *(uint16_t *) slot = (uint16_t) u;
      break;
    default:
      *(uint64_t *) slot = u;
      break;
    }
  return 0;
}

/* Parses V into SLOT, which holds one (zeroed) value of KIND.  */
static int
parse_value (struct ctx *c, unsigned kind, const ocispec_desc *sub, yajl_val v, void *slot)
{
  switch (kind)
    {
    case OCISPEC_STRING:
      if (!YAJL_IS_STRING (v))
        return fail (c, "expected string, got %s", json_type (v));
      set_ptr (slot, 0, xstrdup (v->u.string));
      return 0;
    case OCISPEC_BOOL:
      if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
        return fail (c, "expected boolean, got %s", json_type (v));
      *(bool *) slot = YAJL_IS_TRUE (v);
      return 0;
    case OCISPEC_DOUBLE:
      if (!YAJL_IS_NUMBER (v))
        return fail (c, "expected number, got %s", json_type (v));
      /* yajl_tree rejects underflow too; only overflow is an error.  */
      *(double *) slot = strtod (v->u.number.r, NULL);
      if (isinf (*(double *) slot))
        return fail (c, "%s is out of range for double", v->u.number.r);
      return 0;
    case OCISPEC_STRUCT:
      return parse_struct (c, sub, v, slot);
    default:
      return parse_integer (c, kind, v, slot);
    }
}

static int
parse_array (struct ctx *c, const ocispec_field *f, yajl_val v, void *obj)
{
  size_t i, n, es = elem_size (f->kind);
  char *items;

  if (!YAJL_IS_ARRAY (v))
    return fail (c, "expected array, got %s", json_type (v));
  n = v->u.array.len;
  /* Linked into OBJ at once: on failure the caller frees the whole tree. */
  items = xcalloc (n, es);
  set_ptr (obj, f->offset, items);
  *len_at (obj, f->aux) = n;
  for (i = 0; i < n; i++)
    {
      size_t mark = path_push_index (&c->path, i);
      if (parse_value (c, f->kind, f->sub, v->u.array.values[i], items + i * es) < 0)
        return -1;
      path_pop (&c->path, mark);
    }
  return 0;
}

struct key_index
{
  const char *key;
  size_t i;
};

static int
key_index_cmp (const void *a, const void *b)
{
  const struct key_index *x = a, *y = b;
  int r = strcmp (x->key, y->key);
  return r != 0 ? r : (x->i > y->i) - (x->i < y->i);
}

/* For each key of object V, the index of the first key equal to it.  */
static size_t *
first_occurrences (yajl_val v)
{
  size_t n = v->u.object.len, i, first = 0;
  size_t *slots = xcalloc (n, sizeof *slots);
  cleanup_free struct key_index *sorted = xcalloc (n, sizeof *sorted);

  for (i = 0; i < n; i++)
    sorted[i] = (struct key_index) { v->u.object.keys[i], i };
  qsort (sorted, n, sizeof *sorted, key_index_cmp);
  for (i = 0; i < n; i++)
    {
      if (i == 0 || strcmp (sorted[i].key, sorted[i - 1].key) != 0)
        first = sorted[i].i;
      slots[sorted[i].i] = first;
    }
  return slots;
}

/* A map keeps the position of a key's first occurrence and the value of
   its last; a null value removes the key.  */
static int
parse_map (struct ctx *c, const ocispec_field *f, yajl_val v, void *obj)
{
  size_t i, j, n, es = elem_size (f->kind);
  cleanup_free size_t *slots = NULL;
  char **keys, *values;
  void *m;

  if (!YAJL_IS_OBJECT (v))
    return fail (c, "expected object, got %s", json_type (v));
  n = v->u.object.len;
  m = xcalloc (1, sizeof (oci_map_string));
  set_ptr (obj, f->offset, m);
  *len_at (m, MAP_LEN) = n;
  keys = xcalloc (n, sizeof (char *));
  set_ptr (m, MAP_KEYS, keys);
  values = xcalloc (n, es);
  set_ptr (m, MAP_VALUES, values);
  slots = first_occurrences (v);

  for (i = 0; i < n; i++)
    {
      size_t s = slots[i];
      size_t mark = path_push_key (&c->path, v->u.object.keys[i]);

      free (keys[s]);
      keys[s] = NULL;
      free_value (f->kind, f->sub, values + s * es);
      memset (values + s * es, 0, es);
      if (!YAJL_IS_NULL (v->u.object.values[i]))
        {
          if (parse_value (c, f->kind, f->sub, v->u.object.values[i], values + s * es) < 0)
            return -1;
          keys[s] = xstrdup (v->u.object.keys[i]);
        }
      path_pop (&c->path, mark);
    }

  /* Close the gaps left by repeated and null keys.  */
  for (i = j = 0; i < n; i++)
    if (keys[i] != NULL)
      {
        keys[j] = keys[i];
        memmove (values + j * es, values + i * es, es);
        j++;
      }
  *len_at (m, MAP_LEN) = j;
  return 0;
}

static const ocispec_field *
find_field (const ocispec_desc *d, const char *key)
{
  size_t i;

  for (i = 0; i < d->n_fields; i++)
    if (strcmp (d->fields[i].key, key) == 0)
      return &d->fields[i];
  return NULL;
}

static int
parse_struct (struct ctx *c, const ocispec_desc *d, yajl_val v, void *slot)
{
  size_t i;
  void *obj;

  if (!YAJL_IS_OBJECT (v))
    return fail (c, "expected object, got %s", json_type (v));
  obj = xcalloc (1, d->size);
  set_ptr (slot, 0, obj);

  for (i = 0; i < v->u.object.len; i++)
    {
      const ocispec_field *f = find_field (d, v->u.object.keys[i]);
      yajl_val val = v->u.object.values[i];
      size_t mark;
      int r = 0;

      if (f == NULL)
        continue; /* unknown keys are ignored */
      /* A repeated key replaces the earlier value; null makes it absent. */
      clear_field (f, obj);
      if (YAJL_IS_NULL (val))
        continue;
      mark = path_push_key (&c->path, f->key);
      if (f->shape == OCISPEC_ARRAY)
        r = parse_array (c, f, val, obj);
      else if (f->shape == OCISPEC_MAP)
        r = parse_map (c, f, val, obj);
      else
        {
          r = parse_value (c, f->kind, f->sub, val, (char *) obj + f->offset);
          if (r == 0 && !kind_is_pointer (f->kind))
            *(bool *) ((char *) obj + f->aux) = true;
        }
      if (r < 0)
        return -1;
      path_pop (&c->path, mark);
    }

  for (i = 0; i < d->n_fields; i++)
    if (d->fields[i].required && !field_present (&d->fields[i], obj))
      return fail (c, "missing required field \"%s\"", d->fields[i].key);
  return 0;
}

/* ---- syntax check: yajl_tree_parse neither reports where an error is nor
   limits nesting (and frees trees recursively), so validate first.  */

struct syntax
{
  unsigned depth;
  bool too_deep;
};

static int
syntax_open (void *ctx)
{
  struct syntax *s = ctx;
  if (++s->depth > MAX_DEPTH)
    {
      s->too_deep = true;
      return 0;
    }
  return 1;
}

static int
syntax_close (void *ctx)
{
  ((struct syntax *) ctx)->depth--;
  return 1;
}

static const yajl_callbacks syntax_callbacks = {
  .yajl_start_map = syntax_open,
  .yajl_end_map = syntax_close,
  .yajl_start_array = syntax_open,
  .yajl_end_array = syntax_close,
};

static char *
check_syntax (const char *source, const char *data, size_t len)
{
  struct syntax s = { 0, false };
  const unsigned char *text = (const unsigned char *) data;
  yajl_handle h = yajl_alloc (&syntax_callbacks, NULL, &s);
  yajl_status st;
  size_t offset = len, line = 1, i;
  unsigned char *yerr;
  char *msg;

  if (h == NULL)
    abort ();
  yajl_config (h, yajl_allow_comments, 1); /* as yajl_tree_parse */
  st = yajl_parse (h, text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  else
    offset = yajl_get_bytes_consumed (h);
  if (st == yajl_status_ok)
    {
      yajl_free (h);
      return NULL;
    }
  for (i = 0; i < offset && i < len; i++)
    line += data[i] == '\n';
  if (s.too_deep)
    msg = xasprintf ("%s: invalid JSON: nested deeper than %d levels (line %zu)",
                     source, MAX_DEPTH, line);
  else
    {
      yerr = yajl_get_error (h, 0, text, len);
      if (yerr == NULL)
        abort ();
      yerr[strcspn ((char *) yerr, "\n")] = '\0';
      msg = xasprintf ("%s: invalid JSON: %s (line %zu)", source, (char *) yerr, line);
      yajl_free_error (h, yerr);
    }
  yajl_free (h);
  return msg;
}

void *
ocispec_parse_data (const ocispec_desc *d, const char *data, size_t len,
                    const char *source, char **err)
{
  __attribute__ ((cleanup (yajl_tree_freep))) yajl_val tree = NULL;
  cleanup_free char *text = NULL;
  struct ctx c = { source != NULL ? source : d->name, { NULL, 0, 0 }, NULL };
  char ebuf[256];
  void *out = NULL;
  char *msg;

  if (err != NULL)
    *err = NULL;
  if (data == NULL)
    data = "", len = 0;
  msg = check_syntax (c.source, data, len);
  if (msg != NULL)
    {
      set_err (err, msg);
      return NULL;
    }
  text = xmalloc (len + 1);
  memcpy (text, data, len);
  text[len] = '\0';
  ebuf[0] = '\0';
  tree = yajl_tree_parse (text, ebuf, sizeof ebuf);
  if (tree == NULL)
    {
      /* Only reached for input check_syntax accepts, e.g. with NUL bytes. */
      ebuf[strcspn (ebuf, "\n")] = '\0';
      set_err (err, xasprintf ("%s: invalid JSON: %s", c.source, ebuf));
      return NULL;
    }
  if (parse_struct (&c, d, tree, &out) < 0)
    {
      ocispec_free (d, out);
      out = NULL;
      set_err (err, c.err);
    }
  free (c.path.buf);
  return out;
}

/* Reads all of PATH into *DATA (NUL-terminated).  */
static int
read_file (const char *path, char **data, size_t *len, char **err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t n = 0, cap = 0;

  if (fd < 0)
    {
      set_err (err, xasprintf ("open `%s`: %m", path));
      return -1;
    }
  for (;;)
    {
      ssize_t r;

      if (cap - n < 4096)
        {
          cap = cap ? cap * 2 : 16384;
          buf = xreallocarray (buf, cap + 1, 1);
        }
      r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          set_err (err, xasprintf ("read `%s`: %m", path));
          return -1;
        }
      if (r == 0)
        break;
      n += (size_t) r;
      if (n > MAX_FILE_SIZE)
        {
          set_err (err, xasprintf ("read `%s`: file is larger than %u MiB", path,
                                   MAX_FILE_SIZE >> 20));
          return -1;
        }
    }
  buf[n] = '\0';
  *data = buf;
  buf = NULL;
  *len = n;
  return 0;
}

void *
ocispec_parse_file (const ocispec_desc *d, const char *path, char **err)
{
  cleanup_free char *data = NULL;
  const char *base;
  size_t len;

  if (err != NULL)
    *err = NULL;
  if (read_file (path, &data, &len, err) < 0)
    return NULL;
  base = strrchr (path, '/');
  base = base != NULL && base[1] != '\0' ? base + 1 : path;
  return ocispec_parse_data (d, data, len, base, err);
}

/* ---- oci_map_string */

const char *
oci_map_string_get (const oci_map_string *m, const char *key)
{
  size_t i;

  if (m == NULL || key == NULL)
    return NULL;
  for (i = 0; i < m->len; i++)
    if (m->keys[i] != NULL && strcmp (m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

int
oci_map_string_set (oci_map_string **mp, const char *key, const char *value)
{
  oci_map_string *m;
  size_t i;

  if (mp == NULL || key == NULL || value == NULL)
    {
      errno = EINVAL;
      return -1;
    }
  if (*mp == NULL)
    *mp = xcalloc (1, sizeof **mp);
  m = *mp;
  for (i = 0; i < m->len; i++)
    if (m->keys[i] != NULL && strcmp (m->keys[i], key) == 0)
      {
        char *copy = xstrdup (value);
        free (m->values[i]);
        m->values[i] = copy;
        return 0;
      }
  m->keys = xreallocarray (m->keys, m->len + 1, sizeof *m->keys);
  m->values = xreallocarray (m->values, m->len + 1, sizeof *m->values);
  m->keys[m->len] = xstrdup (key);
  m->values[m->len] = xstrdup (value);
  m->len++;
  return 0;
}

void
oci_map_string_free (oci_map_string *m)
{
  free_map (OCISPEC_STRING, NULL, m);
}

void
oci_map_string_freep (oci_map_string **m)
{
  if (m != NULL)
    {
      oci_map_string_free (*m);
      *m = NULL;
    }
}
