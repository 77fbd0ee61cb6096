/* The parent's side of creating a container (see launch.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "idmap.h"
#include "intelrdt.h"
#include "launch.h"
#include "log.h"
#include "netdevice.h"
#include "notify.h"
#include "state-store.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

static int
start_socket_address (int state_dirfd, struct sockaddr_un *addr)
{
  /* Through the directory fd, so the address fits whatever --root is. */
  memset (addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  return snprintf (addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/%s", state_dirfd, START_SOCKET);
}

int
start_socket_listen (int state_dirfd, pith_error *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr;

  if (sock < 0)
    return pith_fail (err, errno, "socket");
  start_socket_address (state_dirfd, &addr);
  if (bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return pith_fail (err, errno, "bind %s", START_SOCKET);
  if (listen (sock, 1) < 0)
    return pith_fail (err, errno, "listen on %s", START_SOCKET);
  return steal_fd (&sock);
}

int
start_socket_connect (int state_dirfd, pith_error *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr;

  if (sock < 0)
    return pith_fail (err, errno, "socket");
  start_socket_address (state_dirfd, &addr);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return pith_fail (err, errno, "connect to the container init");
  return steal_fd (&sock);
}

int
launch_listen_fds (void)
{
  const char *fds = getenv ("LISTEN_FDS"), *pid = getenv ("LISTEN_PID");
  int64_t n, p;

  if (fds == NULL || pid == NULL || parse_int64 (fds, &n) < 0 || parse_int64 (pid, &p) < 0 || p != getpid ()
      || n <= 0 || n > 1024)
    return 0;
  return (int) n;
}

static int
validate_options (const oci_config *config, const pith_create_options *opts, bool foreground, pith_error *err)
{
  bool terminal = config->process->terminal_present && config->process->terminal;

  if (terminal && opts->console_socket == NULL && !foreground)
    return pith_fail (err, 0,
                      "config.json: /process/terminal is true: --console-socket is required unless pith runs the "
                      "container in the foreground");
  if (!terminal && opts->console_socket)
    return pith_fail (err, 0, "--console-socket given but config.json: /process/terminal is not true");
  if (opts->preserve_fds < 0)
    return pith_fail (err, 0, "--preserve-fds must not be negative");
  return 0;
}

/* A fork-like clone into the new namespaces: the child continues here with
 * a copy of our memory, which is how it receives the launch plan.  With a
 * cgroup fd it starts inside that cgroup (CLONE_INTO_CGROUP, Linux 5.7). */
static pid_t
clone_init (unsigned long flags, struct cgroup_plan *cg, pith_error *err)
{
  struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
  pid_t pid;

  if (cg->clone_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cg->clone_fd;
      pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
      if (pid >= 0)
        {
          cg->cloned_into = pid > 0;
          return pid;
        }
      /* Older kernels: clone plainly, the cgroup is joined afterwards. */
      args.flags = flags;
      args.cgroup = 0;
    }
  pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS)
    pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    return pith_fail (err, errno, "clone the container init");
  return pid;
}

/* The init forked the real init into its pid namespace (fork_into_pid_ns
 * in init.c): adopt that pid, reap the first one. */
static int
adopt_forked_init (struct launch *l, pith_error *err)
{
  struct sync_msg m;
  int64_t pid = 0;
  bool bad;

  if (sync_expect (l->sync_parent, SYNC_PID, &m, err) < 0)
    return -1;
  bad = m.payload == NULL || parse_int64 (m.payload, &pid) < 0 || pid <= 0 || pid > INT32_MAX;
  sync_msg_release (&m);
  if (bad)
    return pith_fail (err, EPROTO, "the init sent a bad pid");
  TEMP_FAILURE_RETRY (waitpid (l->pid, NULL, 0));
  l->pid = (pid_t) pid;
  return 0;
}

static void
saved_state_fill (struct launch *l, oci_saved_state *s)
{
  memset (s, 0, sizeof *s);
  s->id = (char *) l->id;
  s->pid = l->pid;
  s->pid_present = true;
  s->bundle = l->bundle.path;
  s->rootfs = l->bundle.rootfs;
  s->annotations = l->bundle.config->annotations;
}

static int
write_oom_score_adj (pid_t pid, int value, pith_error *err)
{
  char path[64], buf[16];

  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", (int) pid);
  snprintf (buf, sizeof buf, "%d", value);
  return write_file_at (AT_FDCWD, path, buf, strlen (buf), err);
}

int
pid_file_write (const char *path, pid_t pid, pith_error *err)
{
  cleanup_free char *dir = xstrdup (path);
  cleanup_close int dirfd = -1;
  char *slash = strrchr (dir, '/');
  const char *base = path;
  char buf[16];

  if (slash)
    {
      *slash = '\0';
      base = slash + 1;
    }
  dirfd = open (slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return pith_fail (err, errno, "pid file `%s`", path);
  snprintf (buf, sizeof buf, "%d", (int) pid);
  if (write_file_atomic (dirfd, base, buf, strlen (buf), 0644, err) < 0)
    return pith_wrap (err, "pid file `%s`", path);
  return 0;
}

static bool
has_runtime_hooks (const oci_hooks *h)
{
  return h && (h->prestart_len || h->create_runtime_len);
}

/* linux.netDevices into the init's network namespace; linux.intelRdt. */
static int
enter_net_and_rdt (struct launch *l, pith_error *err)
{
  const oci_linux *linux = l->bundle.config->linux;

  if (linux->net_devices && linux->net_devices->len)
    {
      cleanup_close int own = -1;
      int netns = l->ns.join_fd[NS_NET];
      char path[64];

      if (netns < 0 && (l->ns.clone_flags & CLONE_NEWNET))
        {
          snprintf (path, sizeof path, "/proc/%d/ns/net", (int) l->pid);
          netns = own = open (path, O_RDONLY | O_CLOEXEC);
          if (own < 0)
            return pith_fail (err, errno, "open `%s`", path);
        }
      if (netns < 0)
        return pith_fail (err, ENOTSUP,
                          "config.json: /linux/netDevices: the network namespace is made inside a joined user "
                          "namespace, where pith cannot reach it");
      if (netdevice_move_all (linux->net_devices, netns, err) < 0)
        return -1;
    }
  if (linux->intel_rdt && intelrdt_enter (linux->intel_rdt, RESCTRL_ROOT, l->id, l->pid, l->state_dirfd, err) < 0)
    return -1;
  return 0;
}

int
launch_save_state (pith_context *ctx, int dirfd, const char *id, const struct bundle *b,
                   const struct cgroup_plan *plan, pid_t pid, pith_error *err)
{
  cleanup_free char *created = timestamp_rfc3339 ();
  oci_map_string *paths = NULL;
  oci_saved_state s = {
    .id = (char *) id,
    .pid = pid,
    .pid_present = true,
    .pid_start_time = process_start_time (pid, NULL),
    .pid_start_time_present = true,
    .bundle = b->path,
    .rootfs = b->rootfs,
    .annotations = b->config->annotations,
    .created = created,
    .systemd_cgroup = ctx->systemd_cgroup,
    .systemd_cgroup_present = true,
  };
  int ret;

  cgroup_plan_save (plan, &paths);
  s.cgroup_paths = paths;
  ret = write_file_atomic (dirfd, STATE_CONFIG_FILE, b->config_json, b->config_len, 0600, err);
  if (ret == 0)
    ret = state_save (dirfd, &s, err);
  oci_map_string_free (paths);
  return ret;
}

/* The parent's half of the protocol in launch.h, up to READY. */
static int
drive_setup (struct launch *l, pith_error *err)
{
  const oci_config *config = l->bundle.config;
  const oci_linux *linux = config->linux;
  const oci_hooks *hooks = config->hooks;
  bool runtime_hooks = has_runtime_hooks (hooks);
  cleanup_free char *state_json = NULL;
  struct sync_msg m;

  if ((l->ns.clone_flags & CLONE_NEWUSER) && ns_write_id_maps (l->pid, linux, err) < 0)
    return -1;
  if (config->process->oom_score_adj_present
      && write_oom_score_adj (l->pid, config->process->oom_score_adj, err) < 0)
    return pith_wrap (err, "oomScoreAdj");
  if ((l->ns.clone_flags & CLONE_NEWUSER) || config->process->oom_score_adj_present)
    phase_mark (l->ctx, &l->clock, "uid/gid maps, oomScoreAdj");
  if (cgroup_join (l->ctx, &l->cgroups, l->pid, linux ? linux->resources : NULL, err) < 0)
    return -1;
  phase_mark (l->ctx, &l->clock, "cgroup join");
  if (linux && (linux->net_devices || linux->intel_rdt))
    {
      if (enter_net_and_rdt (l, err) < 0)
        return -1;
      phase_mark (l->ctx, &l->clock, "netDevices, intelRdt");
    }
  if (hooks && (hooks->prestart_len || hooks->create_runtime_len || hooks->create_container_len))
    {
      oci_saved_state s;
      saved_state_fill (l, &s);
      state_json = state_document (&s, "creating", err);
      if (state_json == NULL)
        return -1;
    }
  if (sync_send (l->sync_parent, SYNC_GO, 0, state_json, -1, err) < 0)
    return -1;
  /* While the init sets up: nobody reads the state before our lock goes. */
  if (launch_save_state (l->ctx, l->state_dirfd, l->id, &l->bundle, &l->cgroups, l->pid, err) < 0)
    return -1;
  phase_mark (l->ctx, &l->clock, "save state");
  if (runtime_hooks)
    {
      if (sync_expect (l->sync_parent, SYNC_HOOKS_NOW, &m, err) < 0)
        return -1;
      sync_msg_release (&m);
      phase_mark (l->ctx, &l->clock, "waited for the init: mounts, devices");
      if (hooks_run (hooks->prestart, hooks->prestart_len, "prestart", state_json, err) < 0
          || hooks_run (hooks->create_runtime, hooks->create_runtime_len, "createRuntime", state_json, err) < 0)
        return -1;
      if (sync_send (l->sync_parent, SYNC_HOOKS_DONE, 0, NULL, -1, err) < 0)
        return -1;
      phase_mark (l->ctx, &l->clock, "hooks prestart, createRuntime");
    }
  if (config->process->terminal_present && config->process->terminal)
    {
      if (sync_expect (l->sync_parent, SYNC_PTY_MASTER, &m, err) < 0)
        return -1;
      if (l->opts->console_socket)
        {
          int r = terminal_send_to_socket (l->opts->console_socket, m.fd, err);
          sync_msg_release (&m);
          if (r < 0)
            return -1;
        }
      else
        {
          l->pty_master = steal_fd (&m.fd);
          sync_msg_release (&m);
        }
    }
  if (sync_expect (l->sync_parent, SYNC_READY, &m, err) < 0)
    return -1;
  sync_msg_release (&m);
  phase_mark (l->ctx, &l->clock,
              runtime_hooks ? "waited for the init: createContainer hooks, rootfs, process setup"
                            : "waited for the init: mounts, devices, rootfs, process setup");
  return 0;
}

/* Undoes a create that failed after the state directory existed. */
static void
abandon (struct launch *l, int rootfd)
{
  pith_error ignored = { 0 };

  if (l->pid > 0)
    {
      kill (l->pid, SIGKILL);
      TEMP_FAILURE_RETRY (waitpid (l->pid, NULL, 0));
      l->pid = -1;
    }
  if (l->state_dirfd >= 0 && intelrdt_destroy (l->state_dirfd, &ignored) < 0)
    pith_warn (l->ctx, "cleanup after failed create: %s", ignored.msg);
  pith_error_release (&ignored);
  if (cgroup_destroy (l->ctx, &l->cgroups, &ignored) < 0)
    pith_warn (l->ctx, "cleanup after failed create: %s", ignored.msg);
  pith_error_release (&ignored);
  if (state_dir_remove (rootfd, l->id, &ignored) < 0)
    pith_warn (l->ctx, "cleanup after failed create: %s", ignored.msg);
  pith_error_release (&ignored);
}

int
launch_create (pith_context *ctx, const char *id, const pith_create_options *opts, bool foreground, struct launch *l,
               pith_error *err)
{
  cleanup_close int rootfd = -1;
  int sv[2];
  struct ns_saved saved_ns = { -1, -1 };
  const oci_config *config;
  const oci_resources *resources;
  bool notify, cgroup_first;

  memset (l, 0, sizeof *l);
  phase_start (ctx, &l->clock);
  l->ctx = ctx;
  l->id = id;
  l->opts = opts;
  l->state_dirfd = l->sync_parent = l->sync_child = l->start_listen = l->pty_master = -1;
  l->security.notify_relay = -1;
  for (int k = 0; k < NS_COUNT; k++)
    l->ns.join_fd[k] = -1;

  if (validate_container_id (id, err) < 0 || bundle_load (opts->bundle, &l->bundle, err) < 0)
    return -1;
  config = l->bundle.config;
  if (validate_options (config, opts, foreground, err) < 0)
    return -1;
  phase_mark (ctx, &l->clock, "parse and validate config.json");
  l->listen_fds = launch_listen_fds ();
  l->preserved_fds = l->listen_fds + opts->preserve_fds;
  if (notify_plan (ctx, id, l->bundle.config, &notify, err) < 0)
    return -1;
  if (cgroup_plan_make (ctx, config->linux, id, &l->cgroups, err) < 0
      || cgroup_check_resources (&l->cgroups, config->linux ? config->linux->resources : NULL, err) < 0)
    return -1;
  if (ns_plan_open (config->linux, &l->ns, err) < 0)
    return -1;
  /* Everything that can be refused or compiled ahead: before anything exists. */
  if (security_prepare (ctx, config->process, "config.json: /process", config->linux, &l->security, err) < 0
      || idmap_prepare_mounts (config, l->bundle.path, 3 + l->preserved_fds, &l->idmapped, err) < 0)
    return -1;
  if (config->linux->intel_rdt && intelrdt_check_host (err) < 0)
    return -1;
  if (config->process->exec_cpu_affinity)
    pith_debug (ctx, "process.execCPUAffinity: not for the container's init (runtime-spec), only for exec");
  phase_mark (ctx, &l->clock, "plan cgroups and namespaces, prepare seccomp and labels");

  resources = config->linux ? config->linux->resources : NULL;
  /* On v2 the init is cloned into its cgroup (CLONE_INTO_CGROUP), which
   * must exist first; on v1 it is made while the init starts up. */
  cgroup_first = cgroup_prepare_before_clone (&l->cgroups);
  rootfd = state_root_open (ctx, true, err);
  if (rootfd < 0)
    return -1;
  l->state_dirfd = state_dir_create (rootfd, id, err);
  if (l->state_dirfd < 0)
    return -1;
  l->start_listen = start_socket_listen (l->state_dirfd, err);
  if (l->start_listen < 0 || (notify && notify_make_dir (l->state_dirfd, err) < 0))
    goto fail;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      pith_fail (err, errno, "socketpair");
      goto fail;
    }
  l->sync_parent = sv[0];
  l->sync_child = sv[1];
  phase_mark (ctx, &l->clock, "state directory");

  if (cgroup_first)
    {
      if (cgroup_prepare (ctx, &l->cgroups, resources, err) < 0)
        goto fail;
      phase_mark (ctx, &l->clock, "cgroup create and limits");
    }
  if (ns_parent_prepare (&l->ns, config->linux, &saved_ns, err) < 0)
    {
      ns_parent_restore (&saved_ns, err);
      goto fail;
    }
  l->pid = clone_init (l->ns.clone_flags, &l->cgroups, err);
  if (l->pid == 0)
    init_main (l);
  if (ns_parent_restore (&saved_ns, err) < 0 || l->pid < 0)
    goto fail;
  phase_mark (ctx, &l->clock, "namespaces: clone the init");
  if (!cgroup_first)
    {
      if (cgroup_prepare (ctx, &l->cgroups, resources, err) < 0)
        goto fail;
      phase_mark (ctx, &l->clock, "cgroup create and limits (the init starting meanwhile)");
    }
  close (steal_fd (&l->sync_child));
  close (steal_fd (&l->start_listen));
  idmap_release_mounts (steal_pointer (&l->idmapped), config->mounts_len);

  if (l->ns.pid_after_join && adopt_forked_init (l, err) < 0)
    goto fail;
  if (drive_setup (l, err) < 0)
    goto fail;
  if (opts->pid_file && pid_file_write (opts->pid_file, l->pid, err) < 0)
    goto fail;
  if (sync_send (l->sync_parent, SYNC_SAVED, 0, NULL, -1, err) < 0)
    goto fail;
  close (steal_fd (&l->sync_parent));
  phase_mark (ctx, &l->clock, "pid file, SAVED");
  return 0;

fail:
  if (l->sync_parent >= 0)
    sync_prefer_peer_error (l->sync_parent, err);
  abandon (l, rootfd);
  return -1;
}

void
launch_release (struct launch *l)
{
  int *fds[] = { &l->state_dirfd, &l->sync_parent, &l->sync_child, &l->start_listen, &l->pty_master };

  for (size_t i = 0; i < ARRAY_SIZE (fds); i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
  ns_plan_close (&l->ns);
  cgroup_plan_release (&l->cgroups);
  security_release (&l->security);
  if (l->bundle.config)
    idmap_release_mounts (steal_pointer (&l->idmapped), l->bundle.config->mounts_len);
  bundle_release (&l->bundle);
}
