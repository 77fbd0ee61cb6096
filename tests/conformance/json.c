/* A small recursive-descent JSON reader (see json.h).  Memory is never
   freed: the checker parses one document and exits. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

struct parser
{
  const char *p;
  const char *err;
};

static void *
xcalloc (size_t n, size_t size)
{
  void *r = calloc (n ? n : 1, size);
  if (r == NULL)
    abort ();
  return r;
}

static void
skip_ws (struct parser *ps)
{
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
    ps->p++;
}

static struct jval *parse_value (struct parser *ps, int depth);

static void
put_utf8 (char **out, unsigned cp)
{
  char *o = *out;
  if (cp < 0x80)
    *o++ = (char) cp;
  else if (cp < 0x800)
    {
      *o++ = (char) (0xc0 | (cp >> 6));
      *o++ = (char) (0x80 | (cp & 0x3f));
    }
  else
    {
      *o++ = (char) (0xe0 | (cp >> 12));
      *o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
      *o++ = (char) (0x80 | (cp & 0x3f));
    }
  *out = o;
}

static char *
parse_string (struct parser *ps)
{
  if (*ps->p != '"')
    {
      ps->err = "expected a string";
      return NULL;
    }
  ps->p++;
  const char *start = ps->p;
  size_t len = 0;
  while (start[len] && start[len] != '"')
    len += start[len] == '\\' && start[len + 1] ? 2 : 1;
  char *res = xcalloc (len + 1, 1), *o = res;
  while (*ps->p && *ps->p != '"')
    {
      char c = *ps->p++;
      if (c != '\\')
        {
          *o++ = c;
          continue;
        }
      c = *ps->p++;
      switch (c)
        {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u':
          {
            char hex[5] = { 0 };
            for (int i = 0; i < 4 && ps->p[i]; i++)
              hex[i] = ps->p[i];
            ps->p += strlen (hex);
            put_utf8 (&o, (unsigned) strtoul (hex, NULL, 16));
            break;
          }
        case '\0':
          ps->err = "unterminated string";
          return NULL;
        default: *o++ = c; break;
        }
    }
  if (*ps->p != '"')
    {
      ps->err = "unterminated string";
      return NULL;
    }
  ps->p++;
  return res;
}

static struct jval *
parse_container (struct parser *ps, int depth, bool is_obj)
{
  struct jval *v = xcalloc (1, sizeof *v);
  size_t cap = 8;
  v->type = is_obj ? J_OBJ : J_ARR;
  v->items = xcalloc (cap, sizeof *v->items);
  v->keys = is_obj ? xcalloc (cap, sizeof *v->keys) : NULL;
  ps->p++;
  skip_ws (ps);
  if (*ps->p == (is_obj ? '}' : ']'))
    {
      ps->p++;
      return v;
    }
  for (;;)
    {
      if (v->n == cap)
        {
          cap *= 2;
          v->items = realloc (v->items, cap * sizeof *v->items);
          if (is_obj)
            v->keys = realloc (v->keys, cap * sizeof *v->keys);
          if (v->items == NULL || (is_obj && v->keys == NULL))
            abort ();
        }
      skip_ws (ps);
      if (is_obj)
        {
          v->keys[v->n] = parse_string (ps);
          if (v->keys[v->n] == NULL)
            return NULL;
          skip_ws (ps);
          if (*ps->p != ':')
            {
              ps->err = "expected ':'";
              return NULL;
            }
          ps->p++;
        }
      v->items[v->n] = parse_value (ps, depth + 1);
      if (v->items[v->n] == NULL)
        return NULL;
      v->n++;
      skip_ws (ps);
      if (*ps->p == ',')
        {
          ps->p++;
          continue;
        }
      if (*ps->p == (is_obj ? '}' : ']'))
        {
          ps->p++;
          return v;
        }
      ps->err = is_obj ? "expected ',' or '}'" : "expected ',' or ']'";
      return NULL;
    }
}

static struct jval *
parse_value (struct parser *ps, int depth)
{
  if (depth > 64)
    {
      ps->err = "nested too deeply";
      return NULL;
    }
  skip_ws (ps);
  char c = *ps->p;
  if (c == '{' || c == '[')
    return parse_container (ps, depth, c == '{');
  struct jval *v = xcalloc (1, sizeof *v);
  if (c == '"')
    {
      v->type = J_STR;
      v->str = parse_string (ps);
      return v->str ? v : NULL;
    }
  if (strncmp (ps->p, "true", 4) == 0 || strncmp (ps->p, "false", 5) == 0)
    {
      v->type = J_BOOL;
      v->b = c == 't';
      ps->p += v->b ? 4 : 5;
      return v;
    }
  if (strncmp (ps->p, "null", 4) == 0)
    {
      ps->p += 4;
      return v;
    }
  if (c == '-' || (c >= '0' && c <= '9'))
    {
      char *end;
      v->type = J_NUM;
      v->num = strtod (ps->p, &end);
      v->inum = strtoll (ps->p, NULL, 10);
      ps->p = end;
      return v;
    }
  ps->err = "unexpected character";
  return NULL;
}

struct jval *
json_parse (const char *text, const char **err)
{
  struct parser ps = { text, NULL };
  struct jval *v = parse_value (&ps, 0);
  if (v != NULL)
    {
      skip_ws (&ps);
      if (*ps.p != '\0')
        {
          ps.err = "trailing characters";
          v = NULL;
        }
    }
  if (v == NULL && err)
    *err = ps.err ? ps.err : "invalid JSON";
  return v;
}

const struct jval *
json_get (const struct jval *obj, const char *key)
{
  if (obj == NULL || obj->type != J_OBJ)
    return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

const struct jval *
json_path (const struct jval *v, const char *path)
{
  char buf[256];
  size_t len = strlen (path);
  if (len >= sizeof buf)
    return NULL;
  memcpy (buf, path, len + 1);
  for (char *save = NULL, *tok = strtok_r (buf, "/", &save); tok && v;
       tok = strtok_r (NULL, "/", &save))
    v = json_get (v, tok);
  return v;
}

const char *
json_str (const struct jval *v)
{
  return v && v->type == J_STR ? v->str : NULL;
}

bool
json_is (const struct jval *v, enum jtype t)
{
  return v != NULL && v->type == t;
}
