/* The container init: everything the cloned child does, in order, until it
 * becomes the container's program.  It reports failures to the parent over
 * the sync socket (before `start`) or the start connection (after), then
 * exits: this is the one place in libpith that calls _exit().
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "hooks.h"
#include "idmap.h"
#include "launch.h"
#include "mounts.h"
#include "paths.h"
#include "process.h"
#include "rootfs.h"
#include "sync.h"
#include "sysctl.h"
#include "supervise.h"
#include "terminal.h"
#include "utils.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

struct init_state
{
  struct launch *l;
  oci_config *config; /* our private copy: the init may adjust it */
  bool got_go;
  bool in_cgroupns; /* the new cgroup namespace is made */
  char *state_json; /* from GO: the state for createContainer hooks */
  int rootfd;
  char *executable;
};

static void __attribute__ ((noreturn)) fail_before_start (struct init_state *s, pith_error *err)
{
  sync_send_error (s->l->sync_child, err);
  _exit (1);
}

static int
await_go (struct init_state *s, pith_error *err)
{
  struct sync_msg m;

  if (s->got_go)
    return 0;
  if (sync_expect (s->l->sync_child, SYNC_GO, &m, err) < 0)
    return -1;
  s->state_json = steal_pointer (&m.payload);
  sync_msg_release (&m);
  s->got_go = true;
  return 0;
}

/* The namespace's root is the cgroup we are in when it is made, so it
 * waits for GO (the cgroup join); the work before it overlaps the
 * parent's.  Nothing before it may depend on the container's cgroup view. */
/* With a joined user namespace and a new pid namespace, the pid namespace
 * was made by ns_join here (so that it belongs to the joined user
 * namespace), but only our children are born in it.  Fork the real init
 * into it as pith's own child (CLONE_PARENT: pith reaps and supervises
 * it), tell pith its pid, and leave. */
static int
fork_into_pid_ns (struct launch *l, pith_error *err)
{
  char payload[16];
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);

  if (pid < 0)
    return pith_fail (err, errno, "fork the init into its pid namespace");
  if (pid == 0)
    return 0;
  snprintf (payload, sizeof payload, "%d", (int) pid);
  _exit (sync_send (l->sync_child, SYNC_PID, 0, payload, -1, err) < 0 ? 1 : 0);
}

static int
enter_cgroup_ns (struct init_state *s, pith_error *err)
{
  if (!s->l->ns.unshare_cgroup || s->in_cgroupns)
    return 0;
  if (await_go (s, err) < 0)
    return -1;
  if (unshare (CLONE_NEWCGROUP) < 0)
    return pith_fail (err, errno, "create cgroup namespace");
  s->in_cgroupns = true;
  return 0;
}

static bool
has_hooks (const oci_hooks *h, bool runtime_phase)
{
  if (h == NULL)
    return false;
  return runtime_phase ? (h->prestart_len || h->create_runtime_len) : h->create_container_len > 0;
}

static int
join_session_keyring (const char *id, pith_error *err)
{
  cleanup_free char *name = xasprintf ("_ses.%s", id);

  /* Without a keyring of its own the container would share the caller's. */
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS)
    return pith_fail (err, errno, "join session keyring");
  return 0;
}

static int
set_names (const oci_config *c, pith_error *err)
{
  if (c->hostname && c->hostname[0] && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return pith_fail (err, errno, "sethostname");
  if (c->domainname && c->domainname[0] && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return pith_fail (err, errno, "setdomainname");
  return 0;
}

static int
setup_mounts (struct init_state *s, pith_error *err)
{
  oci_config *c = s->config;
  const oci_linux *linux = c->linux;
  struct mount_env env = {
    .bundle = s->l->bundle.path,
    .in_userns = s->l->ns.wanted[NS_USER],
    .cgroups = &s->l->cgroups,
    .cgroupns = s->l->ns.wanted[NS_CGROUP],
    .idmapped = s->l->idmapped,
    .mount_label = s->l->security.selinux && linux ? linux->mount_label : NULL,
  };

  s->rootfd = rootfs_prepare (s->l->bundle.rootfs, linux ? linux->rootfs_propagation : NULL, err);
  if (s->rootfd < 0)
    return -1;
  env.rootfd = s->rootfd;
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const char *type = c->mounts[i]->type;

      /* The container's cgroup view needs the cgroups to exist. */
      if (type && (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
          && (await_go (s, err) < 0 || enter_cgroup_ns (s, err) < 0))
        return -1;
      if (mount_entry (&env, c->mounts[i], i, err) < 0)
        return -1;
    }
  idmap_release_mounts (steal_pointer (&s->l->idmapped), c->mounts_len);
  /* On v1 mknod is checked against the devices cgroup: the container's. */
  if (await_go (s, err) < 0)
    return -1;
  return devices_setup (s->rootfd, linux, env.in_userns, err);
}

static int
run_runtime_hooks (struct init_state *s, pith_error *err)
{
  struct sync_msg m;

  /* GO comes first on the socket; it must not be mistaken for HOOKS_DONE. */
  if (await_go (s, err) < 0)
    return -1;
  if (sync_send (s->l->sync_child, SYNC_HOOKS_NOW, 0, NULL, -1, err) < 0)
    return -1;
  if (sync_expect (s->l->sync_child, SYNC_HOOKS_DONE, &m, err) < 0)
    return -1;
  sync_msg_release (&m);
  return 0;
}

/* From the pivot on, paths are the container's: nothing that leads back to
 * the host may stay open, close-on-exec or not, since /proc/self/fd/N as a
 * cwd, an executable or a symlink in the image would reach it
 * (CVE-2024-21626).  What is left: stdio, the preserved fds, and the two
 * sockets to pith. */
static int
close_own_fds (struct launch *l, pith_error *err)
{
  const int keep[] = { l->sync_child, l->start_listen };

  if (close_fds_from (3 + l->preserved_fds, keep, ARRAY_SIZE (keep)) < 0)
    return pith_fail (err, errno, "close file descriptors");
  return 0;
}

/* Everything up to waiting for `start`. */
static int
setup_container (struct init_state *s, pith_error *err)
{
  struct launch *l = s->l;
  oci_config *c = s->config;
  const oci_process *p = c->process;

  if ((l->ns.clone_flags & CLONE_NEWUSER) && await_go (s, err) < 0)
    return -1;
  if (l->ns.clone_flags & CLONE_NEWUSER)
    {
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        return pith_fail (err, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
    }
  if (ns_join (&l->ns, err) < 0)
    return -1;
  if (l->ns.pid_after_join && fork_into_pid_ns (l, err) < 0)
    return -1;
  /* The cgroup namespace is made later, after GO: see enter_cgroup_ns. */
  if (set_names (c, err) < 0)
    return -1;
  if (!(l->opts->flags & PITH_CREATE_NO_NEW_KEYRING)
      && (security_set_keyring_label (&l->security, p, err) < 0 || join_session_keyring (l->id, err) < 0))
    return -1;
  if (setup_mounts (s, err) < 0)
    return -1;
  /* Hooks see the container's namespaces, this one too. */
  if (enter_cgroup_ns (s, err) < 0)
    return -1;
  if (has_hooks (c->hooks, true) && run_runtime_hooks (s, err) < 0)
    return -1;
  if (has_hooks (c->hooks, false))
    {
      if (await_go (s, err) < 0)
        return -1;
      if (hooks_run (c->hooks->create_container, c->hooks->create_container_len, "createContainer", s->state_json,
                     err)
          < 0)
        return -1;
    }
  if (c->linux && sysctl_apply (c->linux->sysctl, err) < 0)
    return -1;
  if (c->linux && rootfs_mask_paths (s->rootfd, c->linux->masked_paths, c->linux->masked_paths_len, err) < 0)
    return -1;
  if (c->linux && rootfs_readonly_paths (s->rootfd, c->linux->readonly_paths, c->linux->readonly_paths_len, err) < 0)
    return -1;
  if (rootfs_pivot (s->rootfd, (l->opts->flags & PITH_CREATE_NO_PIVOT) != 0, err) < 0)
    return -1;
  close (s->rootfd);
  s->rootfd = -1;
  if (close_own_fds (l, err) < 0)
    return -1;
  if (p->terminal_present && p->terminal)
    {
      cleanup_close int master = terminal_setup (p->console_size, err);
      if (master < 0)
        return -1;
      if (sync_send (l->sync_child, SYNC_PTY_MASTER, 0, NULL, master, err) < 0)
        return -1;
    }
  /* The cwd is created if missing, so before the root turns read-only. */
  if (process_enter_cwd (p->cwd, err) < 0)
    return -1;
  if (rootfs_finish (c->root->readonly_present && c->root->readonly,
                     c->linux ? c->linux->rootfs_propagation : NULL, err)
      < 0)
    return -1;
  if (process_find_executable (p, &s->executable, err) < 0)
    return -1;
  return await_go (s, err);
}

/* Waits for `start` to connect; returns the connection with its state
 * document read into *STATE_JSON. */
static int
wait_for_start (struct init_state *s, char **state_json, pith_error *err)
{
  int min_fd = 3 + s->l->preserved_fds;
  int conn;

  for (;;)
    {
      conn = accept4 (s->l->start_listen, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0)
        break;
      if (errno != EINTR && errno != ECONNABORTED)
        return pith_fail (err, errno, "accept on start.sock");
    }
  close (s->l->start_listen);
  /* Keep it clear of the fds the program inherits. */
  conn = move_fd_above (conn, min_fd);
  if (conn < 0)
    return pith_fail (err, errno, "move start connection");
  if (read_fd_all (conn, 16 << 20, state_json, NULL, err) < 0)
    {
      close (conn);
      return -1;
    }
  return conn;
}

/* After `start`: the startContainer hooks, then become the program. */
static int
exec_program (struct init_state *s, const char *state_json, pith_error *err)
{
  oci_config *c = s->config;

  if (c->hooks && hooks_run (c->hooks->start_container, c->hooks->start_container_len, "startContainer",
                             state_json, err)
                      < 0)
    return -1;
  if (s->l->listen_fds > 0)
    {
      char entry[32];

      snprintf (entry, sizeof entry, "LISTEN_FDS=%d", s->l->listen_fds);
      process_env_append (c->process, entry);
      process_env_append (c->process, "LISTEN_PID=1");
    }
  return process_exec (c->process, c->linux, &s->l->security, s->executable, s->l->preserved_fds, err);
}

void
init_main (struct launch *l)
{
  struct init_state s = { .l = l, .config = l->bundle.config, .rootfd = -1 };
  pith_error err = { 0 };
  cleanup_free char *state_json = NULL;
  struct sync_msg m;
  int conn;

  /* While pith's own code runs here, nothing in the container may ptrace
   * it or open its /proc entries (exe, fd, cwd, root): see exec_child in
   * exec.c, CVE-2019-5736.  execve resets it for the program. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  signals_reset ();
  close (l->sync_parent);
  /* The parent's lock on the state directory must not outlive the parent. */
  close (l->state_dirfd);
  /* What pith inherited is not for the hooks this process runs either.
   * Close-on-exec is enough for them; after the pivot, close_own_fds
   * closes all of it. */
  cloexec_fds_from (3 + l->preserved_fds);
  if (setup_container (&s, &err) < 0)
    fail_before_start (&s, &err);
  if (sync_send (l->sync_child, SYNC_READY, 0, NULL, -1, &err) < 0)
    _exit (1);
  /* Until pith has saved the state, its death (EOF) means there is no container. */
  if (sync_expect (l->sync_child, SYNC_SAVED, &m, &err) < 0)
    _exit (1);
  sync_msg_release (&m);
  close (l->sync_child);

  conn = wait_for_start (&s, &state_json, &err);
  if (conn < 0)
    _exit (1);
  /* `start` passes a seccomp notify fd on to the agent. */
  l->security.notify_relay = conn;
  exec_program (&s, state_json, &err);
  send_all (conn, err.msg, strlen (err.msg));
  _exit (err.errno_value == ENOENT ? 127 : err.errno_value == EACCES ? 126 : 1);
}
