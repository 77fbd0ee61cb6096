/* `exec`: a new process in a created or running container.
 *
 *   pith                                       the child
 *   ----                                       ---------
 *   open the container, build the process
 *   enter its pid and time namespaces
 *   for our children; fork; restore      ->    execCPUAffinity.initial, cgroup,
 *                                              .final, oomScoreAdj; setns to the
 *                                              init's other namespaces (one call,
 *                                              user first); session keyring
 *                                        <-    PTY_MASTER (with a terminal)
 *   console socket, or keep it to relay        cwd, executable, process_exec
 *                                        <-    ERROR, or EOF when execve closes
 *                                              its end of the socket
 *   pid file; in the foreground, supervise
 *
 * The child reports failures over the socket and _exits, like the init.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "container.h"
#include "launch.h"
#include "namespaces.h"
#include "paths.h"
#include "process.h"
#include "scheduler.h"
#include "seccomp-notify.h"
#include "security.h"
#include "supervise.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

struct exec_plan
{
  const char *id;
  const pith_exec_options *opts;
  oci_process *process;
  oci_config *config;     /* the container's, what is left once PROCESS is built */
  const oci_linux *linux; /* config->linux */
  struct cgroup_plan cgroups;
  struct process_security security;
  unsigned long ns_flags; /* namespaces of the init that are not ours */
  int pidfd;              /* the init */
  int agent;              /* connection to the seccomp agent, or -1 */
  char *state_json;       /* the container's state, for the agent */
  int listen_fds, preserved_fds;
  int sync_parent, sync_child;
};

/* ---- the process */

static void
strv_append (char ***list, size_t *len, const char *s)
{
  *list = xrealloc (*list, (*len + 1) * sizeof **list);
  (*list)[(*len)++] = xstrdup (s);
}

static void
strv_free (char **list, size_t len)
{
  for (size_t i = 0; i < len; i++)
    free (list[i]);
  free (list);
}

/* What process.json leaves out comes from the container's process, as
 * runc does for these fields; the rest keeps the file's value or none. */
static void
inherit_defaults (oci_process *p, oci_process *container)
{
  if (p->capabilities == NULL)
    p->capabilities = steal_pointer (&container->capabilities);
  if (p->rlimits == NULL)
    {
      p->rlimits = steal_pointer (&container->rlimits);
      p->rlimits_len = container->rlimits_len;
      container->rlimits_len = 0;
    }
  if (p->apparmor_profile == NULL)
    p->apparmor_profile = steal_pointer (&container->apparmor_profile);
  if (p->selinux_label == NULL)
    p->selinux_label = steal_pointer (&container->selinux_label);
  if (p->exec_cpu_affinity == NULL)
    p->exec_cpu_affinity = steal_pointer (&container->exec_cpu_affinity);
  /* A process added later must not escape what the container promised. */
  if (!p->no_new_privileges_present)
    {
      p->no_new_privileges = container->no_new_privileges;
      p->no_new_privileges_present = container->no_new_privileges_present;
    }
  if (!p->oom_score_adj_present)
    {
      p->oom_score_adj = container->oom_score_adj;
      p->oom_score_adj_present = container->oom_score_adj_present;
    }
}

static void
add_caps (oci_process *p, char *const *caps)
{
  oci_capabilities *c;

  if (caps == NULL || caps[0] == NULL)
    return;
  if (p->capabilities == NULL)
    p->capabilities = xzalloc (sizeof *p->capabilities);
  c = p->capabilities;
  for (size_t i = 0; caps[i]; i++)
    {
      strv_append (&c->bounding, &c->bounding_len, caps[i]);
      strv_append (&c->effective, &c->effective_len, caps[i]);
      strv_append (&c->permitted, &c->permitted_len, caps[i]);
      /* Raising an ambient capability takes it inheritable too; like runc,
       * --cap does not widen the inheritable set. */
      if (caps_list_has (c->inheritable, c->inheritable_len, caps[i]))
        strv_append (&c->ambient, &c->ambient_len, caps[i]);
    }
}

static void
apply_options (oci_process *p, const pith_exec_options *o, bool from_file)
{
  if (o->args && o->args[0])
    {
      strv_free (p->args, p->args_len);
      p->args = NULL;
      p->args_len = 0;
      for (size_t i = 0; o->args[i]; i++)
        strv_append (&p->args, &p->args_len, o->args[i]);
    }
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (size_t i = 0; o->env && o->env[i]; i++)
    process_env_append (p, o->env[i]);
  if ((o->uid_present || o->gid_present || o->additional_gids_len) && p->user == NULL)
    p->user = xzalloc (sizeof *p->user);
  if (o->uid_present)
    p->user->uid = o->uid;
  if (o->gid_present)
    p->user->gid = o->gid;
  if (o->additional_gids_len)
    {
      size_t n = p->user->additional_gids_len;

      p->user->additional_gids = xrealloc (p->user->additional_gids,
                                           (n + o->additional_gids_len) * sizeof *p->user->additional_gids);
      memcpy (p->user->additional_gids + n, o->additional_gids, o->additional_gids_len * sizeof (gid_t));
      p->user->additional_gids_len = n + o->additional_gids_len;
    }
  add_caps (p, o->caps);
  if (o->apparmor_profile)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor_profile);
    }
  if (o->selinux_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->selinux_label);
    }
  /* runc's rule: the container's terminal setting is for its init; an
   * added process has one only when asked (or its process.json says so). */
  if ((o->flags & PITH_EXEC_TTY) || !from_file)
    {
      p->terminal = (o->flags & PITH_EXEC_TTY) != 0;
      p->terminal_present = true;
    }
  if (o->flags & PITH_EXEC_NO_NEW_PRIVS)
    {
      p->no_new_privileges = true;
      p->no_new_privileges_present = true;
    }
}

static bool
has_terminal (const oci_process *p)
{
  return p->terminal_present && p->terminal;
}

/* The process to run: process.json or the container's, with the options
 * on top.  Takes what it needs out of CONFIG's process. */
static oci_process *
build_process (oci_config *config, const pith_exec_options *o, pith_error *err)
{
  cleanup_free char *parse_err = NULL, *json_path = NULL;
  oci_process *p;

  if (config->process == NULL)
    {
      pith_fail (err, 0, "the container's config.json has no process");
      return NULL;
    }
  if (o->process_file)
    {
      p = oci_process_parse_file (o->process_file, &parse_err);
      if (p == NULL)
        {
          pith_fail (err, 0, "--process: %s", parse_err);
          return NULL;
        }
      inherit_defaults (p, config->process);
      json_path = xasprintf ("%s: ", o->process_file);
    }
  else
    p = steal_pointer (&config->process);
  apply_options (p, o, o->process_file != NULL);
  if (process_validate (p, json_path ? json_path : "config.json: /process", err) < 0)
    {
      oci_process_free (p);
      return NULL;
    }
  if (has_terminal (p) && (o->flags & PITH_EXEC_DETACH) && o->console_socket == NULL)
    pith_fail (err, 0, "a terminal for a detached process needs --console-socket to hand it to");
  else if (!has_terminal (p) && o->console_socket)
    pith_fail (err, 0, "--console-socket given but the process has no terminal (--tty)");
  else
    return p;
  oci_process_free (p);
  return NULL;
}

/* ---- the cgroup */

/* Moves the hierarchies of CONTROLLER (NULL: all) down to PATH; how many. */
static size_t
sub_cgroup (struct cgroup_plan *plan, const char *controller, const char *path)
{
  size_t n = 0;

  for (size_t i = 0; i < plan->n; i++)
    if (controller == NULL || cgroup_hierarchy_has (&plan->h[i], controller))
      {
        char *dir = xasprintf ("%s/%s", plan->h[i].dir, path);

        free (plan->h[i].dir);
        plan->h[i].dir = dir;
        n++;
      }
  return n;
}

/* --cgroup "[controller[,controller]:]path": a sub-cgroup to join, in the
 * hierarchies of those controllers, or all of them. */
static int
apply_sub_cgroups (struct cgroup_plan *plan, char *const *specs, pith_error *err)
{
  size_t n = 0;

  while (specs && specs[n])
    n++;
  for (size_t i = 0; i < n; i++)
    {
      const char *colon = strchr (specs[i], ':');
      const char *path = colon ? colon + 1 : specs[i];
      cleanup_free char *controllers = colon ? xstrndup (specs[i], colon - specs[i]) : NULL;
      char *saveptr = NULL;

      if (colon == NULL && n > 1)
        return pith_fail (err, 0, "--cgroup %s: with several --cgroup, each needs its <controller>: prefix",
                          specs[i]);
      if (path[0] == '\0' || path[0] == '/' || strstr (path, "..") || strchr (path, ':')
          || (controllers && controllers[0] == '\0'))
        return pith_fail (err, 0, "--cgroup %s: expected [<controller>:]<path below the container's cgroup>",
                          specs[i]);
      if (controllers == NULL)
        {
          sub_cgroup (plan, NULL, path);
          continue;
        }
      for (char *c = strtok_r (controllers, ",", &saveptr); c; c = strtok_r (NULL, ",", &saveptr))
        if (sub_cgroup (plan, c, path) == 0)
          return pith_fail (err, 0, "--cgroup %s: the container has no cgroup of controller \"%s\"", specs[i], c);
    }
  return 0;
}

/* ---- the child */

static int
become_root_in_userns (pith_error *err)
{
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return pith_fail (err, errno, "become root in the container's user namespace");
  return 0;
}

static int
join_container (struct exec_plan *x, pith_error *err)
{
  const oci_exec_cpu_affinity *aff = x->process->exec_cpu_affinity;
  unsigned long flags = x->ns_flags & ~(unsigned long) (CLONE_NEWPID | CLONE_NEWTIME);
  cleanup_free char *keyring = NULL;
  const int keep[] = { x->sync_child, x->pidfd };
  char buf[16];

  /* runtime-spec: `initial` before the container's cgroup, `final` in it. */
  if (aff && affinity_apply (aff->initial, err) < 0)
    return -1;
  if (cgroup_fs_join (&x->cgroups, getpid (), err) < 0)
    return -1;
  if (aff && affinity_apply (aff->final, err) < 0)
    return -1;
  if (x->process->oom_score_adj_present)
    {
      snprintf (buf, sizeof buf, "%d", x->process->oom_score_adj);
      if (procfs_write ("self/oom_score_adj", buf, err) < 0)
        return pith_wrap (err, "oomScoreAdj");
    }
  /* Whatever the caller left open (a host directory, say) must not come
   * in: even close-on-exec, an fd is reachable as /proc/self/fd/N by a cwd
   * or an executable path until execve (CVE-2024-21626). */
  if (close_fds_from (3 + x->preserved_fds, keep, ARRAY_SIZE (keep)) < 0)
    return pith_fail (err, errno, "close inherited file descriptors");
  /* One call: the kernel joins the user namespace first and checks the
   * others with the credentials it gives. */
  if (flags && setns (x->pidfd, (int) flags) < 0)
    return pith_fail (err, errno, "join the namespaces of container \"%s\"", x->id);
  if ((flags & CLONE_NEWUSER) && become_root_in_userns (err) < 0)
    return -1;
  close (x->pidfd);
  /* Not the caller's session keyring: the container's, as its init has. */
  keyring = xasprintf ("_ses.%s", x->id);
  if (security_set_keyring_label (&x->security, x->process, err) < 0)
    return -1;
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, keyring) < 0 && errno != ENOSYS)
    return pith_fail (err, errno, "join session keyring");
  return 0;
}

static int
become_process (struct exec_plan *x, pith_error *err)
{
  oci_process *p = x->process;
  cleanup_free char *executable = NULL;

  if (join_container (x, err) < 0)
    return -1;
  if (has_terminal (p))
    {
      cleanup_close int master = terminal_new_pty (p->console_size, p->user ? p->user->uid : 0, err);

      if (master < 0 || sync_send (x->sync_child, SYNC_PTY_MASTER, 0, NULL, master, err) < 0)
        return -1;
    }
  if (process_enter_cwd (p->cwd, err) < 0 || process_find_executable (p, &executable, err) < 0)
    return -1;
  if (x->listen_fds > 0)
    {
      char entry[32];

      snprintf (entry, sizeof entry, "LISTEN_FDS=%d", x->listen_fds);
      process_env_append (p, entry);
      snprintf (entry, sizeof entry, "LISTEN_PID=%d", (int) getpid ());
      process_env_append (p, entry);
    }
  return process_exec (p, x->linux, &x->security, executable, x->preserved_fds, err);
}

static void __attribute__ ((noreturn)) exec_child (struct exec_plan *x)
{
  pith_error err = { 0 };

  /* First, before anything else happens in this process: we are in the
   * container's pid namespace already.  A process that is not dumpable
   * cannot be ptraced, and its /proc entries (exe, fd, mem, cwd, root)
   * cannot be opened, without CAP_SYS_PTRACE: the container cannot get
   * hold of the pith binary through /proc/<pid>/exe to overwrite it once
   * we are gone (CVE-2019-5736), nor our host fds.  This costs nothing,
   * where a sealed copy of pith to re-execute would cost a copy of the
   * binary on every exec.  execve resets it for the program, whose image
   * is then the container's: process_find_executable refuses a program
   * that would be pith itself again (/proc/self/exe named, linked to, or
   * as a script's interpreter). */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  signals_reset ();
  close (x->sync_parent);
  /* process_exec sends a seccomp notify fd this way; pith passes it on. */
  x->security.notify_relay = x->sync_child;
  become_process (x, &err);
  sync_send_error (x->sync_child, &err);
  _exit (255);
}

/* ---- pith's side */

/* The caller's fds 3.. that are to pass on but are not open get /dev/null,
 * so none of pith's own descriptors can land there and leak in. */
static int
hold_preserved_range (int n, pith_error *err)
{
  for (int fd = 3; fd < 3 + n; fd++)
    {
      int null;

      if (fcntl (fd, F_GETFD) >= 0 || errno != EBADF)
        continue;
      null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (null < 0)
        return pith_fail (err, errno, "open /dev/null");
      if (null != fd)
        {
          int r = dup3 (null, fd, O_CLOEXEC);
          close (null);
          if (r < 0)
            return pith_fail (err, errno, "dup3");
        }
    }
  return 0;
}

/* The child's end closes at a successful execve: EOF.  A failure arrives
 * as its message. */
static int
await_exec (int sock, pith_error *err)
{
  struct sync_msg m;
  char byte;
  ssize_t n = TEMP_FAILURE_RETRY (recv (sock, &byte, 1, MSG_PEEK));

  if (n == 0)
    return 0;
  if (n < 0)
    return pith_fail (err, errno, "receive from the new process");
  if (sync_expect (sock, SYNC_ERROR, &m, err) == 0)
    sync_msg_release (&m);
  return -1;
}

/* Forks the child into the container; returns its host pid. */
static pid_t
spawn (struct exec_plan *x, pith_error *err)
{
  struct ns_saved saved = { -1, -1 };
  pith_error restore_err = { 0 };
  pid_t pid = -1;
  int sv[2];

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return pith_fail (err, errno, "socketpair");
  x->sync_parent = sv[0];
  x->sync_child = sv[1];
  /* pid and time namespaces apply to children: entered here for the fork. */
  if (ns_parent_join_pidfd (x->pidfd, x->ns_flags, &saved, err) == 0)
    {
      pid = fork ();
      if (pid == 0)
        exec_child (x);
      if (pid < 0)
        pith_fail (err, errno, "fork");
    }
  if (ns_parent_restore (&saved, &restore_err) < 0 && pid >= 0)
    {
      /* pith itself would stay in the container's namespaces: give up. */
      kill (pid, SIGKILL);
      TEMP_FAILURE_RETRY (waitpid (pid, NULL, 0));
      pith_error_move (err, &restore_err);
      pid = -1;
    }
  pith_error_release (&restore_err);
  close (steal_fd (&x->sync_child));
  return pid;
}

/* After the fork: the terminal, a seccomp notify fd, then the word that
 * the program runs.  *PTY: the master when pith relays it. */
static int
finish_start (struct exec_plan *x, pid_t pid, int *pty, pith_error *err)
{
  const pith_exec_options *o = x->opts;
  struct sync_msg m;

  if (has_terminal (x->process))
    {
      if (sync_expect (x->sync_parent, SYNC_PTY_MASTER, &m, err) < 0)
        return -1;
      if (o->console_socket)
        {
          int r = terminal_send_to_socket (o->console_socket, m.fd, err);
          sync_msg_release (&m);
          if (r < 0)
            return -1;
        }
      else
        {
          *pty = steal_fd (&m.fd);
          sync_msg_release (&m);
        }
    }
  if (x->agent >= 0
      && seccomp_notify_relay (x->sync_parent, x->agent, x->linux->seccomp, pid, x->state_json, err) < 0)
    return -1;
  return await_exec (x->sync_parent, err);
}

static int
check_status (const struct container *c, const pith_exec_options *o, pith_error *err)
{
  if (c->status == STATUS_STOPPED)
    return pith_fail (err, 0, "container \"%s\" is not running (it is stopped)", c->id);
  if (c->status == STATUS_PAUSED && !(o->flags & PITH_EXEC_IGNORE_PAUSED))
    return pith_fail (err, 0, "container \"%s\" is paused: resume it first, or use --ignore-paused", c->id);
  return 0;
}

/* Everything that can fail before the fork, with the container locked. */
static int
plan_exec (pith_context *ctx, struct container *c, struct exec_plan *x, pith_error *err)
{
  const pith_exec_options *o = x->opts;
  oci_config *config;

  if (check_status (c, o, err) < 0 || container_config (c, err) == NULL)
    return -1;
  config = c->config;
  x->process = build_process (config, o, err);
  if (x->process == NULL)
    return -1;
  x->linux = config->linux;
  if (cgroup_plan_load (c->state, &x->cgroups, err) < 0 || apply_sub_cgroups (&x->cgroups, o->cgroups, err) < 0)
    return -1;
  if (security_prepare (ctx, x->process, o->process_file ? "--process" : "config.json: /process", x->linux,
                        &x->security, err)
      < 0)
    return -1;
  /* A seccomp agent gets the notify fd of the new process too. */
  if (seccomp_notify_open_agent (config, &x->agent, err) < 0)
    return -1;
  if (x->agent >= 0)
    {
      x->state_json = state_document (c->state, "running", err);
      if (x->state_json == NULL)
        return -1;
    }
  x->pidfd = container_pidfd (c, err);
  if (x->pidfd < 0)
    return -1;
  return ns_differing_flags (c->state->pid, &x->ns_flags, err);
}

static void
exec_plan_release (struct exec_plan *x)
{
  int *fds[] = { &x->pidfd, &x->agent, &x->sync_parent, &x->sync_child };

  for (size_t i = 0; i < ARRAY_SIZE (fds); i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
  oci_process_free (x->process);
  oci_config_free (x->config);
  free (x->state_json);
  cgroup_plan_release (&x->cgroups);
  security_release (&x->security);
}

PITH_PUBLIC int
pith_container_exec (pith_context *ctx, const char *id, const pith_exec_options *opts, int *exit_status,
                     pith_error *err)
{
  bool foreground = !(opts->flags & PITH_EXEC_DETACH);
  struct exec_plan x = { .id = id, .opts = opts, .pidfd = -1, .agent = -1, .sync_parent = -1, .sync_child = -1 };
  struct supervisor sup = { .sigfd = -1 };
  cleanup_close int pty = -1;
  struct container c;
  pid_t pid = -1;
  int ret;

  *exit_status = 0;
  x.security.notify_relay = -1;
  if (opts->preserve_fds < 0)
    return pith_fail (err, 0, "--preserve-fds must not be negative");
  x.listen_fds = launch_listen_fds ();
  x.preserved_fds = x.listen_fds + opts->preserve_fds;
  if (hold_preserved_range (x.preserved_fds, err) < 0)
    return -1;
  ret = container_open (ctx, id, false, &c, err);
  if (ret == 0)
    ret = plan_exec (ctx, &c, &x, err);
  /* Unlocked before the fork: the child must not hold the lock either,
   * or a `resume` of a paused container would wait for our frozen child.
   * A `delete` meanwhile leaves the child nothing to join, which it says. */
  x.config = steal_pointer (&c.config);
  container_close (&c);
  /* Before the fork, so that no signal is lost. */
  if (ret == 0 && foreground)
    ret = supervise_begin (&sup, true, err);
  if (ret == 0)
    {
      pid = spawn (&x, err);
      ret = pid < 0 ? -1 : finish_start (&x, pid, &pty, err);
    }
  if (ret == 0 && opts->pid_file)
    ret = pid_file_write (opts->pid_file, pid, err);
  if (ret < 0 && pid > 0)
    {
      /* Nobody would know of a process whose start was reported failed. */
      sync_prefer_peer_error (x.sync_parent, err);
      kill (pid, SIGKILL);
      TEMP_FAILURE_RETRY (waitpid (pid, NULL, 0));
    }
  if (ret == 0 && foreground)
    {
      struct supervise_target t = { .pid = pid, .pty = pty };
      ret = supervise_wait (&sup, &t, exit_status, err);
    }
  supervise_end (&sup);
  exec_plan_release (&x);
  return ret;
}
