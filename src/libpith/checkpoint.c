/* checkpoint and restore: pith runs the criu binary (CRIU, Checkpoint/Restore
 * In Userspace), with the container's view of the world spelled out for it:
 *
 *   --root       the rootfs as the host sees it (criu's mount namespace root)
 *   --ext-mount-map DEST:...   every mount whose source lies outside the
 *                container: bind mounts (DEST:DEST when dumping,
 *                DEST:SOURCE when restoring) and masked files (/dev/null)
 *   --manage-cgroups, --cgroup-root   the container's cgroup
 *
 * The images directory also gets `pith-descriptors`: what the init's fds
 * 0-2 were (readlink of /proc/PID/fd/N), so that restore can hand its own
 * stdio over for pipes and sockets (criu's --inherit-fd) the way runc does.
 *
 * Restore makes a new container entry from a bundle, as create does, but
 * criu makes the processes and their namespaces.  criu runs in a mount
 * namespace of its own where the rootfs is bound on the state directory's
 * `criu-root` (criu wants the root to be a mount point); the restored init
 * is its sibling (--restore-sibling), so pith's child, and pith waits for it
 * unless --detach.  When criu fails, the error says which criu log to read
 * and quotes its last error line.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle.h"
#include "cgroup.h"
#include "container.h"
#include "launch.h"
#include "log.h"
#include "paths.h"
#include "state-store.h"
#include "supervise.h"
#include "utils.h"

#define DEFAULT_IMAGE_DIR "checkpoint"
#define DESCRIPTORS_FILE "pith-descriptors"
#define CRIU_ROOT "criu-root"
#define RESTORED_PID_FILE "restored.pid"
#define STOP_WAIT_MS 5000

enum
{
  CHILD_SETUP = 1,
  CHILD_EXEC,
};

/* ---- criu's command line */

struct args
{
  char **v; /* NULL-terminated */
  size_t n;
};

/* Takes S (malloc'd) as the next argument. */
static void
args_take (struct args *a, char *s)
{
  a->v = xrealloc (a->v, (a->n + 2) * sizeof *a->v);
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
}

#define args_add(a, ...) args_take ((a), xasprintf (__VA_ARGS__))

static void
args_release (struct args *a)
{
  for (size_t i = 0; i < a->n; i++)
    free (a->v[i]);
  free (a->v);
  a->v = NULL;
  a->n = 0;
}

/* $PITH_CRIU lets tests and packagers point at another build. */
static const char *
criu_binary (void)
{
  const char *p = getenv ("PITH_CRIU");

  return p && *p ? p : "criu";
}

static void
add_common (struct args *a, const char *action, const char *images, const char *work, unsigned flags)
{
  args_add (a, "%s", criu_binary ());
  args_add (a, "%s", action);
  args_add (a, "--images-dir=%s", images);
  args_add (a, "--work-dir=%s", work);
  args_add (a, "--log-file=%s.log", action);
  args_add (a, "-v4");
  if (flags & PITH_CHECKPOINT_TCP_ESTABLISHED)
    args_add (a, "--tcp-established");
  if (flags & PITH_CHECKPOINT_EXT_UNIX_SK)
    args_add (a, "--ext-unix-sk");
  if (flags & PITH_CHECKPOINT_SHELL_JOB)
    args_add (a, "--shell-job");
  if (flags & PITH_CHECKPOINT_FILE_LOCKS)
    args_add (a, "--file-locks");
}

static bool
is_bind_mount (const oci_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

/* The mounts criu cannot find inside the container: bind mounts, named by
 * their destination in the images, and masked files (bound /dev/null). */
static void
add_external_mounts (struct args *a, const oci_config *config, const char *bundle, const char *rootfs, bool restore)
{
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

  for (size_t i = 0; i < config->mounts_len; i++)
    {
      const oci_mount *m = config->mounts[i];

      if (!is_bind_mount (m) || m->source == NULL)
        continue;
      if (!restore)
        args_add (a, "--ext-mount-map=%s:%s", m->destination, m->destination);
      else if (m->source[0] == '/')
        args_add (a, "--ext-mount-map=%s:%s", m->destination, m->source);
      else
        args_add (a, "--ext-mount-map=%s:%s/%s", m->destination, bundle, m->source);
    }
  for (size_t i = 0; config->linux && i < config->linux->masked_paths_len; i++)
    {
      const char *path = config->linux->masked_paths[i];
      pith_error ignored = { 0 };
      cleanup_close int fd = rootfd < 0 ? -1 : path_open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, &ignored);
      struct stat st;

      pith_error_release (&ignored);
      /* Masked directories are a tmpfs inside the container: criu keeps those. */
      if (fd >= 0 && fstat (fd, &st) == 0 && !S_ISDIR (st.st_mode))
        args_add (a, "--ext-mount-map=%s:/dev/null", path);
    }
}

/* ---- running criu */

/* A log line without criu's "(00.012345) " timestamp. */
static char *
log_text (const char *line)
{
  const char *p = line;

  if (p[0] == '(' && (p = strstr (p, ") ")) != NULL)
    p += 2;
  else
    p = line;
  return xstrndup (p, strcspn (p, "\n"));
}

/* criu's error lines, for the message: the first (usually the cause) and
 * the last (what it gave up on). */
static char *
log_errors (const char *log_path)
{
  cleanup_file FILE *f = fopen (log_path, "re");
  cleanup_free char *line = NULL, *first = NULL, *last = NULL;
  size_t cap = 0;

  if (f == NULL)
    return xasprintf ("no log: %s", strerror (errno));
  while (getline (&line, &cap, f) > 0)
    if (strstr (line, "Error"))
      {
        free (last);
        last = log_text (line);
        if (first == NULL)
          first = xstrdup (last);
      }
  if (last == NULL)
    return xstrdup ("no error in its log");
  if (strcmp (first, last) == 0)
    return steal_pointer (&last);
  return xasprintf ("%s ... %s", first, last);
}

struct criu_run
{
  const char *action;       /* dump, pre-dump, restore */
  const char *work_dir;     /* where the log goes */
  const char *rootfs;       /* restore: bound on NEW_ROOT in a mount namespace of criu's own */
  const char *new_root;
};

/* In the child: the rootfs made a mount point where criu expects it. */
static int
prepare_restore_root (const struct criu_run *r)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  if (mkdir (r->new_root, 0700) < 0 && errno != EEXIST)
    return -1;
  return mount (r->rootfs, r->new_root, NULL, MS_BIND | MS_REC, NULL);
}

static int
criu_exec (pith_context *ctx, const struct criu_run *r, char *const *argv, pith_error *err)
{
  cleanup_free char *log_path = xasprintf ("%s/%s.log", r->work_dir, r->action);
  cleanup_free char *errors = NULL;
  int pipefd[2], status, report[2] = { 0, 0 }; /* what failed in the child, errno */
  pid_t pid;

  pith_debug (ctx, "criu %s: running %s (log %s)", r->action, argv[0], log_path);
  /* The child reports a failed exec (or setup) over a close-on-exec pipe. */
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return pith_fail (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return pith_fail (err, errno, "fork");
    }
  if (pid == 0)
    {
      int e[2] = { CHILD_SETUP, 0 };

      signals_reset ();
      if (r->new_root == NULL || prepare_restore_root (r) == 0)
        {
          execvp (argv[0], argv);
          e[0] = CHILD_EXEC;
        }
      e[1] = errno;
      if (write (pipefd[1], e, sizeof e) < 0)
        _exit (127);
      _exit (127);
    }
  close (pipefd[1]);
  if (read (pipefd[0], report, sizeof report) != (ssize_t) sizeof report)
    report[0] = 0;
  close (pipefd[0]);
  if (TEMP_FAILURE_RETRY (waitpid (pid, &status, 0)) < 0)
    return pith_fail (err, errno, "wait for criu");
  if (report[0] == CHILD_EXEC)
    return pith_fail (err, report[1], "cannot run criu `%s` (install criu, or set PITH_CRIU)", argv[0]);
  if (report[0] == CHILD_SETUP)
    return pith_fail (err, report[1], "bind the rootfs `%s` on `%s` for criu", r->rootfs, r->new_root);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  errors = log_errors (log_path);
  if (WIFSIGNALED (status))
    return pith_fail (err, 0, "criu %s was killed by signal %d: %s (log: %s)", r->action, WTERMSIG (status), errors,
                      log_path);
  return pith_fail (err, 0, "criu %s failed (exit status %d): %s (log: %s)", r->action, WEXITSTATUS (status),
                    errors, log_path);
}

/* ---- checkpoint */

/* What the init's stdio is, for restore's --inherit-fd. */
static int
save_descriptors (pid_t pid, int images_fd, pith_error *err)
{
  cleanup_free char *text = xstrdup ("");

  for (int fd = 0; fd < 3; fd++)
    {
      char link[64], target[4096];
      ssize_t n;
      char *more;

      snprintf (link, sizeof link, "/proc/%d/fd/%d", (int) pid, fd);
      n = readlink (link, target, sizeof target - 1);
      if (n < 0)
        n = 0; /* closed: an empty line */
      target[n] = '\0';
      if (strchr (target, '\n'))
        return pith_fail (err, EINVAL, "fd %d of the container's init is `%s`: a name with a newline", fd, target);
      more = xasprintf ("%s%s\n", text, target);
      free (text);
      text = more;
    }
  return write_file_atomic (images_fd, DESCRIPTORS_FILE, text, strlen (text), 0600, err);
}

static int
make_dir (const char *path, const char *what, pith_error *err)
{
  if (mkdir_p (path, 0700, err) < 0)
    return pith_wrap (err, "%s `%s`", what, path);
  return 0;
}

/* runc's default for --image-path, and criu wants absolute paths. */
static char *
absolute (const char *path, const char *fallback)
{
  cleanup_free char *cwd = getcwd (NULL, 0);
  const char *p = path && *path ? path : fallback;

  if (p[0] == '/' || cwd == NULL)
    return xstrdup (p);
  return xasprintf ("%s/%s", cwd, p);
}

/* After a dump criu has killed the tasks; their parent reaps the init. */
static void
wait_stopped (struct container *c)
{
  for (int waited = 0; waited < STOP_WAIT_MS; waited += 10)
    {
      c->status = container_status_of (c->dirfd, c->state);
      if (c->status == STATUS_STOPPED)
        return;
      usleep (10000);
    }
}

PITH_PUBLIC int
pith_container_checkpoint (pith_context *ctx, const char *id, const pith_checkpoint_options *o, pith_error *err)
{
  cleanup_free char *images = absolute (o->image_path, DEFAULT_IMAGE_DIR);
  cleanup_free char *work = absolute (o->work_path, images);
  bool pre_dump = o->flags & PITH_CHECKPOINT_PRE_DUMP;
  struct criu_run r = { .action = pre_dump ? "pre-dump" : "dump", .work_dir = work };
  cleanup_close int images_fd = -1;
  const oci_config *config;
  struct args a = { 0 };
  struct container c;
  int ret = -1;

  if (container_open (ctx, id, true, &c, err) < 0)
    goto out;
  if (c.status != STATUS_RUNNING)
    {
      pith_fail (err, 0, "container \"%s\" is not running (it is %s)", id, container_status_name (c.status));
      goto out;
    }
  config = container_config (&c, err);
  if (config == NULL || make_dir (images, "checkpoint: images directory", err) < 0
      || make_dir (work, "checkpoint: work directory", err) < 0)
    goto out;
  images_fd = open (images, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (images_fd < 0)
    {
      pith_fail (err, errno, "open `%s`", images);
      goto out;
    }
  if (save_descriptors (c.state->pid, images_fd, err) < 0)
    goto out;

  add_common (&a, r.action, images, work, o->flags);
  args_add (&a, "--tree=%d", (int) c.state->pid);
  args_add (&a, "--root=%s", c.state->rootfs);
  if (c.state->cgroup_paths && c.state->cgroup_paths->len)
    args_add (&a, "--manage-cgroups=%s", o->manage_cgroups_mode ? o->manage_cgroups_mode : "soft");
  if (o->parent_path)
    args_add (&a, "--prev-images-dir=%s", o->parent_path);
  if (pre_dump || o->parent_path)
    args_add (&a, "--track-mem");
  if (o->flags & PITH_CHECKPOINT_LEAVE_RUNNING)
    args_add (&a, "--leave-running");
  add_external_mounts (&a, config, c.state->bundle, c.state->rootfs, false);

  if (criu_exec (ctx, &r, a.v, err) < 0)
    {
      pith_wrap (err, "checkpoint container \"%s\"", id);
      goto out;
    }
  ret = 0;
  /* As runc: a full dump ends the container, which goes away. */
  if (!pre_dump && !(o->flags & PITH_CHECKPOINT_LEAVE_RUNNING))
    {
      wait_stopped (&c);
      ret = container_delete (ctx, &c, true, err);
    }
out:
  args_release (&a);
  container_close (&c);
  return ret;
}

/* ---- restore */

/* Restore's --inherit-fd: our own stdio stands in for the init's pipes and
 * sockets, which criu cannot reopen by name. */
static int
add_inherited_stdio (struct args *a, int images_fd, pith_error *err)
{
  cleanup_free char *text = NULL;
  char *line;
  size_t len;

  if (read_file_at (images_fd, DESCRIPTORS_FILE, 1 << 16, &text, &len, err) < 0)
    return pith_wrap (err, "not a checkpoint made by pith");
  /* One line per fd, 0 to 2; an empty line for a closed one. */
  line = text;
  for (int fd = 0; fd < 3 && line && *line; fd++)
    {
      char *nl = strchr (line, '\n');

      if (nl)
        *nl = '\0';
      if (line[0] && line[0] != '/')
        args_add (a, "--inherit-fd=fd[%d]:%s", fd, line);
      line = nl ? nl + 1 : NULL;
    }
  return 0;
}

static pid_t
read_restored_pid (const char *work, pith_error *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", work, RESTORED_PID_FILE);
  cleanup_free char *data = NULL;
  int64_t v;
  size_t len;

  if (read_file_at (AT_FDCWD, path, 64, &data, &len, err) < 0)
    return -1;
  data[strcspn (data, "\n")] = '\0';
  if (parse_int64 (data, &v) < 0 || v <= 0 || v > INT32_MAX)
    return pith_fail (err, EINVAL, "criu restore: `%s` holds no pid", path);
  unlink (path);
  return (pid_t) v;
}

struct restore
{
  pith_context *ctx;
  const char *id;
  const pith_restore_options *o;
  struct bundle bundle;
  struct cgroup_plan cgroups;
  bool cgroups_made;
  int rootfd, dirfd;
  char *images, *work, *state_dir;
  pid_t pid;
  struct supervisor sup;
};

static int
restore_checks (const pith_restore_options *o, const struct bundle *b, pith_error *err)
{
  if (o->console_socket)
    return pith_fail (err, ENOTSUP, "--console-socket is not supported: pith cannot hand a restored terminal over");
  if (o->flags & PITH_RESTORE_NO_PIVOT)
    return pith_fail (err, ENOTSUP, "--no-pivot is not supported: criu enters the root with pivot_root(2)");
  if (b->config->process && b->config->process->terminal)
    return pith_fail (err, ENOTSUP, "config.json: /process/terminal: pith cannot restore a container with a terminal");
  return 0;
}

static int
restore_run_criu (struct restore *x, pith_error *err)
{
  cleanup_close int images_fd = open (x->images, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *new_root = xasprintf ("%s/%s", x->state_dir, CRIU_ROOT);
  struct criu_run r = {
    .action = "restore",
    .work_dir = x->work,
    .rootfs = x->bundle.rootfs,
    .new_root = new_root,
  };
  struct args a = { 0 };
  int ret;

  if (images_fd < 0)
    return pith_fail (err, errno, "images directory `%s`", x->images);
  add_common (&a, "restore", x->images, x->work, x->o->flags);
  args_add (&a, "--root=%s", new_root);
  args_add (&a, "--restore-detached");
  args_add (&a, "--restore-sibling");
  args_add (&a, "--pidfile=%s/%s", x->work, RESTORED_PID_FILE);
  if (!cgroup_plan_disabled (&x->cgroups))
    {
      args_add (&a, "--manage-cgroups=soft");
      args_add (&a, "--cgroup-root=%s", x->cgroups.path);
    }
  add_external_mounts (&a, x->bundle.config, x->bundle.path, x->bundle.rootfs, true);
  ret = add_inherited_stdio (&a, images_fd, err);
  if (ret == 0)
    ret = criu_exec (x->ctx, &r, a.v, err);
  args_release (&a);
  /* criu's mount of the rootfs was in its own namespace: only the directory is left. */
  rmdir (new_root);
  return ret;
}

/* Undoes a restore that failed after the state directory existed. */
static void
restore_abandon (struct restore *x)
{
  pith_error ignored = { 0 };

  if (x->pid > 0)
    {
      kill (x->pid, SIGKILL);
      TEMP_FAILURE_RETRY (waitpid (x->pid, NULL, 0));
    }
  if (x->cgroups_made && cgroup_destroy (x->ctx, &x->cgroups, &ignored) < 0)
    pith_warn (x->ctx, "cleanup after failed restore: %s", ignored.msg);
  pith_error_release (&ignored);
  if (state_dir_remove (x->rootfd, x->id, &ignored) < 0)
    pith_warn (x->ctx, "cleanup after failed restore: %s", ignored.msg);
  pith_error_release (&ignored);
}

static int
restore_setup (struct restore *x, pith_error *err)
{
  const oci_linux *linux;

  struct stat st;

  if (validate_container_id (x->id, err) < 0 || bundle_load (x->o->bundle, &x->bundle, err) < 0
      || restore_checks (x->o, &x->bundle, err) < 0)
    return -1;
  if (stat (x->images, &st) < 0 || !S_ISDIR (st.st_mode))
    return pith_fail (err, errno ? errno : ENOTDIR, "images directory `%s`", x->images);
  if (make_dir (x->work, "work directory", err) < 0)
    return -1;
  linux = x->bundle.config->linux;
  if (cgroup_plan_make (x->ctx, linux, x->id, &x->cgroups, err) < 0
      || cgroup_check_resources (&x->cgroups, linux ? linux->resources : NULL, err) < 0)
    return -1;
  x->rootfd = state_root_open (x->ctx, true, err);
  if (x->rootfd < 0)
    return -1;
  x->dirfd = state_dir_create (x->rootfd, x->id, err);
  if (x->dirfd < 0)
    return -1;
  x->state_dir = xasprintf ("%s/%s", state_root_path (x->ctx), x->id);
  return 0;
}

PITH_PUBLIC int
pith_container_restore (pith_context *ctx, const char *id, const pith_restore_options *o, int *exit_status,
                        pith_error *err)
{
  struct restore x = { .ctx = ctx, .id = id, .o = o, .rootfd = -1, .dirfd = -1, .sup = { .sigfd = -1 } };
  bool detach = o->flags & PITH_RESTORE_DETACH;
  const oci_resources *resources;
  int ret = -1;

  *exit_status = 0;
  x.images = absolute (o->image_path, DEFAULT_IMAGE_DIR);
  x.work = absolute (o->work_path, x.images);
  memset (&x.cgroups, 0, sizeof x.cgroups);
  x.cgroups.clone_fd = -1;
  if (restore_setup (&x, err) < 0)
    {
      if (x.dirfd >= 0)
        goto abandon;
      goto out;
    }
  resources = x.bundle.config->linux ? x.bundle.config->linux->resources : NULL;
  if (cgroup_prepare (ctx, &x.cgroups, resources, err) < 0)
    goto abandon;
  x.cgroups_made = true;
  /* Signals are ours to forward from before the init exists. */
  if (!detach && supervise_begin (&x.sup, true, err) < 0)
    goto abandon;
  if (restore_run_criu (&x, err) < 0 || (x.pid = read_restored_pid (x.work, err)) < 0)
    goto abandon;
  if (cgroup_join (ctx, &x.cgroups, x.pid, resources, err) < 0
      || launch_save_state (ctx, x.dirfd, id, &x.bundle, &x.cgroups, x.pid, err) < 0
      || (o->pid_file && pid_file_write (o->pid_file, x.pid, err) < 0))
    goto abandon;
  ret = 0;
  if (!detach)
    {
      struct supervise_target t = { .pid = x.pid, .pty = -1 };

      /* Like a foreground run: wait, then the container goes. */
      close (x.dirfd);
      x.dirfd = -1;
      ret = supervise_wait (&x.sup, &t, exit_status, err);
      if (ret == 0)
        ret = pith_container_delete (ctx, id, true, err);
    }
  goto out;

abandon:
  restore_abandon (&x);
out:
  if (!detach && x.sup.sigfd >= 0)
    supervise_end (&x.sup);
  if (x.dirfd >= 0)
    close (x.dirfd);
  if (x.rootfd >= 0)
    close (x.rootfd);
  if (ret < 0)
    pith_wrap (err, "restore container \"%s\"", id);
  cgroup_plan_release (&x.cgroups);
  bundle_release (&x.bundle);
  free (x.images);
  free (x.work);
  free (x.state_dir);
  return ret;
}
