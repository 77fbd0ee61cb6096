/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "lookup.h"
#include "seccomp-filter.h"
#include "utils.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

#define MAX_SYSCALL_ARGS 6

enum
{
  ACT_TAKES_ERRNO = 1,
};

static const struct
{
  const char *name;
  uint32_t value; /* for ERRNO and TRACE: without the return code */
  unsigned flags;
} actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, 0 },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0 },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0 },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0 },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), ACT_TAKES_ERRNO },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), ACT_TAKES_ERRNO },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0 },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, 0 },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, 0 },
};

static const char *const action_names[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};

static const char *const operator_names[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};
/* operator_names[i] is enum scmp_compare i + 1 */

static const struct
{
  const char *name;
  unsigned long flag;
} flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static const char *const flag_names[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
};

/* The spec's architecture names; libseccomp knows each as the lowercase
 * suffix ("SCMP_ARCH_X86_64" -> "x86_64") if this version supports it. */
static const char *const arch_names[] = {
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",         "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",   "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",   "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",    "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",    NULL,
};

/* The syscall pith itself makes after loading the filter to hand the
 * listener fd over: notifying it would wait for an agent that cannot have
 * the fd yet. */
#define HANDOFF_SYSCALL "sendmsg"

const char *const *
seccomp_action_names (void)
{
  return action_names;
}

const char *const *
seccomp_operator_names (void)
{
  return operator_names;
}

const char *const *
seccomp_flag_names (void)
{
  return flag_names;
}

static int
action_index (const char *name)
{
  return name_index (actions, name);
}

static int
operator_of (const char *name)
{
  for (size_t i = 0; operator_names[i]; i++)
    if (strcmp (operator_names[i], name) == 0)
      return (int) i + 1;
  return -1;
}

static long
flag_of (const char *name)
{
  int i = name_index (flags, name);

  return i < 0 ? -1 : (long) flags[i].flag;
}

static bool
is_spec_arch (const char *name)
{
  for (size_t i = 0; arch_names[i]; i++)
    if (strcmp (arch_names[i], name) == 0)
      return true;
  return false;
}

/* The libseccomp token of "SCMP_ARCH_X86_64", or 0 if unknown to it. */
static uint32_t
arch_token (const char *name)
{
  char lower[32];
  size_t i;

  if (!str_has_prefix (name, "SCMP_ARCH_") || strlen (name + 10) >= sizeof lower)
    return 0;
  for (i = 0; name[10 + i]; i++)
    lower[i] = tolower ((unsigned char) name[10 + i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

char **
seccomp_arch_names (void)
{
  char **out = xzalloc (ARRAY_SIZE (arch_names) * sizeof *out);
  size_t n = 0;

  for (size_t i = 0; arch_names[i]; i++)
    if (arch_token (arch_names[i]) != 0)
      out[n++] = xstrdup (arch_names[i]);
  return out;
}

char *
seccomp_library_version (void)
{
  const struct scmp_version *v = seccomp_version ();

  return xasprintf ("%u.%u.%u", v->major, v->minor, v->micro);
}

/* The kernel checks the flags before it reads the program: with a NULL
 * program a known flag gives EFAULT, an unknown one EINVAL. */
static bool
kernel_has_flag (unsigned long flag)
{
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

char **
seccomp_supported_flag_names (void)
{
  char **out = xzalloc ((ARRAY_SIZE (flags) + 1) * sizeof *out);
  size_t n = 0;

  for (size_t i = 0; i < ARRAY_SIZE (flags); i++)
    if (kernel_has_flag (flags[i].flag))
      out[n++] = xstrdup (flags[i].name);
  return out;
}

static bool
is_notify (const char *action)
{
  return strcmp (action, "SCMP_ACT_NOTIFY") == 0;
}

bool
seccomp_uses_notify (const oci_seccomp *s)
{
  if (s == NULL)
    return false;
  if (is_notify (s->default_action))
    return true;
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (is_notify (s->syscalls[i]->action))
      return true;
  return false;
}

static int
validate_action (const char *action, bool errno_present, const char *json_path, const char *field,
                 const char *errno_field, pith_error *err)
{
  int a = action_index (action);

  if (a < 0)
    return pith_fail (err, 0, "%s/%s: unknown action \"%s\"", json_path, field, action);
  if (errno_present && !(actions[a].flags & ACT_TAKES_ERRNO))
    return pith_fail (err, 0, "%s/%s: %s takes no errno return code (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                      json_path, errno_field, action);
  return 0;
}

static int
validate_rule (const oci_syscall *r, const char *json_path, size_t i, pith_error *err)
{
  cleanup_free char *path = xasprintf ("%s/syscalls/%zu", json_path, i);

  if (r->names_len == 0)
    return pith_fail (err, 0, "%s/names: must list at least one syscall", path);
  for (size_t j = 0; j < r->names_len; j++)
    {
      if (r->names[j][0] == '\0')
        return pith_fail (err, 0, "%s/names/%zu: empty syscall name", path, j);
      if (is_notify (r->action) && strcmp (r->names[j], HANDOFF_SYSCALL) == 0)
        return pith_fail (err, 0,
                          "%s/names/%zu: SCMP_ACT_NOTIFY cannot be used for %s: pith sends the listener its fd "
                          "with it once the filter is loaded",
                          path, j, HANDOFF_SYSCALL);
    }
  if (validate_action (r->action, r->errno_ret_present, path, "action", "errnoRet", err) < 0)
    return -1;
  for (size_t j = 0; j < r->args_len; j++)
    {
      const oci_syscall_arg *a = r->args[j];

      if (a->index >= MAX_SYSCALL_ARGS)
        return pith_fail (err, 0, "%s/args/%zu/index: %u is not an argument index (0 to 5)", path, j, a->index);
      if (operator_of (a->op) < 0)
        return pith_fail (err, 0, "%s/args/%zu/op: unknown operator \"%s\"", path, j, a->op);
    }
  return 0;
}

int
seccomp_validate (const oci_seccomp *s, const char *json_path, pith_error *err)
{
  bool notify = seccomp_uses_notify (s);

  if (validate_action (s->default_action, s->default_errno_ret_present, json_path, "defaultAction",
                       "defaultErrnoRet", err)
      < 0)
    return -1;
  if (is_notify (s->default_action))
    return pith_fail (err, 0,
                      "%s/defaultAction: SCMP_ACT_NOTIFY cannot be the default action: pith must send the "
                      "listener its fd once the filter is loaded",
                      json_path);
  for (size_t i = 0; i < s->architectures_len; i++)
    {
      const char *a = s->architectures[i];

      if (!is_spec_arch (a))
        return pith_fail (err, 0, "%s/architectures/%zu: unknown architecture \"%s\"", json_path, i, a);
      if (arch_token (a) == 0)
        {
          cleanup_free char *version = seccomp_library_version ();
          return pith_fail (err, ENOTSUP, "%s/architectures/%zu: %s is not supported by libseccomp %s", json_path,
                            i, a, version);
        }
    }
  for (size_t i = 0; i < s->flags_len; i++)
    if (flag_of (s->flags[i]) < 0)
      return pith_fail (err, 0, "%s/flags/%zu: unknown flag \"%s\"", json_path, i, s->flags[i]);
  if (s->listener_metadata && s->listener_metadata[0] && !(s->listener_path && s->listener_path[0]))
    return pith_fail (err, 0, "%s/listenerMetadata: set without listenerPath", json_path);
  if (notify && !(s->listener_path && s->listener_path[0]))
    return pith_fail (err, 0, "%s/listenerPath: required when a rule uses SCMP_ACT_NOTIFY", json_path);
  if (notify && s->listener_path[0] != '/')
    return pith_fail (err, 0, "%s/listenerPath: \"%s\" is not an absolute path", json_path, s->listener_path);
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (validate_rule (s->syscalls[i], json_path, i, err) < 0)
      return -1;
  return 0;
}

static uint32_t
action_value (const char *name, bool errno_present, uint32_t errno_ret)
{
  int a = action_index (name);

  if (actions[a].flags & ACT_TAKES_ERRNO)
    return actions[a].value | ((errno_present ? errno_ret : EPERM) & 0xffff);
  return actions[a].value;
}

/* libseccomp cannot compare one argument twice in one rule; like runc,
 * such conditions become one rule each. */
static int
add_rule (scmp_filter_ctx sc, uint32_t action, int nr, const oci_syscall *r, const char *path, const char *name,
          pith_error *err)
{
  size_t n = r->args_len;
  cleanup_free struct scmp_arg_cmp *conds = xzalloc ((n + 1) * sizeof *conds);
  unsigned seen = 0;
  bool repeated = false;
  int rc = 0;

  for (size_t j = 0; j < n; j++)
    {
      const oci_syscall_arg *a = r->args[j];

      conds[j] = (struct scmp_arg_cmp){ .arg = a->index, .op = operator_of (a->op), .datum_a = a->value,
                                        .datum_b = a->value_two_present ? a->value_two : 0 };
      repeated |= (seen & (1u << a->index)) != 0;
      seen |= 1u << a->index;
    }
  if (!repeated)
    {
      rc = seccomp_rule_add_array (sc, action, nr, n, conds);
      return rc < 0 ? pith_fail (err, -rc, "%s: add rule for `%s`", path, name) : 0;
    }
  for (size_t j = 0; j < n && rc >= 0; j++)
    rc = seccomp_rule_add_array (sc, action, nr, 1, &conds[j]);
  return rc < 0 ? pith_fail (err, -rc, "%s: add rule for `%s`", path, name) : 0;
}

static int
add_rules (scmp_filter_ctx sc, const oci_seccomp *s, uint32_t default_action,
           const char *json_path, pith_error *err)
{
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const oci_syscall *r = s->syscalls[i];
      uint32_t action = action_value (r->action, r->errno_ret_present, r->errno_ret);
      cleanup_free char *path = xasprintf ("%s/syscalls/%zu", json_path, i);

      /* libseccomp refuses a rule that only repeats the default. */
      if (action == default_action)
        continue;
      for (size_t j = 0; j < r->names_len; j++)
        {
          int nr = seccomp_syscall_resolve_name (r->names[j]);

          if (nr == __NR_SCMP_ERROR)
            continue; /* see note_unknown_names */
          if (add_rule (sc, action, nr, r, path, r->names[j], err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx sc, struct seccomp_program *out, pith_error *err)
{
  cleanup_close int fd = memfd_create ("pith-seccomp", MFD_CLOEXEC);
  cleanup_free char *data = NULL;
  size_t len = 0;
  int rc;

  if (fd < 0)
    return pith_fail (err, errno, "seccomp: memfd_create");
  rc = seccomp_export_bpf (sc, fd);
  if (rc < 0)
    return pith_fail (err, -rc, "seccomp: export the filter");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return pith_fail (err, errno, "seccomp: read the filter back");
  if (read_fd_all (fd, 1 << 20, &data, &len, err) < 0)
    return pith_wrap (err, "seccomp: read the filter back");
  if (len == 0 || len % sizeof (struct sock_filter) != 0 || len / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return pith_fail (err, EINVAL, "seccomp: the compiled filter has %zu bytes", len);
  out->insns = (struct sock_filter *) steal_pointer (&data);
  out->len = len / sizeof (struct sock_filter);
  return 0;
}

static int
load_flags (pith_context *ctx, const oci_seccomp *s, const char *json_path, struct seccomp_program *out,
            pith_error *err)
{
  for (size_t i = 0; i < s->flags_len; i++)
    {
      unsigned long f = flag_of (s->flags[i]);

      if (!kernel_has_flag (f))
        return pith_fail (err, ENOTSUP, "%s/flags/%zu: %s is not supported by this kernel", json_path, i,
                          s->flags[i]);
      if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !out->notify)
        {
          /* The kernel takes it only with a listener; without one it means nothing. */
          pith_debug (ctx, "seccomp: %s/flags/%zu: %s ignored: no rule uses SCMP_ACT_NOTIFY", json_path, i,
                      s->flags[i]);
          continue;
        }
      out->flags |= f;
    }
  if (out->notify)
    out->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  /* TSYNC and a listener go together only when TSYNC reports failure as ESRCH. */
  if ((out->flags & SECCOMP_FILTER_FLAG_TSYNC) && out->notify)
    out->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return 0;
}

/* Names of other kernels' or newer libseccomp's syscalls are left out, as
 * runc and crun do; --debug says which. */
static void
note_unknown_names (pith_context *ctx, const oci_seccomp *s, const char *json_path)
{
  for (size_t i = 0; i < s->syscalls_len; i++)
    for (size_t j = 0; j < s->syscalls[i]->names_len; j++)
      if (seccomp_syscall_resolve_name (s->syscalls[i]->names[j]) == __NR_SCMP_ERROR)
        pith_debug (ctx, "seccomp: %s/syscalls/%zu/names/%zu: syscall `%s` is unknown to libseccomp, skipped",
                    json_path, i, j, s->syscalls[i]->names[j]);
}

/* What a compiled program depends on: the rules, the library and what it
 * found the kernel supports. */
static char *
cache_key (const oci_seccomp *s)
{
  oci_seccomp rules = {
    .default_action = s->default_action,
    .default_errno_ret = s->default_errno_ret,
    .default_errno_ret_present = s->default_errno_ret_present,
    .architectures = s->architectures,
    .architectures_len = s->architectures_len,
    .syscalls = s->syscalls,
    .syscalls_len = s->syscalls_len,
  };
  cleanup_free char *gen_err = NULL, *json = oci_seccomp_generate (&rules, 0, &gen_err);
  cleanup_free char *version = seccomp_library_version ();

  if (json == NULL)
    return NULL;
  return xasprintf ("libseccomp %s api %u arch %u\n%s", version, seccomp_api_get (), seccomp_arch_native (),
                    json);
}

static int
compile_rules (const oci_seccomp *s, const char *json_path, struct seccomp_program *out,
               pith_error *err)
{
  uint32_t default_action = action_value (s->default_action, s->default_errno_ret_present, s->default_errno_ret);
  scmp_filter_ctx sc = seccomp_init (default_action);
  int ret = -1, rc;

  if (sc == NULL)
    return pith_fail (err, EINVAL, "%s/defaultAction: libseccomp refused %s", json_path, s->default_action);
  /* A binary tree of syscall numbers: fewer instructions per syscall for
   * the long allow lists engines use. */
  seccomp_attr_set (sc, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (size_t i = 0; i < s->architectures_len; i++)
    {
      rc = seccomp_arch_add (sc, arch_token (s->architectures[i]));
      if (rc < 0 && rc != -EEXIST)
        {
          pith_fail (err, -rc, "%s/architectures/%zu: add %s", json_path, i, s->architectures[i]);
          goto out;
        }
    }
  if (add_rules (sc, s, default_action, json_path, err) < 0 || export_bpf (sc, out, err) < 0)
    goto out;
  ret = 0;
out:
  seccomp_release (sc);
  return ret;
}

int
seccomp_compile (pith_context *ctx, const oci_seccomp *s, const char *json_path, int cache_dirfd,
                 struct seccomp_program *out, pith_error *err)
{
  cleanup_free char *key = NULL;

  memset (out, 0, sizeof *out);
  out->notify = seccomp_uses_notify (s);
  if (load_flags (ctx, s, json_path, out, err) < 0)
    return -1;
  if (ctx->debug)
    note_unknown_names (ctx, s, json_path);
  key = cache_dirfd >= 0 ? cache_key (s) : NULL;
  if (key && seccomp_cache_lookup (cache_dirfd, key, out))
    {
      pith_debug (ctx, "seccomp: compiled program from the cache");
      return 0;
    }
  if (compile_rules (s, json_path, out, err) < 0)
    {
      seccomp_program_release (out);
      return -1;
    }
  if (key)
    seccomp_cache_store (cache_dirfd, key, out);
  return 0;
}

void
seccomp_program_release (struct seccomp_program *p)
{
  free (p->insns);
  memset (p, 0, sizeof *p);
}

int
seccomp_program_load (const struct seccomp_program *p, pith_error *err)
{
  struct sock_fprog prog = { .len = p->len, .filter = p->insns };
  long rc = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);

  if (rc < 0)
    return pith_fail (err, errno, "load the seccomp filter");
  /* With TSYNC (no listener) a positive value names a thread that could not
   * be synchronised; the container process has no other threads. */
  if (rc > 0 && !p->notify)
    return pith_fail (err, 0, "load the seccomp filter: thread %ld could not be synchronised", rc);
  return p->notify ? (int) rc : 0;
}
