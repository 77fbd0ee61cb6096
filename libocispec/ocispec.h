/* libocispec: typed C model of the OCI JSON documents.
 *
 * The structs and their functions (oci_NAME_parse_file, _parse_data,
 * _generate, _free, _freep) are generated into oci-types.h from the schema
 * files libocispec/schema/NAME.ospec; see docs/libocispec.md.  Including
 * either this header or oci-types.h gives the whole API.
 *
 * Nothing here prints or exits; allocation failure aborts.
 */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flags for oci_NAME_generate.  OCI_GEN_PRETTY indents with two spaces and
   ends the document with a newline; without it the output is one line.  */
#define OCI_GEN_PRETTY 1u

/* A JSON object with string values; keys are unique and keep the order of
   the document (or of insertion).  */
typedef struct oci_map_string
{
  size_t len;
  char **keys;
  char **values;
} oci_map_string;

/* The value for KEY, or NULL.  M may be NULL.  */
const char *oci_map_string_get (const oci_map_string *m, const char *key);

/* Sets KEY to VALUE (both copied), replacing an existing value; allocates
   *M if it is NULL.  Returns 0, or -1 with errno EINVAL if an argument is
   NULL.  */
int oci_map_string_set (oci_map_string **m, const char *key, const char *value);

void oci_map_string_free (oci_map_string *m);
void oci_map_string_freep (oci_map_string **m);

/* ---- For the generated code: descriptor tables and the generic functions
   that interpret them.  Other code should use the typed wrappers.  */

enum ocispec_kind
{
  OCISPEC_STRING,
  OCISPEC_BOOL,
  OCISPEC_INT32,
  OCISPEC_UINT32,
  OCISPEC_INT64,
  OCISPEC_UINT64,
  OCISPEC_UINT16,
  OCISPEC_DOUBLE,
  OCISPEC_STRUCT,
};

enum ocispec_shape
{
  OCISPEC_ONE,   /* T f; plus bool f_present unless T is a pointer */
  OCISPEC_ARRAY, /* T *f; size_t f_len; */
  OCISPEC_MAP,   /* oci_map_X *f, laid out like oci_map_string */
};

typedef struct ocispec_desc ocispec_desc;

typedef struct ocispec_field
{
  const char *key;          /* JSON key */
  size_t offset;            /* of the member */
  size_t aux;               /* of f_present (ONE scalars) or f_len (ARRAY) */
  const ocispec_desc *sub;  /* element struct when kind is OCISPEC_STRUCT */
  unsigned char kind;       /* enum ocispec_kind */
  unsigned char shape;      /* enum ocispec_shape */
  bool required;
} ocispec_field;

struct ocispec_desc
{
  const char *name; /* schema name, "config" for oci_config */
  size_t size;
  size_t n_fields;
  const ocispec_field *fields;
};

void *ocispec_parse_file (const ocispec_desc *d, const char *path, char **err);
void *ocispec_parse_data (const ocispec_desc *d, const char *data, size_t len,
                          const char *source, char **err);
char *ocispec_generate (const ocispec_desc *d, const void *v, unsigned flags, char **err);
void ocispec_free (const ocispec_desc *d, void *v);

#include "oci-types.h"

#endif
