/* Unit tests for libocispec: parsing, generation, errors and map helpers.
 *
 * Prints "ok N - name" or "not ok N - name: detail" per test and a summary;
 * exits 0 when everything passed, 1 otherwise.  OCISPEC_TEST_DATA is the
 * directory holding tests/unit/data.
 */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1 /* vasprintf */
#endif

#include "ocispec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OCISPEC_TEST_DATA
# define OCISPEC_TEST_DATA "tests/unit/data"
#endif

/* ---- harness */

static int n_run, n_failed;

static char *xfmt (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static char *
xfmt (const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

/* DETAIL is NULL for a pass, else a malloc'd description (freed here).  */
static void
report (const char *name, char *detail)
{
  n_run++;
  if (detail == NULL)
    printf ("ok %d - %s\n", n_run, name);
  else
    {
      n_failed++;
      printf ("not ok %d - %s: %s\n", n_run, name, detail);
      free (detail);
    }
}

/* Inside a test function returning char *: fail with the condition text.  */
#define EXPECT(cond)                                                      \
  do                                                                      \
    {                                                                     \
      if (!(cond))                                                        \
        return xfmt ("line %d: expected %s", __LINE__, #cond);            \
    }                                                                     \
  while (0)

#define EXPECT_STR(got, want)                                             \
  do                                                                      \
    {                                                                     \
      const char *g_ = (got), *w_ = (want);                               \
      if (g_ == NULL || strcmp (g_, w_) != 0)                             \
        return xfmt ("line %d: %s is \"%s\", expected \"%s\"", __LINE__,  \
                     #got, g_ ? g_ : "(null)", w_);                       \
    }                                                                     \
  while (0)

static void
freep (void *p)
{
  void *q;
  memcpy (&q, p, sizeof q);
  free (q);
}
#define cleanup_free __attribute__ ((cleanup (freep)))

static char *
data_path (const char *name)
{
  return xfmt ("%s/%s", OCISPEC_TEST_DATA, name);
}

/* ---- coverage: is every field of every struct reachable from a
   descriptor present somewhere in a parsed document?  */

struct seen
{
  const ocispec_desc *d;
  bool *fields;
};

static struct seen seen[128];
static size_t n_seen;

static bool *
seen_fields (const ocispec_desc *d)
{
  size_t i;

  for (i = 0; i < n_seen; i++)
    if (seen[i].d == d)
      return seen[i].fields;
  if (n_seen == sizeof seen / sizeof seen[0])
    abort ();
  seen[n_seen].d = d;
  seen[n_seen].fields = calloc (d->n_fields, sizeof (bool));
  if (seen[n_seen].fields == NULL)
    abort ();
  return seen[n_seen++].fields;
}

static void
seen_reset (void)
{
  while (n_seen > 0)
    free (seen[--n_seen].fields);
}

static void *
ptr_at (const void *base, size_t off)
{
  void *p;
  memcpy (&p, (const char *) base + off, sizeof p);
  return p;
}

static void
walk (const ocispec_desc *d, const void *obj)
{
  bool *s = seen_fields (d);
  size_t i, j, n;

  for (i = 0; i < d->n_fields; i++)
    {
      const ocispec_field *f = &d->fields[i];
      bool scalar = f->shape == OCISPEC_ONE && f->kind != OCISPEC_STRING
                    && f->kind != OCISPEC_STRUCT;
      void *member = scalar ? NULL : ptr_at (obj, f->offset);

      if (scalar ? !*(const bool *) ((const char *) obj + f->aux) : member == NULL)
        continue;
      s[i] = true;
      if (f->kind != OCISPEC_STRUCT)
        continue;
      if (f->shape == OCISPEC_ONE)
        walk (f->sub, member);
      else if (f->shape == OCISPEC_ARRAY)
        for (j = 0, n = *(const size_t *) ((const char *) obj + f->aux); j < n; j++)
          walk (f->sub, ptr_at (member, j * sizeof (void *)));
      else /* an oci_map_X, laid out like oci_map_string */
        {
          void *values = ptr_at (member, offsetof (oci_map_string, values));
          memcpy (&n, (char *) member + offsetof (oci_map_string, len), sizeof n);
          for (j = 0; j < n; j++)
            walk (f->sub, ptr_at (values, j * sizeof (void *)));
        }
    }
}

/* "struct.key" of the first field never seen, or NULL.  */
static char *
first_unseen (const ocispec_desc *d, const ocispec_desc **done, size_t *n_done)
{
  bool *s = seen_fields (d);
  size_t i;
  char *r;

  for (i = 0; i < *n_done; i++)
    if (done[i] == d)
      return NULL;
  done[(*n_done)++] = d;
  for (i = 0; i < d->n_fields; i++)
    {
      if (!s[i])
        return xfmt ("%s.%s never set", d->name, d->fields[i].key);
      if (d->fields[i].sub != NULL && (r = first_unseen (d->fields[i].sub, done, n_done)))
        return r;
    }
  return NULL;
}

static char *
check_coverage (const ocispec_desc *d, const void *obj)
{
  const ocispec_desc *done[128];
  size_t n_done = 0;
  char *r;

  walk (d, obj);
  r = first_unseen (d, done, &n_done);
  seen_reset ();
  return r;
}

/* ---- round trips of the full documents */

/* Parses FILE, then generate -> parse -> generate (pretty and compact);
   the outputs must be equal and every schema field must occur.  */
static char *
round_trip (const ocispec_desc *d, const char *file, void **out)
{
  cleanup_free char *path = data_path (file);
  char *err = NULL, *r;
  void *v = ocispec_parse_file (d, path, &err);
  unsigned flags;

  if (v == NULL)
    return err;
  if ((r = check_coverage (d, v)) != NULL)
    return r;
  for (flags = 0; flags <= OCI_GEN_PRETTY; flags++)
    {
      cleanup_free char *gen1 = ocispec_generate (d, v, flags, &err);
      cleanup_free char *gen2 = NULL;
      void *v2;

      if (gen1 == NULL)
        return err;
      v2 = ocispec_parse_data (d, gen1, strlen (gen1), "gen1", &err);
      if (v2 == NULL)
        return err;
      gen2 = ocispec_generate (d, v2, flags, &err);
      ocispec_free (d, v2);
      if (gen2 == NULL)
        return err;
      if (strcmp (gen1, gen2) != 0)
        return xfmt ("generated output differs:\n%s\n---\n%s", gen1, gen2);
    }
  *out = v;
  return NULL;
}

static char *
test_config_full (void)
{
  __attribute__ ((cleanup (oci_config_freep))) oci_config *c = NULL;
  cleanup_free char *json = NULL;
  char *r, *err = NULL;
  oci_resources *res;
  oci_process *p;
  oci_linux *l;

  if ((r = round_trip (&oci_config_desc, "config-full.json", (void **) &c)) != NULL)
    return r;
  EXPECT_STR (c->oci_version, "1.3.0");
  EXPECT (c->root->readonly && c->root->readonly_present);
  EXPECT (c->mounts_len == 3 && c->mounts[1]->options_len == 4);
  EXPECT_STR (c->mounts[1]->options[3], "size=65536k");
  EXPECT (c->mounts[0]->options == NULL && c->mounts[0]->uid_mappings == NULL);
  EXPECT (c->mounts[2]->uid_mappings[0]->host_id == 100000);
  EXPECT (c->mounts[2]->gid_mappings[0]->size == 65536);
  p = c->process;
  EXPECT (!p->terminal && p->terminal_present);
  EXPECT (p->console_size->height == 25 && p->console_size->width == 80);
  EXPECT_STR (p->args[2], "echo \"hi\" \\ there");
  EXPECT (p->rlimits[0]->hard == UINT64_MAX && p->rlimits[0]->soft == 1024);
  EXPECT (p->user->uid == UINT32_MAX && p->user->additional_gids_len == 3);
  EXPECT (p->user->additional_gids[2] == UINT32_MAX && p->user->umask == 18);
  EXPECT (p->oom_score_adj == -1000 && p->oom_score_adj_present);
  EXPECT (p->capabilities->inheritable != NULL && p->capabilities->inheritable_len == 0);
  EXPECT (p->scheduler->nice == -20 && p->scheduler->priority_present);
  EXPECT_STR (p->exec_cpu_affinity->final, "2");
  EXPECT (c->hooks->create_container[0]->timeout == -1);
  EXPECT (c->hooks->poststart[0]->timeout == INT32_MAX);
  EXPECT (!c->hooks->create_runtime[0]->timeout_present);
  EXPECT_STR (oci_map_string_get (c->annotations, "a/b~c"), "slash and tilde");
  EXPECT_STR (oci_map_string_get (c->annotations, "empty"), "");

  l = c->linux;
  EXPECT (l->time_offsets->len == 2);
  EXPECT_STR (l->time_offsets->keys[0], "monotonic");
  EXPECT (l->time_offsets->values[0]->secs == -1);
  EXPECT (l->time_offsets->values[0]->nanosecs == 999999999);
  EXPECT (l->time_offsets->values[1]->secs == INT64_MAX);
  EXPECT (l->net_devices->len == 2 && l->net_devices->values[1]->name == NULL);
  EXPECT (l->devices[0]->file_mode == 0666 && !l->devices[1]->file_mode_present);
  EXPECT_STR (l->namespaces[1]->path, "/var/run/netns/neta");
  EXPECT (l->gid_mappings[1]->host_id == UINT32_MAX);
  EXPECT_STR (oci_map_string_get (l->sysctl, "net.core.somaxconn"), "256");
  res = l->resources;
  EXPECT (!res->devices[0]->allow && res->devices[0]->allow_present);
  EXPECT (res->devices[1]->minor == -1);
  EXPECT (res->memory->swap == -1 && res->memory->limit == 536870912);
  EXPECT (res->memory->swappiness == 0 && res->memory->swappiness_present);
  EXPECT (res->cpu->quota == INT64_MIN);
  EXPECT (res->block_io->leaf_weight == 65535);
  EXPECT (res->block_io->throttle_write_bps_device[0]->rate == UINT64_MAX);
  EXPECT (res->block_io->throttle_read_iops_device[0]->rate == 300);
  EXPECT (res->block_io->throttle_write_iops_device[0]->minor == 16);
  EXPECT (res->network->class_id == 1048577 && res->network->priorities_len == 2);
  EXPECT (res->rdma->len == 2);
  EXPECT_STR (res->rdma->keys[0], "mlx5_1");
  EXPECT (res->rdma->values[0]->hca_handles == 3);
  EXPECT (!res->rdma->values[1]->hca_handles_present);
  EXPECT (res->rdma->values[1]->hca_objects == 1000);
  EXPECT_STR (oci_map_string_get (res->unified, "io.max"), "8:0 rbps=1024");
  EXPECT (l->intel_rdt->enable_cmt && !l->intel_rdt->enable_mbm);
  EXPECT (l->seccomp->syscalls[1]->args[1]->value == UINT64_MAX);
  EXPECT (l->seccomp->syscalls[1]->args[1]->value_two_present);
  EXPECT (l->seccomp->syscalls[0]->errno_ret == 38);
  EXPECT (l->personality->flags != NULL && l->personality->flags_len == 0);
  EXPECT_STR (l->memory_policy->nodes, "0-3");

  json = oci_config_generate (c, 0, &err);
  if (json == NULL)
    return err;
  EXPECT (strncmp (json, "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"", 44) == 0);
  EXPECT (strstr (json, "\"hard\":18446744073709551615") != NULL);
  EXPECT (strstr (json, "\"monotonic\":{\"secs\":-1,\"nanosecs\":999999999}") != NULL);
  EXPECT (strstr (json, "\"quota\":-9223372036854775808") != NULL);
  EXPECT (strstr (json, "\"a/b~c\":\"slash and tilde\"") != NULL);
  EXPECT (strstr (json, "\"inheritable\":[]") != NULL);
  EXPECT (strstr (json, "\"eth1\":{}") != NULL);
  EXPECT (strstr (json, "unknownTopLevel") == NULL);
  return NULL;
}

static char *
test_other_full (void)
{
  static const struct
  {
    const ocispec_desc *d;
    const char *file;
  } docs[] = {
    { &oci_state_desc, "state-full.json" },
    { &oci_saved_state_desc, "saved-state-full.json" },
    { &oci_features_desc, "features-full.json" },
  };
  size_t i;

  for (i = 0; i < sizeof docs / sizeof docs[0]; i++)
    {
      void *v = NULL;
      char *r = round_trip (docs[i].d, docs[i].file, &v);
      if (r != NULL)
        return xfmt ("%s: %s", docs[i].file, r);
      ocispec_free (docs[i].d, v);
    }
  return NULL;
}

static char *
test_saved_state (void)
{
  cleanup_free char *path = data_path ("saved-state-full.json");
  __attribute__ ((cleanup (oci_saved_state_freep))) oci_saved_state *s = NULL;
  char *err = NULL;

  s = oci_saved_state_parse_file (path, &err);
  if (s == NULL)
    return err;
  EXPECT (s->pid == INT32_MAX && s->pid_start_time == UINT64_MAX);
  EXPECT (s->systemd_cgroup && s->systemd_cgroup_present);
  EXPECT_STR (oci_map_string_get (s->cgroup_paths, ""), "/sys/fs/cgroup/pith/c1");
  EXPECT (s->annotations != NULL && s->annotations->len == 0);
  return NULL;
}

static char *
test_process (void)
{
  cleanup_free char *path = data_path ("process.json");
  __attribute__ ((cleanup (oci_process_freep))) oci_process *p = NULL;
  char *err = NULL;

  p = oci_process_parse_file (path, &err);
  if (p == NULL)
    return err;
  EXPECT (p->terminal && p->console_size->width == 120);
  EXPECT (p->user->uid == 1000 && p->user->additional_gids[1] == 20);
  EXPECT (!p->user->umask_present && p->user->username == NULL);
  EXPECT_STR (p->args[0], "/bin/bash");
  EXPECT_STR (p->cwd, "/home/user");
  EXPECT (p->apparmor_profile == NULL && p->oom_score_adj == 100);
  EXPECT (p->rlimits_len == 1 && p->rlimits[0]->hard == 8192);
  EXPECT (p->capabilities->bounding_len == 1 && p->capabilities->ambient == NULL);
  EXPECT (!p->no_new_privileges && p->no_new_privileges_present);
  return NULL;
}

/* ---- inputs that parse; the compact generation of the result is checked */

static const struct
{
  const char *name;
  const ocispec_desc *d;
  const char *json;
  const char *want;
} accept_cases[] = {
  { "unknown fields are ignored", &oci_config_desc,
    "{\"ociVersion\":\"1\",\"foo\":{\"bar\":[1,{}]},\"process\":{\"cwd\":\"/\",\"x\":true}}",
    "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\"}}" },
  { "null counts as absent", &oci_config_desc,
    "{\"ociVersion\":\"1\",\"hostname\":null,\"mounts\":null,\"process\":null,"
    "\"annotations\":{\"a\":null,\"b\":\"x\"}}",
    "{\"ociVersion\":\"1\",\"annotations\":{\"b\":\"x\"}}" },
  { "repeated keys: the last wins", &oci_config_desc,
    "{\"ociVersion\":\"1\",\"hostname\":\"a\",\"hostname\":\"b\",\"mounts\":[{\"destination\":\"/a\"}],"
    "\"mounts\":[{\"destination\":\"/b\"},{\"destination\":\"/c\"}],\"root\":{\"path\":\"r\"},\"root\":null,"
    "\"annotations\":{\"k\":\"1\",\"j\":\"2\",\"k\":\"3\",\"j\":null},\"ociVersion\":\"2\"}",
    "{\"ociVersion\":\"2\",\"mounts\":[{\"destination\":\"/b\"},{\"destination\":\"/c\"}],"
    "\"hostname\":\"b\",\"annotations\":{\"k\":\"3\"}}" },
  { "repeated keys in a map of structs", &oci_linux_desc,
    "{\"rdma\":1,\"timeOffsets\":{\"a\":{\"secs\":1},\"b\":{},\"a\":{\"nanosecs\":2}}}",
    "{\"timeOffsets\":{\"a\":{\"nanosecs\":2},\"b\":{}}}" },
  { "empty arrays and objects are kept", &oci_config_desc,
    "{\"ociVersion\":\"1\",\"mounts\":[],\"annotations\":{},\"hooks\":{}}",
    "{\"ociVersion\":\"1\",\"mounts\":[],\"hooks\":{},\"annotations\":{}}" },
  { "integer limits and -0", &oci_user_desc,
    "{\"uid\":-0,\"gid\":4294967295,\"umask\":0,\"additionalGids\":[0,1]}",
    "{\"uid\":0,\"gid\":4294967295,\"umask\":0,\"additionalGids\":[0,1]}" },
  { "int64 limits", &oci_throttle_device_desc,
    "{\"major\":-9223372036854775808,\"minor\":9223372036854775807,\"rate\":18446744073709551615}",
    "{\"major\":-9223372036854775808,\"minor\":9223372036854775807,\"rate\":18446744073709551615}" },
  { "string escapes and UTF-8", &oci_config_desc,
    "{\"ociVersion\":\"\\u00e9\\\"\\n\\t\\/\\\\\"}",
    "{\"ociVersion\":\"\xc3\xa9\\\"\\n\\t/\\\\\"}" },
  { "comments are accepted", &oci_config_desc,
    "/* c */ {\"ociVersion\": \"1\" // line\n}",
    "{\"ociVersion\":\"1\"}" },
  { "process.json", &oci_process_desc,
    "{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":1,\"gid\":2}}",
    "{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":1,\"gid\":2}}" },
};

static char *
run_accept (size_t i)
{
  const ocispec_desc *d = accept_cases[i].d;
  char *err = NULL;
  cleanup_free char *json = NULL;
  void *v = ocispec_parse_data (d, accept_cases[i].json, strlen (accept_cases[i].json), "in", &err);

  if (v == NULL)
    return err;
  json = ocispec_generate (d, v, 0, &err);
  ocispec_free (d, v);
  if (json == NULL)
    return err;
  if (strcmp (json, accept_cases[i].want) != 0)
    return xfmt ("got %s", json);
  return NULL;
}

/* ---- inputs that must fail with exactly this message */

/* A document nested 300 levels deep, the brackets on line 2.  */
static char *
deep_input (size_t *len)
{
  size_t n = 300, i;
  char *s = malloc (64 + 2 * n), *p;

  if (s == NULL)
    abort ();
  p = s + sprintf (s, "{\"ociVersion\":\"1\",\"x\":\n");
  for (i = 0; i < n; i++)
    p[i] = '[', p[n + i] = ']';
  strcpy (p + 2 * n, "}");
  *len = strlen (s);
  return s;
}

/* A string literal and its length (which counts embedded NUL bytes).  */
#define J(s) s, sizeof (s) - 1

static const struct
{
  const char *name;
  const ocispec_desc *d;
  const char *json; /* NULL: FILE is a file to parse, or deep_input() */
  size_t len;
  const char *file;
  const char *want;
} reject_cases[] = {
  { "wrong type at a deep path", &oci_config_desc,
    J ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}"), NULL,
    "config.json: /linux/resources/memory/limit: expected integer, got string" },
  { "missing required field in an array element", &oci_config_desc, NULL, 0,
    "bad-mount-destination.json",
    "bad-mount-destination.json: /mounts/2: missing required field \"destination\"" },
  { "missing required field at the root", &oci_config_desc, J ("{}"), NULL,
    "config.json: /: missing required field \"ociVersion\"" },
  { "missing required number in a nested array", &oci_config_desc,
    J ("{\"ociVersion\":\"1\",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":0}]}}"), NULL,
    "config.json: /linux/uidMappings/0: missing required field \"size\"" },
  { "required field given null", &oci_process_desc, J ("{\"cwd\":null}"), NULL,
    "config.json: /: missing required field \"cwd\"" },
  { "uint32 out of range", &oci_config_desc,
    J ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":4294967296,\"gid\":0}}}"), NULL,
    "config.json: /process/user/uid: 4294967296 is out of range for uint32" },
  { "negative into unsigned", &oci_user_desc, J ("{\"uid\":-1,\"gid\":0}"), NULL,
    "config.json: /uid: -1 is out of range for uint32" },
  { "int32 above range", &oci_process_desc, J ("{\"cwd\":\"/\",\"oomScoreAdj\":2147483648}"), NULL,
    "config.json: /oomScoreAdj: 2147483648 is out of range for int32" },
  { "int32 below range", &oci_process_desc, J ("{\"cwd\":\"/\",\"oomScoreAdj\":-2147483649}"), NULL,
    "config.json: /oomScoreAdj: -2147483649 is out of range for int32" },
  { "uint16 out of range", &oci_block_io_desc, J ("{\"weight\":65536}"), NULL,
    "config.json: /weight: 65536 is out of range for uint16" },
  { "uint64 out of range", &oci_rlimit_desc,
    J ("{\"type\":\"RLIMIT_AS\",\"soft\":0,\"hard\":18446744073709551616}"), NULL,
    "config.json: /hard: 18446744073709551616 is out of range for uint64" },
  { "int64 above range", &oci_pids_desc, J ("{\"limit\":9223372036854775808}"), NULL,
    "config.json: /limit: 9223372036854775808 is out of range for int64" },
  { "int64 below range", &oci_pids_desc, J ("{\"limit\":-9223372036854775809}"), NULL,
    "config.json: /limit: -9223372036854775809 is out of range for int64" },
  { "fraction into integer", &oci_pids_desc, J ("{\"limit\":1.5}"), NULL,
    "config.json: /limit: expected integer, got number" },
  { "exponent into integer", &oci_pids_desc, J ("{\"limit\":1e3}"), NULL,
    "config.json: /limit: expected integer, got number" },
  { "boolean into integer", &oci_pids_desc, J ("{\"limit\":true}"), NULL,
    "config.json: /limit: expected integer, got boolean" },
  { "object into integer", &oci_pids_desc, J ("{\"limit\":{}}"), NULL,
    "config.json: /limit: expected integer, got object" },
  { "array into integer", &oci_pids_desc, J ("{\"limit\":[1]}"), NULL,
    "config.json: /limit: expected integer, got array" },
  { "string into integer array", &oci_user_desc,
    J ("{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"2\"]}"), NULL,
    "config.json: /additionalGids/1: expected integer, got string" },
  { "number into boolean", &oci_root_desc, J ("{\"path\":\"r\",\"readonly\":1}"), NULL,
    "config.json: /readonly: expected boolean, got number" },
  { "string into boolean", &oci_root_desc, J ("{\"path\":\"r\",\"readonly\":\"true\"}"), NULL,
    "config.json: /readonly: expected boolean, got string" },
  { "number into string", &oci_config_desc, J ("{\"ociVersion\":1}"), NULL,
    "config.json: /ociVersion: expected string, got number" },
  { "null inside a string array", &oci_config_desc,
    J ("{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/\",\"options\":[\"ro\",null]}]}"), NULL,
    "config.json: /mounts/0/options/1: expected string, got null" },
  { "object where an array belongs", &oci_config_desc, J ("{\"ociVersion\":\"1\",\"mounts\":{}}"), NULL,
    "config.json: /mounts: expected array, got object" },
  { "array where a struct belongs", &oci_config_desc, J ("{\"ociVersion\":\"1\",\"process\":[]}"), NULL,
    "config.json: /process: expected object, got array" },
  { "array where a map belongs", &oci_config_desc, J ("{\"ociVersion\":\"1\",\"annotations\":[]}"), NULL,
    "config.json: /annotations: expected object, got array" },
  { "map key escaping (RFC 6901)", &oci_config_desc,
    J ("{\"ociVersion\":\"1\",\"annotations\":{\"ok\":\"\",\"a/b~c\":1}}"), NULL,
    "config.json: /annotations/a~1b~0c: expected string, got number" },
  { "bad value in a map of structs", &oci_config_desc,
    J ("{\"ociVersion\":\"1\",\"linux\":{\"timeOffsets\":{\"boottime\":{\"secs\":\"x\"}}}}"), NULL,
    "config.json: /linux/timeOffsets/boottime/secs: expected integer, got string" },
  { "root is an array", &oci_config_desc, J ("[]"), NULL,
    "config.json: /: expected object, got array" },
  { "root is a string", &oci_config_desc, J ("\"x\""), NULL,
    "config.json: /: expected object, got string" },
  { "root is null", &oci_config_desc, J ("null"), NULL,
    "config.json: /: expected object, got null" },
  { "invalid JSON (file)", &oci_config_desc, NULL, 0, "bad-syntax.json",
    "bad-syntax.json: invalid JSON: parse error: after key and value, inside map, I expect ',' or '}' (line 3)" },
  { "invalid JSON: empty", &oci_config_desc, J (""), NULL,
    "config.json: invalid JSON: parse error: premature EOF (line 1)" },
  { "invalid JSON: truncated", &oci_config_desc, J ("{\"ociVersion\":\n\"1\",\n"), NULL,
    "config.json: invalid JSON: parse error: premature EOF (line 3)" },
  { "invalid JSON: trailing garbage", &oci_config_desc, J ("{\"ociVersion\":\"1\"}\n[]"), NULL,
    "config.json: invalid JSON: parse error: trailing garbage (line 2)" },
  { "invalid JSON: bad UTF-8", &oci_config_desc, J ("{\"ociVersion\":\"\xff\"}"), NULL,
    "config.json: invalid JSON: lexical error: invalid bytes in UTF8 string. (line 1)" },
  { "invalid JSON: NUL byte after the document", &oci_config_desc, J ("{\"ociVersion\":\"1\"}\0"), NULL,
    "config.json: invalid JSON: parse error: trailing garbage (line 1)" },
  { "invalid JSON: NUL byte in a string", &oci_config_desc, J ("{\"ociVersion\":\n\"1\0\"}"), NULL,
    "config.json: invalid JSON: lexical error: invalid character inside string. (line 2)" },
  { "invalid JSON: too deep", &oci_config_desc, NULL, 0, NULL,
    "config.json: invalid JSON: nested deeper than 256 levels (line 2)" },
  { "missing file", &oci_config_desc, NULL, 0, "/nonexistent/dir/config.json",
    "open `/nonexistent/dir/config.json`: No such file or directory" },
  { "directory instead of a file", &oci_config_desc, NULL, 0, OCISPEC_TEST_DATA,
    "read `" OCISPEC_TEST_DATA "`: Is a directory" },
};

static char *
run_reject (size_t i)
{
  const ocispec_desc *d = reject_cases[i].d;
  const char *json = reject_cases[i].json, *file = reject_cases[i].file;
  cleanup_free char *path = NULL, *deep = NULL;
  size_t len = reject_cases[i].len;
  char *err = NULL;
  void *v;

  if (json == NULL && file == NULL)
    json = deep = deep_input (&len);
  if (json != NULL)
    v = ocispec_parse_data (d, json, len, "config.json", &err);
  else
    {
      path = file[0] == '/' ? strdup (file) : data_path (file);
      v = ocispec_parse_file (d, path, &err);
    }
  if (v != NULL)
    {
      ocispec_free (d, v);
      return xfmt ("parsed, expected: %s", reject_cases[i].want);
    }
  if (err == NULL || strcmp (err, reject_cases[i].want) != 0)
    {
      char *r = xfmt ("got \"%s\"", err ? err : "(null)");
      free (err);
      return r;
    }
  free (err);
  return NULL;
}

/* ---- generation */

static char *
test_state_generate (void)
{
  __attribute__ ((cleanup (oci_state_freep))) oci_state *s = calloc (1, sizeof *s);
  cleanup_free char *json = NULL;
  char *err = NULL;

  EXPECT (s != NULL);
  s->oci_version = strdup ("1.3.0");
  s->id = strdup ("ctr");
  s->status = strdup ("created");
  s->pid = 42;
  s->pid_present = true;
  s->bundle = strdup ("/b");
  json = oci_state_generate (s, 0, &err);
  if (json == NULL)
    return err;
  EXPECT_STR (json, "{\"ociVersion\":\"1.3.0\",\"id\":\"ctr\",\"status\":\"created\",\"pid\":42,\"bundle\":\"/b\"}");
  free (json);

  EXPECT (oci_map_string_set (&s->annotations, "k", "v") == 0);
  json = oci_state_generate (s, OCI_GEN_PRETTY, &err);
  if (json == NULL)
    return err;
  EXPECT_STR (json, "{\n  \"ociVersion\": \"1.3.0\",\n  \"id\": \"ctr\",\n  \"status\": \"created\",\n"
                    "  \"pid\": 42,\n  \"bundle\": \"/b\",\n  \"annotations\": {\n    \"k\": \"v\"\n  }\n}\n");
  free (json);

  free (s->bundle);
  s->bundle = NULL;
  json = oci_state_generate (s, 0, &err);
  EXPECT (json == NULL);
  EXPECT_STR (err, "generating state: /: missing required field \"bundle\"");
  free (err);
  return NULL;
}

static char *
test_features_generate (void)
{
  __attribute__ ((cleanup (oci_features_freep))) oci_features *f = calloc (1, sizeof *f);
  cleanup_free char *json = NULL;
  char *err = NULL;

  EXPECT (f != NULL);
  f->oci_version_min = strdup ("1.0.0");
  f->oci_version_max = strdup ("1.3.0");
  f->hooks = calloc (2, sizeof (char *));
  f->hooks[0] = strdup ("prestart");
  f->hooks[1] = strdup ("poststop");
  f->hooks_len = 2;
  f->linux = calloc (1, sizeof *f->linux);
  f->linux->cgroup = calloc (1, sizeof *f->linux->cgroup);
  f->linux->cgroup->v2 = true;
  f->linux->cgroup->v2_present = true;
  f->linux->cgroup->v1_present = true;
  f->linux->mount_extensions = calloc (1, sizeof *f->linux->mount_extensions);
  f->linux->mount_extensions->idmap = calloc (1, sizeof (oci_features_enabled));
  f->linux->mount_extensions->idmap->enabled = true;
  f->linux->mount_extensions->idmap->enabled_present = true;
  f->potentially_unsafe_config_annotations = calloc (1, sizeof (char *));
  oci_map_string_set (&f->annotations, "io.github.pith.commit", "abc");
  json = oci_features_generate (f, 0, &err);
  if (json == NULL)
    return err;
  EXPECT_STR (json, "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.3.0\","
                    "\"hooks\":[\"prestart\",\"poststop\"],\"linux\":{\"cgroup\":{\"v1\":false,\"v2\":true},"
                    "\"mountExtensions\":{\"idmap\":{\"enabled\":true}}},"
                    "\"annotations\":{\"io.github.pith.commit\":\"abc\"},"
                    "\"potentiallyUnsafeConfigAnnotations\":[]}");
  free (json);
  json = oci_features_generate (f, OCI_GEN_PRETTY, &err);
  if (json == NULL)
    return err;
  EXPECT (strstr (json, "\n  \"potentiallyUnsafeConfigAnnotations\": []\n}\n") != NULL);
  return NULL;
}

static char *
test_generate_errors (void)
{
  __attribute__ ((cleanup (oci_config_freep))) oci_config *c = NULL;
  const char *in = "{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/\",\"options\":[\"a\",\"b\"]}]}";
  char *err = NULL, *json;

  c = oci_config_parse_data (in, strlen (in), NULL, &err);
  if (c == NULL)
    return err;
  free (c->mounts[0]->options[1]);
  c->mounts[0]->options[1] = NULL;
  json = oci_config_generate (c, 0, &err);
  EXPECT (json == NULL);
  EXPECT_STR (err, "generating config: /mounts/0/options/1: string is NULL");
  free (err);
  c->mounts[0]->options[1] = strdup ("\xc3");
  json = oci_config_generate (c, 0, &err);
  EXPECT (json == NULL);
  EXPECT_STR (err, "generating config: /mounts/0/options/1: string is not valid UTF-8");
  free (err);
  json = oci_config_generate (NULL, 0, &err);
  EXPECT (json == NULL && err != NULL);
  free (err);

  /* Without a source name the struct name is used.  */
  EXPECT (oci_config_parse_data ("[]", 2, NULL, &err) == NULL);
  EXPECT_STR (err, "config: /: expected object, got array");
  free (err);
  return NULL;
}

static char *
test_map_helpers (void)
{
  __attribute__ ((cleanup (oci_map_string_freep))) oci_map_string *m = NULL;

  EXPECT (oci_map_string_get (m, "a") == NULL);
  EXPECT (oci_map_string_set (&m, "a", "1") == 0);
  EXPECT (oci_map_string_set (&m, "b", "2") == 0);
  EXPECT (oci_map_string_set (&m, "a", "3") == 0);
  EXPECT (m->len == 2);
  EXPECT_STR (m->keys[0], "a");
  EXPECT_STR (oci_map_string_get (m, "a"), "3");
  EXPECT_STR (oci_map_string_get (m, "b"), "2");
  EXPECT (oci_map_string_get (m, "c") == NULL);
  EXPECT (oci_map_string_set (&m, NULL, "x") == -1);
  EXPECT (oci_map_string_set (&m, "x", NULL) == -1);
  EXPECT (oci_map_string_set (NULL, "x", "y") == -1);
  EXPECT (m->len == 2);
  return NULL;
}

static const struct
{
  const char *name;
  char *(*fn) (void);
} tests[] = {
  { "config.json with every field: round trip and values", test_config_full },
  { "state, saved_state, features: round trip", test_other_full },
  { "saved_state values", test_saved_state },
  { "process.json (oci_process)", test_process },
  { "state generate", test_state_generate },
  { "features generate", test_features_generate },
  { "generation errors", test_generate_errors },
  { "map set/get", test_map_helpers },
};

int
main (void)
{
  size_t i;
  char *name;

  for (i = 0; i < sizeof tests / sizeof tests[0]; i++)
    report (tests[i].name, tests[i].fn ());
  for (i = 0; i < sizeof accept_cases / sizeof accept_cases[0]; i++)
    {
      name = xfmt ("accept: %s", accept_cases[i].name);
      report (name, run_accept (i));
      free (name);
    }
  for (i = 0; i < sizeof reject_cases / sizeof reject_cases[0]; i++)
    {
      name = xfmt ("reject: %s", reject_cases[i].name);
      report (name, run_reject (i));
      free (name);
    }
  printf ("1..%d\n# %d passed, %d failed\n", n_run, n_run - n_failed, n_failed);
  return n_failed == 0 ? 0 : 1;
}
