/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "iopriority.h"
#include "mempolicy.h"
#include "paths.h"
#include "process.h"
#include "scheduler.h"
#include "security.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int
rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (rlimits); i++)
    if (strcmp (rlimits[i].name, name) == 0)
      return rlimits[i].resource;
  return -1;
}

/* JSON_PATH/FIELD in *BUF (replacing what it held). */
static const char *
subpath (char **buf, const char *json_path, const char *field)
{
  free (*buf);
  *buf = xasprintf ("%s/%s", json_path, field);
  return *buf;
}

int
process_validate (const oci_process *p, const char *json_path, pith_error *err)
{
  cleanup_free char *sub = NULL;

  if (p->args_len == 0 || p->args[0][0] == '\0')
    return pith_fail (err, 0, "%s/args: must name the program to run", json_path);
  if (p->cwd[0] != '/')
    return pith_fail (err, 0, "%s/cwd: \"%s\" is not an absolute path", json_path, p->cwd);
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      const oci_rlimit *r = p->rlimits[i];

      if (rlimit_from_name (r->type) < 0)
        return pith_fail (err, 0, "%s/rlimits/%zu/type: unknown rlimit \"%s\"", json_path, i, r->type);
      if (r->soft > r->hard)
        return pith_fail (err, 0, "%s/rlimits/%zu: soft limit %llu is above the hard limit %llu", json_path, i,
                          (unsigned long long) r->soft, (unsigned long long) r->hard);
    }
  for (size_t i = 0; i < p->env_len; i++)
    if (strchr (p->env[i], '=') == NULL)
      return pith_fail (err, 0, "%s/env/%zu: \"%s\" is not NAME=VALUE", json_path, i, p->env[i]);
  if (p->oom_score_adj_present && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return pith_fail (err, 0, "%s/oomScoreAdj: %d is outside -1000..1000", json_path, p->oom_score_adj);
  if (p->user && p->user->umask_present && p->user->umask > 0777)
    return pith_fail (err, 0, "%s/user/umask: %o is not a file mode mask", json_path, p->user->umask);
  if (p->scheduler && scheduler_validate (p->scheduler, subpath (&sub, json_path, "scheduler"), err) < 0)
    return -1;
  if (p->io_priority && iopriority_validate (p->io_priority, subpath (&sub, json_path, "ioPriority"), err) < 0)
    return -1;
  if (p->exec_cpu_affinity
      && affinity_validate (p->exec_cpu_affinity, subpath (&sub, json_path, "execCPUAffinity"), err) < 0)
    return -1;
  return caps_validate (p->capabilities, json_path, err) < 0 ? pith_wrap (err, "capabilities") : 0;
}

int
process_apply_rlimits (const oci_process *p, pith_error *err)
{
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i]->soft, .rlim_max = p->rlimits[i]->hard };

      if (setrlimit (rlimit_from_name (p->rlimits[i]->type), &rl) < 0)
        return pith_fail (err, errno, "set %s", p->rlimits[i]->type);
    }
  return 0;
}

static const char *
env_lookup (const oci_process *p, const char *name)
{
  size_t l = strlen (name);

  for (size_t i = p->env_len; i > 0; i--)
    if (strncmp (p->env[i - 1], name, l) == 0 && p->env[i - 1][l] == '=')
      return p->env[i - 1] + l + 1;
  return NULL;
}

/* Engines read these words: Podman maps "no such file or directory" and
 * "executable file not found" to exit code 127, "permission denied" to 126. */
static int
exec_error (pith_error *err, int errno_value, const char *name, const char *what)
{
  pith_fail (err, 0, "exec: \"%s\": %s", name, what);
  err->errno_value = errno_value;
  return -1;
}

/* The interpreter a "#!" script at FD names, or NULL. */
static char *
script_interpreter (int fd)
{
  char buf[256];
  ssize_t n = TEMP_FAILURE_RETRY (pread (fd, buf, sizeof buf - 1, 0));
  char *p;

  if (n < 2 || buf[0] != '#' || buf[1] != '!')
    return NULL;
  buf[n] = '\0';
  p = buf + 2 + strspn (buf + 2, " \t");
  n = (ssize_t) strcspn (p, " \t\n");
  return n > 0 ? xstrndup (p, n) : NULL;
}

/* stat(2) of the program, refusing the magic links of /proc, for the
 * program and for the interpreter of a script, which the kernel follows
 * (DEPTH: how many scripts deep, the kernel allows 4).  A program reached
 * through /proc/self/exe is pith's own binary, through /proc/<pid>/root or
 * /proc/self/fd/N possibly a host file; either, run in the container, is
 * one the container could then open and rewrite through /proc/<pid>/exe
 * (CVE-2019-5736, CVE-2024-21626).  Fails with ELOOP for those. */
static int
check_program (const char *path, struct stat *st, int depth)
{
  cleanup_close int fd = path_open_no_magiclinks (AT_FDCWD, path, O_PATH);
  cleanup_close int file = -1;
  cleanup_free char *interpreter = NULL;
  struct stat ist;

  if (fd < 0 || fstat (fd, st) < 0)
    return -1;
  if (!S_ISREG (st->st_mode) || depth >= 4)
    return 0;
  /* Unreadable, or replaced meanwhile: the kernel's business then. */
  file = path_open_no_magiclinks (AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (file < 0)
    return 0;
  interpreter = script_interpreter (file);
  if (interpreter && check_program (interpreter, &ist, depth + 1) < 0 && errno == ELOOP)
    return -1;
  return 0;
}

static int
stat_program (const char *path, struct stat *st)
{
  return check_program (path, st, 0);
}

static int
magic_link_error (pith_error *err, const char *name)
{
  return pith_fail (err, ELOOP,
                    "exec: \"%s\": it, or its #! interpreter, is a /proc magic link (or a symlink loop), which "
                    "pith does not follow to a program",
                    name);
}

static int
process_check_path (const char *path, pith_error *err)
{
  struct stat st;

  if (stat_program (path, &st) < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return exec_error (err, ENOENT, path, "no such file or directory");
      if (errno == ELOOP)
        return magic_link_error (err, path);
      return pith_fail (err, errno, "exec: \"%s\": stat", path);
    }
  if (S_ISDIR (st.st_mode) || access (path, X_OK) < 0)
    return exec_error (err, EACCES, path, "permission denied");
  return 0;
}

int
process_find_executable (const oci_process *p, char **out, pith_error *err)
{
  const char *name = p->args[0];
  const char *search;
  cleanup_free char *copy = NULL;
  char *saveptr = NULL;
  bool denied = false, looped = false;

  if (strchr (name, '/'))
    {
      if (process_check_path (name, err) < 0)
        return -1;
      *out = xstrdup (name);
      return 0;
    }
  search = env_lookup (p, "PATH");
  copy = xstrdup (search ? search : DEFAULT_PATH);
  for (char *dir = strtok_r (copy, ":", &saveptr); dir; dir = strtok_r (NULL, ":", &saveptr))
    {
      cleanup_free char *candidate = xasprintf ("%s/%s", *dir ? dir : ".", name);
      struct stat st;

      if (stat_program (candidate, &st) < 0)
        {
          looped |= errno == ELOOP;
          continue;
        }
      if (S_ISDIR (st.st_mode))
        continue;
      if (access (candidate, X_OK) < 0)
        {
          denied = true;
          continue;
        }
      *out = steal_pointer (&candidate);
      return 0;
    }
  if (denied)
    return exec_error (err, EACCES, name, "permission denied");
  if (looped)
    return magic_link_error (err, name);
  return exec_error (err, ENOENT, name, "executable file not found in $PATH");
}

void
process_env_append (oci_process *p, const char *entry)
{
  size_t name_len = strcspn (entry, "=");

  /* Replaced in place: a program's getenv would find the first one. */
  for (size_t i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], entry, name_len) == 0 && p->env[i][name_len] == '=')
      {
        free (p->env[i]);
        p->env[i] = xstrdup (entry);
        return;
      }
  p->env = xrealloc (p->env, (p->env_len + 1) * sizeof *p->env);
  p->env[p->env_len++] = xstrdup (entry);
}

char **
process_environment (const oci_process *p)
{
  char **env = xzalloc ((p->env_len + 2) * sizeof *env);

  for (size_t i = 0; i < p->env_len; i++)
    env[i] = xstrdup (p->env[i]);
  if (env_lookup (p, "HOME") == NULL)
    {
      cleanup_free char *home = passwd_field ("/etc/passwd", p->user ? p->user->uid : 0, 5);
      env[p->env_len] = xasprintf ("HOME=%s", home && home[0] ? home : "/");
    }
  return env;
}

int
process_set_user (const oci_process *p, int keep_cap, pith_error *err)
{
  uid_t uid = p->user ? p->user->uid : 0;
  gid_t gid = p->user ? p->user->gid : 0;
  gid_t *groups = NULL;
  size_t n_groups = 0;

  if (p->user && p->user->additional_gids_len)
    {
      groups = p->user->additional_gids;
      n_groups = p->user->additional_gids_len;
    }
  if (setgroups (n_groups, groups) < 0)
    return pith_fail (err, errno, "setgroups");
  if (caps_drop_bounding (p->capabilities, err) < 0)
    return -1;
  /* Keep the permitted set across the uid change; caps_apply then sets
   * exactly what the config asks for. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return pith_fail (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setresgid (gid, gid, gid) < 0)
    return pith_fail (err, errno, "setresgid %u", gid);
  if (setresuid (uid, uid, uid) < 0)
    return pith_fail (err, errno, "setresuid %u", uid);
  if (caps_apply (p->capabilities, keep_cap, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return pith_fail (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

int
process_enter_cwd (const char *cwd, pith_error *err)
{
  cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dir = -1;

  if (root < 0)
    return pith_fail (err, errno, "open /");
  /* Resolved inside the container's root with magic links refused: a cwd
   * such as /proc/self/fd/N cannot lead to a host directory (CVE-2024-21626). */
  dir = path_create_in_root (root, cwd, PATH_DIR, err);
  if (dir < 0)
    return pith_wrap (err, "cwd");
  if (fchdir (dir) < 0)
    return pith_fail (err, errno, "chdir to cwd `%s`", cwd);
  return 0;
}

static int
apply_personality (const oci_linux *linux, pith_error *err)
{
  unsigned long persona;

  if (linux == NULL || linux->personality == NULL)
    return 0;
  persona = strcmp (linux->personality->domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
  if (personality (persona) < 0)
    return pith_fail (err, errno, "personality");
  return 0;
}

/* Only the preserved fds (3 .. 3+N-1) survive the exec. */
static int
keep_only_preserved_fds (int preserve_fds, pith_error *err)
{
  int first_closed = 3 + (preserve_fds > 0 ? preserve_fds : 0);

  for (int fd = 3; fd < first_closed; fd++)
    {
      int flags = fcntl (fd, F_GETFD);
      if (flags >= 0)
        fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
  if (cloexec_fds_from (first_closed) < 0)
    return pith_fail (err, errno, "close_range");
  return 0;
}

int
process_exec (const oci_process *p, const oci_linux *linux, const struct process_security *sec,
              const char *executable, int preserve_fds, pith_error *err)
{
  cleanup_strv char **env = NULL;
  cleanup_free char **argv = NULL;
  void *final_caps __attribute__ ((cleanup (caps_final_freep))) = NULL;
  int keep_cap = -1;

  if (process_apply_rlimits (p, err) < 0 || apply_personality (linux, err) < 0)
    return -1;
  /* Real-time policies, negative nice and the RT I/O class need the
   * privileges the process is about to give up. */
  if (scheduler_apply (p->scheduler, err) < 0 || iopriority_apply (p->io_priority, err) < 0
      || mempolicy_apply (linux ? linux->memory_policy : NULL, err) < 0)
    return -1;
  env = process_environment (p);
  if (security_set_exec_labels (sec, p, err) < 0)
    return -1;
  /* Without no_new_privs the filter takes CAP_SYS_ADMIN to load: keep it
   * until then rather than load the filter under pith's own steps. */
  if (security_needs_admin_to_load (sec, p))
    {
      keep_cap = CAP_SYS_ADMIN;
      final_caps = caps_final_prepare (p->capabilities, err);
      if (final_caps == NULL)
        return -1;
    }
  if (process_set_user (p, keep_cap, err) < 0)
    return -1;
  umask (p->user && p->user->umask_present ? p->user->umask : 022);
  if (p->no_new_privileges_present && p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return pith_fail (err, errno, "set no_new_privs");
  if (keep_only_preserved_fds (preserve_fds, err) < 0)
    return -1;
  argv = xzalloc ((p->args_len + 1) * sizeof *argv);
  memcpy (argv, p->args, p->args_len * sizeof *argv);
  /* The last steps: nothing but these runs under the filter. */
  if (security_load_seccomp (sec, err) < 0)
    return -1;
  if (final_caps && caps_final_set (final_caps, err) < 0)
    return -1;
  execve (executable, argv, env);
  if (errno == ENOENT)
    return exec_error (err, ENOENT, p->args[0], "no such file or directory");
  if (errno == EACCES)
    return exec_error (err, EACCES, p->args[0], "permission denied");
  return pith_fail (err, errno, "exec: \"%s\"", p->args[0]);
}
