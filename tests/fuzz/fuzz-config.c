/* libFuzzer target for libocispec's config.json parser and generator.
 *
 * Build and run with `make fuzz` (see libocispec/local.mk).  Every input is
 * parsed; an accepted document is generated, parsed again and generated
 * again, and the two generations must be identical.
 */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif

#include "ocispec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_stable (const oci_config *c, unsigned flags)
{
  char *err = NULL, *json1, *json2;
  oci_config *again;

  json1 = oci_config_generate (c, flags, &err);
  if (json1 == NULL)
    abort (); /* whatever parsed must generate */
  again = oci_config_parse_data (json1, strlen (json1), "generated", &err);
  if (again == NULL)
    abort (); /* and what was generated must parse */
  json2 = oci_config_generate (again, flags, &err);
  if (json2 == NULL || strcmp (json1, json2) != 0)
    abort ();
  free (json1);
  free (json2);
  oci_config_free (again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *err = NULL;
  oci_config *c = oci_config_parse_data ((const char *) data, size, "fuzz", &err);

  if (c == NULL)
    {
      if (err == NULL)
        abort (); /* failures always explain themselves */
      free (err);
      return 0;
    }
  check_stable (c, 0);
  check_stable (c, OCI_GEN_PRETTY);
  oci_config_free (c);
  return 0;
}
