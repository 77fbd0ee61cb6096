/* Unit tests of libpith's building blocks and error paths: what can be
 * checked without creating containers (the integration suite does that).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "hooks.h"
#include "mounts.h"
#include "paths.h"
#include "process.h"
#include "state-store.h"
#include "sync.h"
#include "utils.h"

#include "tap.h"


static char *
make_tmpdir (void)
{
  char tmpl[] = "/tmp/pith-unit.XXXXXX";
  char *d = mkdtemp (tmpl);

  if (d == NULL)
    abort ();
  return xstrdup (d);
}

static void
test_container_ids (void)
{
  static const struct
  {
    const char *id;
    bool valid;
  } cases[] = {
    { "abc", true },   { "a.b-c_d+e", true }, { "A1", true },   { "", false },   { ".", false },
    { "..", false },   { "a/b", false },      { "../x", false }, { "a b", false }, { "a\nb", false },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      pith_error err = { 0 };
      bool valid = validate_container_id (cases[i].id, &err) == 0;

      check (valid == cases[i].valid && (valid || err.msg), "container id \"%s\" is %s", cases[i].id,
             cases[i].valid ? "valid" : "refused");
      pith_error_release (&err);
    }
}

static void
test_signals (void)
{
  static const struct
  {
    const char *name;
    int signo; /* 0: must fail */
  } cases[] = {
    { "KILL", SIGKILL }, { "SIGKILL", SIGKILL }, { "9", 9 },      { "term", SIGTERM }, { "SIGUSR1", SIGUSR1 },
    { "WINCH", SIGWINCH }, { "0", 0 },         { "65", 0 },       { "NOPE", 0 },       { "SIG", 0 },
    { "-1", 0 },         { "", 0 },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      pith_error err = { 0 };
      int signo = -1;
      int r = pith_signal_parse (cases[i].name, &signo, &err);

      if (cases[i].signo)
        check (r == 0 && signo == cases[i].signo, "signal \"%s\" is %d", cases[i].name, cases[i].signo);
      else
        check (r < 0 && contains (err.msg, "signal"), "signal \"%s\" is refused: %s", cases[i].name,
               err.msg ? err.msg : "(no message)");
      pith_error_release (&err);
    }
  {
    pith_error err = { 0 };
    int signo = -1;
    check (pith_signal_parse ("RTMIN+2", &signo, &err) == 0 && signo == SIGRTMIN + 2, "RTMIN+2");
    pith_error_release (&err);
  }
}

static void
test_errors (void)
{
  pith_error err = { 0 };

  int r = pith_fail (&err, ENOENT, "open `%s`", "/x");

  check (r == -1 && strcmp (err.msg, "open `/x`: No such file or directory") == 0 && err.errno_value == ENOENT,
         "pith_fail appends strerror: %s", err.msg);
  pith_wrap (&err, "bundle `%s`", "/b");
  check (strcmp (err.msg, "bundle `/b`: open `/x`: No such file or directory") == 0, "pith_wrap prefixes: %s",
         err.msg);
  pith_fail (&err, 0, "plain");
  check (strcmp (err.msg, "plain") == 0 && err.errno_value == 0, "a new failure replaces the old one");
  pith_error_release (&err);
  check (err.msg == NULL, "release clears the error");
}

static void
test_mount_options (void)
{
  char *opts[] = { "rbind", "ro", "nosuid", "rslave", "size=10k", "mode=755", "rro", "rnoatime", "rw" };
  const char *const *names = mount_option_names ();
  struct mount_opts o;
  pith_error err = { 0 };
  bool sorted = true;

  for (size_t i = 1; names[i]; i++)
    sorted &= strcmp (names[i - 1], names[i]) < 0;
  check (sorted, "mount option table is sorted (it is searched with bsearch)");

  check (mount_opts_parse (opts, ARRAY_SIZE (opts), &o, &err) == 0, "mount options parse");
  check ((o.flags & (MS_BIND | MS_REC | MS_NOSUID)) == (MS_BIND | MS_REC | MS_NOSUID), "rbind and nosuid set flags");
  check (!(o.flags & MS_RDONLY) && (o.cleared & MS_RDONLY), "a later rw clears ro");
  check (o.n_propagation == 1 && o.propagation[0] == (MS_SLAVE | MS_REC), "rslave is a recursive propagation");
  check ((o.rec.attr_set & MOUNT_ATTR_RDONLY) && (o.rec.attr_set & MOUNT_ATTR_NOATIME)
             && (o.rec.attr_clr & MOUNT_ATTR__ATIME),
         "rro and rnoatime are recursive attributes");
  check (o.data && strcmp (o.data, "size=10k,mode=755") == 0, "unknown options go to the filesystem: %s", o.data);
  mount_opts_release (&o);
  check (mount_propagation_of ("rprivate") == (MS_PRIVATE | MS_REC) && mount_propagation_of ("ro") == 0,
         "propagation lookup");
}

/* A rootfs with links that try to leave it. */
static void
test_paths_in_root (void)
{
  cleanup_free char *root = make_tmpdir ();
  cleanup_close int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *outside = xasprintf ("%s-outside", root);
  pith_error err = { 0 };
  struct stat st;
  int fd;

  mkdir (outside, 0755);
  check (symlinkat ("/inside", rootfd, "link") == 0 && symlinkat ("../../..", rootfd, "up") == 0
             && symlinkat (outside, rootfd, "abs") == 0,
         "set up links");

  /* "/inside" means <root>/inside, which does not exist yet: created there. */
  fd = path_create_in_root (rootfd, "/link/hosts", PATH_FILE, &err);
  check (fd >= 0 && fstatat (rootfd, "inside/hosts", &st, 0) == 0 && S_ISREG (st.st_mode),
         "a dangling absolute link is followed, and its target made, inside the root: %s", err.msg ? err.msg : "");
  if (fd >= 0)
    close (fd);
  pith_error_release (&err);

  fd = path_create_in_root (rootfd, "/up/escaped", PATH_DIR, &err);
  check (fd >= 0, "relative link climbing out stays inside");
  if (fd >= 0)
    close (fd);
  {
    cleanup_free char *escaped = xasprintf ("%s/../escaped", root);
    check (stat (escaped, &st) < 0, "nothing was created outside the root");
  }
  pith_error_release (&err);

  fd = path_create_in_root (rootfd, "/abs/x", PATH_DIR, &err);
  {
    cleanup_free char *leaked = xasprintf ("%s/x", outside);
    check (stat (leaked, &st) < 0, "absolute link to a host directory is not followed out");
  }
  if (fd >= 0)
    close (fd);
  pith_error_release (&err);

  fd = path_open_in_root (rootfd, "/proc/self/fd/0", O_PATH, &err);
  check (fd < 0 && err.msg, "a missing path fails with a message: %s", err.msg);
  pith_error_release (&err);

  remove_tree_at (AT_FDCWD, root, &err);
  remove_tree_at (AT_FDCWD, outside, &err);
  pith_error_release (&err);
}

static void
test_files (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_close int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *data = NULL, *passwd = NULL, *name = NULL, *home = NULL, *none = NULL;
  pith_error err = { 0 };
  size_t len = 0;

  check (write_file_atomic (dirfd, "state.json", "{}", 2, 0600, &err) == 0, "atomic write");
  check (read_file_at (dirfd, "state.json", 1024, &data, &len, &err) == 0 && len == 2 && strcmp (data, "{}") == 0,
         "read back");
  check (faccessat (dirfd, ".state.json.tmp", F_OK, 0) < 0, "no temporary file is left");
  free (data);
  data = NULL;
  check (read_file_at (dirfd, "missing", 1024, &data, &len, &err) < 0 && err.errno_value == ENOENT
             && contains (err.msg, "missing"),
         "a missing file names itself: %s", err.msg);
  pith_error_release (&err);

  passwd = xasprintf ("%s/passwd", dir);
  {
    static const char lines[] = "root:x:0:0:root:/root:/bin/sh\nbad\nsvc:x:42:42::/var/svc:\n";
    write_file_atomic (dirfd, "passwd", lines, sizeof lines - 1, 0644, &err);
  }
  name = passwd_field (passwd, 42, 0);
  home = passwd_field (passwd, 0, 5);
  none = passwd_field (passwd, 7, 0);
  check (name && strcmp (name, "svc") == 0 && home && strcmp (home, "/root") == 0 && none == NULL,
         "passwd lookup by uid");
  check (remove_tree_at (AT_FDCWD, dir, &err) == 0 && access (dir, F_OK) < 0, "remove_tree_at removes the tree");
  pith_error_release (&err);
}

/* format_rfc3339 does its own calendar arithmetic: it must agree with
 * glibc's gmtime on leap days, century years and both sides of 1970. */
static void
test_rfc3339 (void)
{
  static const time_t samples[] = { 0, -1, 951782400, 951868799, 4107542400, 4102444799, 1780000000, -86400 * 366,
                                    253402300799 };
  bool all_agree = true;

  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
    {
      struct timespec ts = { .tv_sec = samples[i], .tv_nsec = 123456789 };
      cleanup_free char *got = format_rfc3339 (&ts);
      char want[64];
      struct tm tm;

      gmtime_r (&samples[i], &tm);
      strftime (want, sizeof want, "%Y-%m-%dT%H:%M:%S.123456789Z", &tm);
      if (strcmp (got, want) != 0)
        {
          all_agree = false;
          printf ("# %lld: got %s, gmtime says %s\n", (long long) samples[i], got, want);
        }
    }
  check (all_agree, "format_rfc3339 agrees with gmtime on %zu dates", sizeof samples / sizeof *samples);
}

/* Each broken config is refused before anything is created, naming the JSON path. */
static void
test_config_validation (void)
{
  static const char base[] = "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},"
                             "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]%s},"
                             "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}%s]%s}%s}";
  static const struct
  {
    const char *process, *namespaces, *linux, *top;
    const char *expect; /* NULL: valid */
  } cases[] = {
    { "", "", "", "", NULL },
    { "", ",{\"type\":\"bogus\"}", "", "", "/linux/namespaces/1/type: unknown namespace type \"bogus\"" },
    { "", ",{\"type\":\"mount\"}", "", "", "/linux/namespaces/1: namespace \"mount\" is listed twice" },
    { "", "", "", ",\"hostname\":\"h\"", "/hostname: setting the hostname needs a new uts namespace" },
    { "", "", ",\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]", "",
      "/linux/uidMappings: id mappings need a user namespace" },
    { ",\"capabilities\":{\"bounding\":[\"CAP_BOGUS\"]}", "", "", "", "bounding/0: unknown capability \"CAP_BOGUS\"" },
    { ",\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]", "", "", "",
      "/process/rlimits/0/type: unknown rlimit" },
    { ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]", "", "", "",
      "/process/rlimits/0: soft limit 2 is above the hard limit 1" },
    { ",\"env\":[\"NOEQUALS\"]", "", "", "", "/process/env/0: \"NOEQUALS\" is not NAME=VALUE" },
    { "", "", ",\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]", "", "/linux/devices/0/type" },
    { "", "", ",\"sysctl\":{\"kernel.panic\":\"1\"}", "", "/linux/sysctl/kernel.panic: not namespaced" },
    { "", "", ",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}", "", "needs the container's own network namespace" },
    { "", "", ",\"rootfsPropagation\":\"sideways\"", "", "/linux/rootfsPropagation" },
    { "", "", "", ",\"mounts\":[{\"destination\":\"/x\",\"options\":[\"bind\"]}]", "/mounts/0/source: required" },
    { "", "", "", ",\"mounts\":[{\"destination\":\"/x\"}]", "/mounts/0/type: required" },
    { "", "", "", ",\"hooks\":{\"prestart\":[{\"path\":\"relative\"}]}", "/hooks/prestart/0/path" },
    { "", "", "", ",\"hooks\":{\"poststop\":[{\"path\":\"/bin/true\",\"timeout\":0}]}",
      "/hooks/poststop/0/timeout: must be greater than zero" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *json = NULL, *parse_err = NULL;
      pith_error err = { 0 };
      oci_config *config;
      int r;

      json = xasprintf (base, cases[i].process, cases[i].namespaces, cases[i].linux, cases[i].top);
      config = oci_config_parse_data (json, strlen (json), "config.json", &parse_err);
      if (config == NULL)
        {
          check (false, "case %zu parses: %s", i, parse_err);
          continue;
        }
      r = config_validate (config, &err);
      if (cases[i].expect == NULL)
        check (r == 0, "valid config %zu passes: %s", i, err.msg ? err.msg : "");
      else
        check (r < 0 && contains (err.msg, cases[i].expect) && contains (err.msg, "config.json"),
               "refused: %s", err.msg ? err.msg : "(accepted)");
      pith_error_release (&err);
      oci_config_free (config);
    }

  /* A config without a mount namespace. */
  {
    static const char json[] = "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},"
                               "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]},\"linux\":{}}";
    pith_error err = { 0 };
    oci_config *config = oci_config_parse_data (json, sizeof json - 1, "config.json", NULL);
    check (config && config_validate (config, &err) < 0 && contains (err.msg, "a mount namespace is required"),
           "a mount namespace is required");
    pith_error_release (&err);
    oci_config_free (config);
  }
}

static void
test_hooks (void)
{
  static char *fail_args[] = { "sh", "-c", "echo broken >&2; exit 3" };
  static char *read_args[] = { "sh", "-c", "read line; test \"$line\" = '{\"id\":\"x\"}' && test \"$V\" = 1" };
  static char *sleep_args[] = { "sh", "-c", "sleep 5" };
  static char *env[] = { "V=1" };
  oci_hook ok = { .path = "/bin/sh", .args = read_args, .args_len = 3, .env = env, .env_len = 1 };
  oci_hook bad = { .path = "/bin/sh", .args = fail_args, .args_len = 3 };
  oci_hook slow = { .path = "/bin/sh", .args = sleep_args, .args_len = 3, .timeout = 1, .timeout_present = true };
  oci_hook missing = { .path = "/nonexistent/hook" };
  oci_hook *list[] = { &ok };
  pith_error err = { 0 };
  oci_hook *one[1];

  check (hooks_run (list, 1, "prestart", "{\"id\":\"x\"}\n", &err) == 0, "a hook reads the state, args and env: %s",
         err.msg ? err.msg : "");
  pith_error_release (&err);
  one[0] = &bad;
  check (hooks_run (one, 1, "createRuntime", "{}", &err) < 0
             && contains (err.msg, "createRuntime hook `/bin/sh` exited with status 3: broken"),
         "a failing hook reports status and stderr: %s", err.msg);
  pith_error_release (&err);
  one[0] = &slow;
  check (hooks_run (one, 1, "poststop", "{}", &err) < 0 && contains (err.msg, "timed out after 1 s"),
         "a hook past its timeout is killed: %s", err.msg);
  pith_error_release (&err);
  one[0] = &missing;
  check (hooks_run (one, 1, "prestart", "{}", &err) < 0 && contains (err.msg, "/nonexistent/hook"),
         "a missing hook is an error naming it: %s", err.msg);
  pith_error_release (&err);
}

static void
test_executable_lookup (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *path_env = xasprintf ("PATH=%s", dir);
  cleanup_free char *prog = xasprintf ("%s/prog", dir);
  cleanup_free char *data = xasprintf ("%s/data", dir);
  cleanup_free char *found = NULL;
  char *env[] = { path_env };
  char *args[1];
  oci_process p = { .env = env, .env_len = 1, .args = args, .args_len = 1 };
  pith_error err = { 0 };

  close (open (prog, O_CREAT | O_WRONLY, 0755));
  close (open (data, O_CREAT | O_WRONLY, 0644));
  args[0] = "prog";
  check (process_find_executable (&p, &found, &err) == 0 && strcmp (found, prog) == 0, "found on PATH");
  args[0] = "absent";
  check (process_find_executable (&p, &found, &err) < 0
             && contains (err.msg, "exec: \"absent\": executable file not found in $PATH"),
         "missing: %s", err.msg);
  pith_error_release (&err);
  args[0] = data;
  check (process_find_executable (&p, &found, &err) < 0 && contains (err.msg, "permission denied"),
         "not executable: %s", err.msg);
  pith_error_release (&err);
  args[0] = "/no/such/file";
  check (process_find_executable (&p, &found, &err) < 0 && contains (err.msg, "no such file or directory"),
         "missing path: %s", err.msg);
  pith_error_release (&err);
  remove_tree_at (AT_FDCWD, dir, &err);
  pith_error_release (&err);
}

static void
test_sync (void)
{
  int sv[2];
  pith_error err = { 0 };
  struct sync_msg m;
  int fd;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
  fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  check (sync_send (sv[0], SYNC_PTY_MASTER, 0, "payload", fd, &err) == 0, "send with an fd");
  check (sync_expect (sv[1], SYNC_PTY_MASTER, &m, &err) == 0 && m.fd >= 0 && strcmp (m.payload, "payload") == 0,
         "receive with an fd");
  sync_msg_release (&m);
  close (fd);

  sync_send (sv[0], SYNC_READY, 0, NULL, -1, &err);
  check (sync_expect (sv[1], SYNC_GO, &m, &err) < 0 && contains (err.msg, "unexpected sync message"),
         "an unexpected message is an error");
  pith_error_release (&err);

  pith_fail (&err, EPERM, "mount proc");
  sync_send_error (sv[0], &err);
  pith_fail (&err, EPIPE, "send to container init");
  sync_prefer_peer_error (sv[1], &err);
  check (contains (err.msg, "mount proc") && err.errno_value == EPERM, "the init's error wins: %s", err.msg);
  pith_error_release (&err);

  close (sv[0]);
  check (sync_expect (sv[1], SYNC_READY, &m, &err) < 0 && contains (err.msg, "exited during setup"),
         "EOF means the init died: %s", err.msg);
  pith_error_release (&err);
  close (sv[1]);
}

static void
test_state_store (void)
{
  cleanup_free char *root = make_tmpdir ();
  pith_context ctx = { .state_root = root };
  pith_error err = { 0 };
  cleanup_close int rootfd = state_root_open (&ctx, false, &err);
  int dirfd;
  oci_saved_state s = { .id = "c1", .pid = 999999, .pid_present = true, .pid_start_time = 1,
                        .pid_start_time_present = true, .bundle = "/b", .rootfs = "/b/rootfs",
                        .created = "2026-01-01T00:00:00Z" };
  oci_saved_state *loaded;
  cleanup_free char *doc = NULL;

  dirfd = state_dir_create (rootfd, "c1", &err);
  check (dirfd >= 0, "create state dir");
  check (state_dir_create (rootfd, "c1", &err) < 0 && contains (err.msg, "container \"c1\" already exists"),
         "a second create of the id fails: %s", err.msg);
  pith_error_release (&err);
  check (state_dir_open (rootfd, "c2", false, &err) < 0 && contains (err.msg, "container \"c2\" does not exist"),
         "unknown id: %s", err.msg);
  pith_error_release (&err);
  check (state_save (dirfd, &s, &err) == 0, "save state");
  loaded = state_load (dirfd, "c1", &err);
  check (loaded && loaded->pid == 999999 && strcmp (loaded->bundle, "/b") == 0, "load state");
  check (loaded && container_status_of (dirfd, loaded) == STATUS_STOPPED, "a dead pid means stopped");
  doc = loaded ? state_document (loaded, "stopped", &err) : NULL;
  check (contains (doc, "\"status\": \"stopped\"") && contains (doc, "\"pid\": 0")
             && contains (doc, "\"ociVersion\": \"" PITH_OCI_VERSION "\""),
         "state document of a stopped container");
  oci_saved_state_free (loaded);
  close (dirfd);
  check (state_dir_remove (rootfd, "c1", &err) == 0, "remove state dir");
  remove_tree_at (AT_FDCWD, root, &err);
  pith_error_release (&err);
}

int
main (void)
{
  test_container_ids ();
  test_signals ();
  test_errors ();
  test_mount_options ();
  test_paths_in_root ();
  test_files ();
  test_rfc3339 ();
  test_config_validation ();
  test_hooks ();
  test_executable_lookup ();
  test_sync ();
  test_state_store ();
  return tap_finish ();
}
