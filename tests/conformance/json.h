/* A small JSON reader for the conformance checker: it runs inside a busybox
   rootfs as a static binary, so it cannot use the project's libraries.
   Parses a whole document into a tree; lookups by key and by index. */
#ifndef PITH_CHECK_JSON_H
#define PITH_CHECK_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval
{
  enum jtype type;
  bool b;
  double num;
  long long inum;     /* the number, when it was written as an integer */
  char *str;
  size_t n;           /* items of an array or object */
  char **keys;        /* object keys */
  struct jval **items;
};

/* NULL on a syntax error, with a message in *err. */
struct jval *json_parse (const char *text, const char **err);
const struct jval *json_get (const struct jval *obj, const char *key);
/* Follows "a/b/c" through objects. */
const struct jval *json_path (const struct jval *v, const char *path);
const char *json_str (const struct jval *v);          /* NULL unless a string */
bool json_is (const struct jval *v, enum jtype t);

#endif
