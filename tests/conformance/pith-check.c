/* pith-check: runs INSIDE a container and checks, from the inside, that the
   runtime applied the container's config.json.

     pith-check verify [CONFIG]     default CONFIG: /conformance/config.json
     pith-check notify MESSAGE...   send an sd_notify datagram to $NOTIFY_SOCKET

   `verify` prints one line per check, tab separated:
     ok    AREA  WHAT
     fail  AREA  WHAT: FOUND  [SPEC-FILE: "quoted sentence"]
     skip  AREA  WHAT: REASON
   and a last line `done N-OK N-FAIL N-SKIP`.  It exits 0 when it could read
   the config (failures are data for the driver), 2 when not.

   Expectations the container cannot know by itself (the runtime's namespace
   inodes, the runtime's oom_score_adj) come from annotations the driver puts
   in the config: org.pith.conformance/host-ns/TYPE, .../path-ns/TYPE,
   .../host-oom-score-adj.

   Built static (-static) so it runs in a busybox rootfs. */
#define _GNU_SOURCE
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define ANN "org.pith.conformance/"

/* Spec sentences the checks test (runtime-spec v1.x, quoted briefly). */
#define SPEC_NS_NEW "config-linux.md: \"If `path` is not specified, the runtime MUST create a new container namespace of type `type`.\""
#define SPEC_NS_PATH "config-linux.md: \"The runtime MUST place the container process in the namespace associated with that `path`.\""
#define SPEC_NS_INHERIT "config-linux.md: \"If a namespace type is not specified in the `namespaces` array, the container MUST inherit the runtime namespace of that type.\""
#define SPEC_HOSTNAME "config.md: \"hostname ... specifies the container's hostname as seen by processes running inside the container.\""
#define SPEC_DOMAINNAME "config.md: \"domainname ... specifies the container's domainname as seen by processes running inside the container.\""
#define SPEC_MOUNTS "config.md: \"The runtime MUST mount entries in the listed order.\" / \"options ... Mount options of the filesystem to be used.\""
#define SPEC_ROOT_RO "config.md: \"readonly ... If true then the root filesystem MUST be read-only inside the container\""
#define SPEC_MASKED "config-linux.md: \"maskedPaths ... will mask over the provided paths inside the container so that they cannot be read.\""
#define SPEC_READONLY "config-linux.md: \"readonlyPaths ... will set the provided paths as readonly inside the container.\""
#define SPEC_DEVICES "config-linux.md: \"devices (array of objects, OPTIONAL) lists devices that MUST be available in the container.\""
#define SPEC_DEFAULT_DEVICES "config-linux.md: \"In addition to any devices configured with this setting, the runtime MUST also supply\" /dev/null, zero, full, random, urandom, tty, ptmx"
#define SPEC_DEV_LINKS "config-linux.md: \"runtimes MUST create the following symlinks if the source file exists after processing mounts\""
#define SPEC_USER "config.md: \"uid (int, REQUIRED) specifies the user ID in the container namespace.\" / \"gid ... group ID\""
#define SPEC_GROUPS "config.md: \"additionalGids ... specifies additional group IDs in the container namespace to be added to the process.\""
#define SPEC_UMASK "config.md: \"umask (int, OPTIONAL) specifies the umask of the user.\""
#define SPEC_CWD "config.md: \"cwd (string, REQUIRED) is the working directory that will be set for the executable.\""
#define SPEC_ENV "config.md: \"env (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008's environ.\""
#define SPEC_ARGS "config.md: \"args (array of strings, OPTIONAL) with similar semantics to IEEE Std 1003.1-2008 execvp's argv.\""
#define SPEC_RLIMITS "config.md: \"rlimits ... allows setting resource limits for the process.\" / \"soft ... the value of the limit enforced\""
#define SPEC_CAPS "config.md: \"capabilities (object, OPTIONAL) is an object containing arrays that specifies the sets of capabilities for the process.\""
#define SPEC_NNP "config.md: \"noNewPrivileges (bool, OPTIONAL) setting noNewPrivileges to true prevents the process from gaining additional privileges.\""
#define SPEC_OOM_SET "config.md: \"If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value.\""
#define SPEC_OOM_UNSET "config.md: \"If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj.\""
#define SPEC_SYSCTL "config-linux.md: \"sysctl (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container.\""
#define SPEC_SECCOMP "config-linux.md: \"Seccomp provides application sandboxing mechanism in the Linux kernel.\" (linux.seccomp applied: Seccomp mode 2)"
#define SPEC_CGROUPS "config-linux.md: \"memory.limit ... sets limit of memory usage in bytes\" / \"pids.limit ... maximum number of tasks in the cgroup\" / cpu shares, quota, period, cpus"
#define SPEC_UIDMAP "config-linux.md: \"uidMappings (array of objects, OPTIONAL) describes the user namespace uid mappings from the host to the container.\""

static int n_ok, n_fail, n_skip;
static const struct jval *cfg;

static void __attribute__ ((format (printf, 4, 5)))
report (int ok, const char *area, const char *spec, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  for (char *c = msg; *c; c++)
    if (*c == '\t' || *c == '\n')
      *c = ' ';
  if (ok)
    {
      n_ok++;
      printf ("ok\t%s\t%s\n", area, msg);
    }
  else
    {
      n_fail++;
      printf ("fail\t%s\t%s\t[%s]\n", area, msg, spec);
    }
}

static void __attribute__ ((format (printf, 2, 3)))
skip (const char *area, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  n_skip++;
  printf ("skip\t%s\t%s\n", area, msg);
}

static char *
read_file (const char *path, size_t *len_out)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc (cap);
  for (;;)
    {
      if (len + 1 >= cap)
        buf = realloc (buf, cap *= 2);
      ssize_t r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  close (fd);
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  return buf;
}

/* The value of "Key:" in /proc/self/status, or NULL. */
static char *
status_field (const char *key)
{
  static char *status;
  if (status == NULL)
    status = read_file ("/proc/self/status", NULL);
  if (status == NULL)
    return NULL;
  size_t klen = strlen (key);
  for (char *line = status; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (strncmp (line, key, klen) == 0 && line[klen] == ':')
      {
        char *v = line + klen + 1;
        while (*v == ' ' || *v == '\t')
          v++;
        size_t n = strcspn (v, "\n");
        char *res = strndup (v, n);
        return res;
      }
  return NULL;
}

static const char *
annotation (const char *key)
{
  char full[256];
  snprintf (full, sizeof full, ANN "%s", key);
  return json_str (json_get (json_get (cfg, "annotations"), full));
}

static char *
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
  return s;
}

/* ---------------------------------------------------------------- namespaces */

static const char *const ns_types[][2] = {
  { "pid", "pid" }, { "network", "net" }, { "ipc", "ipc" }, { "uts", "uts" },
  { "mount", "mnt" }, { "cgroup", "cgroup" }, { "user", "user" }, { "time", "time" },
};

static void
check_namespaces (void)
{
  const struct jval *nss = json_path (cfg, "linux/namespaces");
  for (size_t t = 0; t < sizeof ns_types / sizeof ns_types[0]; t++)
    {
      const char *type = ns_types[t][0];
      char link[64], target[128], key[64];
      snprintf (link, sizeof link, "/proc/self/ns/%s", ns_types[t][1]);
      ssize_t n = readlink (link, target, sizeof target - 1);
      if (n < 0)
        {
          skip ("namespaces", "%s: cannot read %s: %s", type, link, strerror (errno));
          continue;
        }
      target[n] = '\0';
      unsigned long long ino = strtoull (strchr (target, '[') ? strchr (target, '[') + 1 : "0", NULL, 10);
      const struct jval *entry = NULL;
      for (size_t i = 0; nss && i < nss->n; i++)
        if (json_str (json_get (nss->items[i], "type")) && strcmp (json_str (json_get (nss->items[i], "type")), type) == 0)
          entry = nss->items[i];
      snprintf (key, sizeof key, "host-ns/%s", type);
      const char *host = annotation (key);
      if (entry == NULL)
        {
          if (host == NULL)
            skip ("namespaces", "%s: no host inode passed in", type);
          else
            report (ino == strtoull (host, NULL, 10), "namespaces", SPEC_NS_INHERIT,
                    "%s not in config: inherited (inode %llu, runtime's %s)", type, ino, host);
          continue;
        }
      if (json_str (json_get (entry, "path")))
        {
          snprintf (key, sizeof key, "path-ns/%s", type);
          const char *want = annotation (key);
          if (want == NULL)
            skip ("namespaces", "%s: no inode passed in for its path", type);
          else
            report (ino == strtoull (want, NULL, 10), "namespaces", SPEC_NS_PATH,
                    "%s joined by path (inode %llu, path's %s)", type, ino, want);
          continue;
        }
      if (host == NULL)
        skip ("namespaces", "%s: no host inode passed in", type);
      else
        report (ino != strtoull (host, NULL, 10), "namespaces", SPEC_NS_NEW,
                "%s is new (inode %llu, runtime's %s)", type, ino, host);
    }
  /* pid 1 in a new pid namespace */
  for (size_t i = 0; nss && i < nss->n; i++)
    {
      const char *type = json_str (json_get (nss->items[i], "type"));
      if (type && strcmp (type, "pid") == 0 && !json_get (nss->items[i], "path"))
        report (getpid () == 1, "namespaces", SPEC_NS_NEW, "new pid namespace: the process is pid 1 (pid %d)",
                (int) getpid ());
    }
}

static void
check_id_mappings (void)
{
  static const char *const which[][2] = { { "uidMappings", "/proc/self/uid_map" }, { "gidMappings", "/proc/self/gid_map" } };
  for (int w = 0; w < 2; w++)
    {
      char key[64];
      snprintf (key, sizeof key, "linux/%s", which[w][0]);
      const struct jval *maps = json_path (cfg, key);
      if (!json_is (maps, J_ARR))
        continue;
      char *text = read_file (which[w][1], NULL);
      for (size_t i = 0; i < maps->n; i++)
        {
          long long c = json_get (maps->items[i], "containerID") ? json_get (maps->items[i], "containerID")->inum : -1;
          long long h = json_get (maps->items[i], "hostID") ? json_get (maps->items[i], "hostID")->inum : -1;
          long long s = json_get (maps->items[i], "size") ? json_get (maps->items[i], "size")->inum : -1;
          int found = 0;
          for (char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
            {
              long long a, b, d;
              if (sscanf (line, "%lld %lld %lld", &a, &b, &d) == 3 && a == c && d == s)
                found = 1;
              (void) b;
            }
          report (found, "namespaces", SPEC_UIDMAP, "%s[%zu] %lld %lld %lld in %s", which[w][0], i, c, h, s, which[w][1]);
        }
    }
}

/* --------------------------------------------------------------- hostname */

static void
check_hostname (void)
{
  char buf[256];
  const char *want = json_str (json_get (cfg, "hostname"));
  if (want)
    {
      if (gethostname (buf, sizeof buf) < 0)
        buf[0] = '\0';
      report (strcmp (buf, want) == 0, "hostname", SPEC_HOSTNAME, "hostname %s (found %s)", want, buf);
    }
  want = json_str (json_get (cfg, "domainname"));
  if (want)
    {
      if (getdomainname (buf, sizeof buf) < 0)
        buf[0] = '\0';
      report (strcmp (buf, want) == 0, "hostname", SPEC_DOMAINNAME, "domainname %s (found %s)", want, buf);
    }
}

/* ----------------------------------------------------------------- mounts */

struct mnt
{
  char *point, *opts, *fstype, *superopts, *root;
  long id, parent;
};
static struct mnt *mnts;
static size_t n_mnts;

static void
unescape (char *s)
{
  char *o = s;
  for (char *p = s; *p; p++)
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3])
      {
        *o++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
        p += 3;
      }
    else
      *o++ = *p;
  *o = '\0';
}

static void
load_mountinfo (void)
{
  char *text = read_file ("/proc/self/mountinfo", NULL);
  if (text == NULL)
    return;
  for (char *save = NULL, *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[32];
      int nf = 0;
      for (char *s2 = NULL, *tok = strtok_r (line, " ", &s2); tok && nf < 32; tok = strtok_r (NULL, " ", &s2))
        f[nf++] = tok;
      int sep = 6;
      while (sep < nf && strcmp (f[sep], "-") != 0)
        sep++;
      if (sep + 3 >= nf + 1 || sep + 2 >= nf)
        continue;
      mnts = realloc (mnts, (n_mnts + 1) * sizeof *mnts);
      struct mnt *m = &mnts[n_mnts++];
      m->id = strtol (f[0], NULL, 10);
      m->parent = strtol (f[1], NULL, 10);
      m->root = f[3];
      m->point = f[4];
      m->opts = f[5];
      m->fstype = f[sep + 1];
      m->superopts = sep + 3 < nf ? f[sep + 3] : "";
      unescape (m->point);
      unescape (m->root);
    }
}

/* The topmost mount at exactly this mount point. */
static struct mnt *
mount_at (const char *point)
{
  for (size_t i = n_mnts; i > 0; i--)
    if (strcmp (mnts[i - 1].point, point) == 0)
      return &mnts[i - 1];
  return NULL;
}

static int
has_opt (const char *opts, const char *opt)
{
  size_t n = strlen (opt);
  for (const char *p = opts; p && *p;)
    {
      if (strncmp (p, opt, n) == 0 && (p[n] == ',' || p[n] == '\0'))
        return 1;
      p = strchr (p, ',');
      if (p)
        p++;
    }
  return 0;
}

static void
check_mounts (void)
{
  const struct jval *ms = json_get (cfg, "mounts");
  for (size_t i = 0; ms && i < ms->n; i++)
    {
      const char *dest = json_str (json_get (ms->items[i], "destination"));
      const char *type = json_str (json_get (ms->items[i], "type"));
      const struct jval *opts = json_get (ms->items[i], "options");
      if (dest == NULL)
        continue;
      char path[PATH_MAX];
      if (realpath (dest, path) == NULL)
        snprintf (path, sizeof path, "%s", dest);
      struct mnt *m = mount_at (path);
      /* a later mount or a masked path may hide this one: only the last
         mount at a destination is looked at */
      int hidden = 0;
      for (size_t j = i + 1; ms && j < ms->n; j++)
        if (json_str (json_get (ms->items[j], "destination")) && strcmp (json_str (json_get (ms->items[j], "destination")), dest) == 0)
          hidden = 1;
      if (hidden)
        continue;
      report (m != NULL, "mounts", SPEC_MOUNTS, "mounts[%zu] %s is a mount point", i, dest);
      if (m == NULL)
        continue;
      /* cgroup v1 has no single file system to mount: runtimes build a
         tmpfs with one mount per hierarchy under it; the options of the
         entry hold for each of those */
      if (type && strcmp (type, "cgroup") == 0)
        {
          size_t plen = strlen (path);
          /* with a cgroup namespace, runtimes mount the hierarchies anew,
             each their own way: only the emulation without one is checked */
          const struct jval *nss = json_path (cfg, "linux/namespaces");
          int cgroupns = 0;
          for (size_t k = 0; nss && k < nss->n; k++)
            if (json_str (json_get (nss->items[k], "type")) && strcmp (json_str (json_get (nss->items[k], "type")), "cgroup") == 0)
              cgroupns = 1;
          if (cgroupns)
            continue;
          for (size_t j = 0; j < n_mnts; j++)
            {
              /* children of the visible mount only: a bind of the host's
                 /sys may have brought hierarchies that are now hidden */
              if (strncmp (mnts[j].point, path, plen) != 0 || mnts[j].point[plen] != '/'
                  || strcmp (mnts[j].fstype, "cgroup") != 0 || mnts[j].parent != m->id)
                continue;
              static const char *const cg_flags[] = { "ro", "nosuid", "nodev", "noexec" };
              for (size_t k = 0; opts && k < opts->n; k++)
                for (size_t f = 0; f < 4; f++)
                  if (json_str (opts->items[k]) && strcmp (opts->items[k]->str, cg_flags[f]) == 0)
                    report (has_opt (mnts[j].opts, cg_flags[f]), "mounts", SPEC_MOUNTS,
                            "mounts[%zu] cgroup hierarchy %s has option %s (found %s)", i, mnts[j].point,
                            cg_flags[f], mnts[j].opts);
            }
          continue;
        }
      int bind = (type && strcmp (type, "bind") == 0);
      for (size_t k = 0; opts && k < opts->n; k++)
        if (json_str (opts->items[k]) && (strcmp (opts->items[k]->str, "bind") == 0 || strcmp (opts->items[k]->str, "rbind") == 0))
          bind = 1;
      if (!bind && type && strcmp (type, "cgroup") != 0 && strcmp (type, "none") != 0)
        report (strcmp (m->fstype, type) == 0, "mounts", SPEC_MOUNTS, "mounts[%zu] %s has type %s (found %s)", i, dest, type,
                m->fstype);
      static const char *const flags[][2] = {
        { "ro", "ro" }, { "rw", "rw" }, { "nosuid", "nosuid" }, { "nodev", "nodev" }, { "noexec", "noexec" },
        { "noatime", "noatime" }, { "nodiratime", "nodiratime" }, { "strictatime", NULL },
      };
      int want_ro = 0;
      for (size_t k = 0; opts && k < opts->n; k++)
        {
          const char *o = json_str (opts->items[k]);
          if (o == NULL)
            continue;
          if (strcmp (o, "ro") == 0 || strcmp (o, "rro") == 0)
            want_ro = 1;
          if (strcmp (o, "rw") == 0)
            want_ro = 0;
          for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
            if (strcmp (o, flags[f][0]) == 0 && flags[f][1] && strcmp (o, "ro") != 0 && strcmp (o, "rw") != 0)
              report (has_opt (m->opts, flags[f][1]), "mounts", SPEC_MOUNTS, "mounts[%zu] %s has option %s (found %s)", i, dest,
                      o, m->opts);
          if (strcmp (o, "strictatime") == 0)
            report (!has_opt (m->opts, "relatime") && !has_opt (m->opts, "noatime"), "mounts", SPEC_MOUNTS,
                    "mounts[%zu] %s has option strictatime (found %s)", i, dest, m->opts);
          if (strncmp (o, "size=", 5) == 0 && strcmp (m->fstype, "tmpfs") == 0)
            {
              struct statvfs sv;
              unsigned long long want = strtoull (o + 5, NULL, 10);
              char unit = o[5 + strspn (o + 5, "0123456789")];
              want *= unit == 'k' ? 1024ULL : unit == 'm' ? 1048576ULL : unit == 'g' ? 1073741824ULL : 1ULL;
              if (statvfs (path, &sv) == 0)
                report ((unsigned long long) sv.f_blocks * sv.f_frsize == want, "mounts", SPEC_MOUNTS,
                        "mounts[%zu] %s tmpfs %s (found %llu bytes)", i, dest, o,
                        (unsigned long long) sv.f_blocks * sv.f_frsize);
            }
          if (strncmp (o, "mode=", 5) == 0 && strcmp (m->fstype, "tmpfs") == 0)
            {
              struct stat st;
              unsigned want = (unsigned) strtoul (o + 5, NULL, 8);
              if (stat (path, &st) == 0)
                report ((st.st_mode & 07777) == want, "mounts", SPEC_MOUNTS, "mounts[%zu] %s tmpfs %s (found %o)", i, dest, o,
                        st.st_mode & 07777);
            }
        }
      report (has_opt (m->opts, want_ro ? "ro" : "rw"), "mounts", SPEC_MOUNTS, "mounts[%zu] %s is %s (found %s)", i, dest, want_ro ? "ro" : "rw", m->opts);
    }
}

static void
check_root (void)
{
  const struct jval *ro = json_path (cfg, "root/readonly");
  int want = json_is (ro, J_BOOL) && ro->b;
  struct mnt *m = mount_at ("/");
  if (m == NULL)
    {
      skip ("root", "no mount at / in mountinfo");
      return;
    }
  report (has_opt (m->opts, want ? "ro" : "rw"), "root", SPEC_ROOT_RO, "root filesystem is %s (found %s)",
          want ? "read-only" : "read-write", m->opts);
  struct statvfs sv;
  if (statvfs ("/", &sv) == 0)
    report (!!(sv.f_flag & ST_RDONLY) == want, "root", SPEC_ROOT_RO, "statvfs(/) ST_RDONLY is %d", want);
}

static void
check_masked (void)
{
  const struct jval *ps = json_path (cfg, "linux/maskedPaths");
  for (size_t i = 0; ps && i < ps->n; i++)
    {
      const char *p = json_str (ps->items[i]);
      struct stat st;
      if (p == NULL)
        continue;
      if (lstat (p, &st) < 0)
        {
          skip ("masked-paths", "%s does not exist", p);
          continue;
        }
      if (S_ISDIR (st.st_mode))
        {
          DIR *d = opendir (p);
          int entries = 0;
          struct dirent *de;
          while (d && (de = readdir (d)))
            if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
              entries++;
          if (d)
            closedir (d);
          report (entries == 0, "masked-paths", SPEC_MASKED, "directory %s shows no entries (found %d)", p, entries);
          continue;
        }
      int fd = open (p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      char buf[64];
      ssize_t n = fd >= 0 ? read (fd, buf, sizeof buf) : 0;
      if (fd >= 0)
        close (fd);
      report (n <= 0, "masked-paths", SPEC_MASKED, "file %s reads nothing (read %zd bytes)", p, n);
    }
}

static void
check_readonly_paths (void)
{
  const struct jval *ps = json_path (cfg, "linux/readonlyPaths");
  for (size_t i = 0; ps && i < ps->n; i++)
    {
      const char *p = json_str (ps->items[i]);
      struct statvfs sv;
      if (p == NULL)
        continue;
      if (statvfs (p, &sv) < 0)
        {
          skip ("readonly-paths", "%s: %s", p, strerror (errno));
          continue;
        }
      report (!!(sv.f_flag & ST_RDONLY), "readonly-paths", SPEC_READONLY, "%s is on a read-only mount", p);
    }
}

/* ---------------------------------------------------------------- devices */

static void
check_one_device (const char *path, char type, long long maj, long long min, const char *spec, const char *area)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      report (0, area, spec, "%s exists (%s)", path, strerror (errno));
      return;
    }
  int type_ok = type == 'b' ? S_ISBLK (st.st_mode) : type == 'p' ? S_ISFIFO (st.st_mode) : S_ISCHR (st.st_mode);
  report (type_ok, area, spec, "%s is a %c device", path, type);
  if (type != 'p')
    report ((long long) major (st.st_rdev) == maj && (long long) minor (st.st_rdev) == min, area, spec,
            "%s is %lld:%lld (found %u:%u)", path, maj, min, major (st.st_rdev), minor (st.st_rdev));
}

static void
check_devices (void)
{
  const struct jval *ds = json_path (cfg, "linux/devices");
  for (size_t i = 0; ds && i < ds->n; i++)
    {
      const struct jval *d = ds->items[i];
      const char *path = json_str (json_get (d, "path"));
      const char *type = json_str (json_get (d, "type"));
      if (path == NULL || type == NULL)
        continue;
      long long maj = json_get (d, "major") ? json_get (d, "major")->inum : 0;
      long long min = json_get (d, "minor") ? json_get (d, "minor")->inum : 0;
      check_one_device (path, type[0], maj, min, SPEC_DEVICES, "devices");
      struct stat st;
      if (stat (path, &st) < 0)
        continue;
      const struct jval *v;
      if ((v = json_get (d, "fileMode")))
        report ((st.st_mode & 07777) == (v->inum & 07777), "devices", SPEC_DEVICES, "%s has mode %llo (found %o)", path,
                v->inum & 07777, st.st_mode & 07777);
      if ((v = json_get (d, "uid")))
        report ((long long) st.st_uid == v->inum, "devices", SPEC_DEVICES, "%s is owned by uid %lld (found %u)", path, v->inum,
                st.st_uid);
      if ((v = json_get (d, "gid")))
        report ((long long) st.st_gid == v->inum, "devices", SPEC_DEVICES, "%s has gid %lld (found %u)", path, v->inum, st.st_gid);
    }
  static const struct
  {
    const char *path;
    int maj, min;
  } defaults[] = {
    { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
    { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
  };
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    check_one_device (defaults[i].path, 'c', defaults[i].maj, defaults[i].min, SPEC_DEFAULT_DEVICES, "devices");
  struct stat st;
  report (lstat ("/dev/ptmx", &st) == 0, "devices", SPEC_DEFAULT_DEVICES, "/dev/ptmx exists");
  const struct jval *term = json_path (cfg, "process/terminal");
  if (json_is (term, J_BOOL) && term->b)
    report (stat ("/dev/console", &st) == 0 && S_ISCHR (st.st_mode), "devices", SPEC_DEFAULT_DEVICES,
            "/dev/console is a character device with terminal true");
  /* symlinks, when /proc is there */
  if (access ("/proc/self/fd", F_OK) == 0)
    {
      static const char *const links[][2] = {
        { "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
        { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
      };
      for (size_t i = 0; i < 4; i++)
        {
          char t[128];
          ssize_t n = readlink (links[i][0], t, sizeof t - 1);
          t[n < 0 ? 0 : n] = '\0';
          report (strcmp (t, links[i][1]) == 0, "devices", SPEC_DEV_LINKS, "%s -> %s (found %s)", links[i][0], links[i][1],
                  n < 0 ? strerror (errno) : t);
        }
    }
}

/* ---------------------------------------------------------------- process */

static int
cmp_gid (const void *a, const void *b)
{
  gid_t x = *(const gid_t *) a, y = *(const gid_t *) b;
  return x < y ? -1 : x > y;
}

static void
check_user (void)
{
  const struct jval *u = json_path (cfg, "process/user");
  const struct jval *v;
  if ((v = json_get (u, "uid")))
    {
      report ((long long) getuid () == v->inum && (long long) geteuid () == v->inum, "process-user", SPEC_USER,
              "uid %lld (found %u, euid %u)", v->inum, getuid (), geteuid ());
    }
  if ((v = json_get (u, "gid")))
    report ((long long) getgid () == v->inum && (long long) getegid () == v->inum, "process-user", SPEC_USER,
            "gid %lld (found %u, egid %u)", v->inum, getgid (), getegid ());
  if ((v = json_get (u, "additionalGids")) && json_is (v, J_ARR))
    {
      gid_t got[256], want[256];
      int n = getgroups (256, got);
      size_t nw = 0;
      for (size_t i = 0; i < v->n && nw < 256; i++)
        want[nw++] = (gid_t) v->items[i]->inum;
      qsort (got, n < 0 ? 0 : (size_t) n, sizeof *got, cmp_gid);
      qsort (want, nw, sizeof *want, cmp_gid);
      /* duplicates in the config collapse */
      size_t m = 0;
      for (size_t i = 0; i < nw; i++)
        if (m == 0 || want[m - 1] != want[i])
          want[m++] = want[i];
      int same = n >= 0 && (size_t) n == m && memcmp (got, want, m * sizeof *got) == 0;
      char found[512] = "";
      for (int i = 0; i < n && strlen (found) < 480; i++)
        snprintf (found + strlen (found), sizeof found - strlen (found), "%s%u", i ? "," : "", got[i]);
      report (same, "process-user", SPEC_GROUPS, "supplementary groups are additionalGids (found %s)", found);
    }
  if ((v = json_get (u, "umask")))
    {
      char *um = status_field ("Umask");
      if (um == NULL)
        skip ("process-user", "no Umask in /proc/self/status");
      else
        report (strtol (um, NULL, 8) == v->inum, "process-user", SPEC_UMASK, "umask %04llo (found %s)", v->inum, um);
    }
}

static void
check_cwd_env_args (int argc, char **argv)
{
  const char *cwd = json_str (json_path (cfg, "process/cwd"));
  char buf[PATH_MAX];
  if (cwd)
    {
      char want[PATH_MAX];
      if (realpath (cwd, want) == NULL)
        snprintf (want, sizeof want, "%s", cwd);
      report (getcwd (buf, sizeof buf) && strcmp (buf, want) == 0, "process", SPEC_CWD, "cwd %s", cwd);
    }
  const struct jval *env = json_path (cfg, "process/env");
  for (size_t i = 0; env && i < env->n; i++)
    {
      const char *e = json_str (env->items[i]);
      if (e == NULL || strchr (e, '=') == NULL)
        continue;
      char *name = strndup (e, (size_t) (strchr (e, '=') - e));
      const char *got = getenv (name);
      /* a later entry with the same name wins */
      int later = 0;
      for (size_t j = i + 1; j < env->n; j++)
        if (json_str (env->items[j]) && strncmp (env->items[j]->str, e, strlen (name) + 1) == 0)
          later = 1;
      if (!later)
        report (got && strcmp (got, strchr (e, '=') + 1) == 0, "process", SPEC_ENV, "env %s", e);
      free (name);
    }
  const struct jval *args = json_path (cfg, "process/args");
  if (args)
    {
      int same = (size_t) argc == args->n;
      for (int i = 0; same && i < argc; i++)
        same = json_str (args->items[i]) && strcmp (args->items[i]->str, argv[i]) == 0;
      report (same, "process", SPEC_ARGS, "argv is process.args (%d args)", argc);
    }
}

static const struct
{
  const char *name;
  int res;
} rlimit_names[] = {
  { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static void
check_rlimits (void)
{
  const struct jval *rl = json_path (cfg, "process/rlimits");
  for (size_t i = 0; rl && i < rl->n; i++)
    {
      const char *type = json_str (json_get (rl->items[i], "type"));
      int res = -1;
      for (size_t k = 0; type && k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
        if (strcmp (rlimit_names[k].name, type) == 0)
          res = rlimit_names[k].res;
      if (res < 0)
        {
          skip ("rlimits", "unknown type %s", type ? type : "?");
          continue;
        }
      struct rlimit r;
      getrlimit ((__rlimit_resource_t) res, &r);
      const struct jval *soft = json_get (rl->items[i], "soft"), *hard = json_get (rl->items[i], "hard");
      unsigned long long ws = soft ? (unsigned long long) soft->num : 0, wh = hard ? (unsigned long long) hard->num : 0;
      if (soft && soft->num >= 1.8e19)
        ws = RLIM_INFINITY;
      if (hard && hard->num >= 1.8e19)
        wh = RLIM_INFINITY;
      report ((unsigned long long) r.rlim_cur == ws && (unsigned long long) r.rlim_max == wh, "rlimits", SPEC_RLIMITS,
              "%s soft %llu hard %llu (found %llu %llu)", type, ws, wh, (unsigned long long) r.rlim_cur,
              (unsigned long long) r.rlim_max);
    }
}

static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
  "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static uint64_t
cap_set (const struct jval *caps, const char *set)
{
  const struct jval *a = json_get (caps, set);
  uint64_t m = 0;
  for (size_t i = 0; a && i < a->n; i++)
    for (size_t k = 0; k < sizeof cap_names / sizeof cap_names[0]; k++)
      if (json_str (a->items[i]) && strcmp (a->items[i]->str, cap_names[k]) == 0)
        m |= 1ULL << k;
  return m;
}

static void
check_caps (void)
{
  const struct jval *caps = json_path (cfg, "process/capabilities");
  if (caps == NULL)
    {
      skip ("capabilities", "no process.capabilities in the config");
      return;
    }
  uint64_t B = cap_set (caps, "bounding"), I = cap_set (caps, "inheritable"), P = cap_set (caps, "permitted");
  uint64_t A = cap_set (caps, "ambient"), E = cap_set (caps, "effective");
  /* What the process has after the runtime's execve(2), by the rules of
     capabilities(7): for uid 0 the file sets count as full, so permitted
     and effective become bounding|inheritable|ambient; for another uid
     they become the ambient set.  Inheritable, ambient and bounding stay. */
  uint64_t want_p, want_e;
  if (geteuid () == 0)
    want_p = want_e = B | I | A;
  else
    want_p = want_e = A;
  /* With no_new_privs, execve(2) cannot grant more than the permitted set
     the runtime gave the process before it. */
  const struct jval *nnp = json_path (cfg, "process/noNewPrivileges");
  if (json_is (nnp, J_BOOL) && nnp->b)
    {
      want_p &= P | A;
      want_e &= P | A;
    }
  (void) E;
  static const char *const keys[] = { "CapBnd", "CapInh", "CapPrm", "CapEff", "CapAmb" };
  uint64_t want[] = { B, I, want_p, want_e, A };
  for (int k = 0; k < 5; k++)
    {
      char *f = status_field (keys[k]);
      if (f == NULL)
        {
          skip ("capabilities", "no %s in /proc/self/status", keys[k]);
          continue;
        }
      uint64_t got = strtoull (f, NULL, 16);
      report (got == want[k], "capabilities", SPEC_CAPS, "%s %016llx (found %016llx)", keys[k], (unsigned long long) want[k],
              (unsigned long long) got);
    }
}

static void
check_nnp_oom (void)
{
  const struct jval *nnp = json_path (cfg, "process/noNewPrivileges");
  char *f = status_field ("NoNewPrivs");
  if (json_is (nnp, J_BOOL) && f)
    report (atoi (f) == (nnp->b ? 1 : 0), "no-new-privileges", SPEC_NNP, "NoNewPrivs %d (found %s)", nnp->b ? 1 : 0, f);
  const struct jval *oom = json_path (cfg, "process/oomScoreAdj");
  char *cur = read_file ("/proc/self/oom_score_adj", NULL);
  if (cur == NULL)
    {
      skip ("oom-score-adj", "cannot read /proc/self/oom_score_adj");
      return;
    }
  trim (cur);
  if (oom)
    report (atoll (cur) == oom->inum, "oom-score-adj", SPEC_OOM_SET, "oom_score_adj %lld (found %s)", oom->inum, cur);
  else if (annotation ("host-oom-score-adj"))
    report (strcmp (cur, annotation ("host-oom-score-adj")) == 0, "oom-score-adj", SPEC_OOM_UNSET,
            "oom_score_adj unchanged: %s (found %s)", annotation ("host-oom-score-adj"), cur);
}

static void
check_sysctl (void)
{
  const struct jval *s = json_path (cfg, "linux/sysctl");
  for (size_t i = 0; s && i < s->n; i++)
    {
      char path[256];
      snprintf (path, sizeof path, "/proc/sys/%s", s->keys[i]);
      for (char *c = path + 10; *c; c++)
        if (*c == '.')
          *c = '/';
      char *v = read_file (path, NULL);
      const char *want = json_str (s->items[i]);
      if (v == NULL || want == NULL)
        {
          report (0, "sysctl", SPEC_SYSCTL, "%s readable (%s)", path, strerror (errno));
          continue;
        }
      trim (v);
      /* the kernel prints tabs between the numbers of multi-value keys */
      for (char *c = v; *c; c++)
        if (*c == '\t')
          *c = ' ';
      report (strcmp (v, want) == 0, "sysctl", SPEC_SYSCTL, "%s = %s (found %s)", s->keys[i], want, v);
    }
}

static void
check_seccomp (void)
{
  char *f = status_field ("Seccomp");
  if (f == NULL)
    {
      skip ("seccomp", "no Seccomp in /proc/self/status");
      return;
    }
  int want = json_path (cfg, "linux/seccomp") ? 2 : 0;
  report (atoi (f) == want, "seccomp", SPEC_SECCOMP, "seccomp mode %d (found %s)", want, f);
}

/* ---------------------------------------------------------------- cgroups */

static char *
cgroup_read (const char *v1, const char *v2)
{
  char *r;
  int unified = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  char path[256];
  snprintf (path, sizeof path, "/sys/fs/cgroup/%s", unified ? v2 : v1);
  r = read_file (path, NULL);
  return r ? trim (r) : NULL;
}

static void
check_cgroup_value (const char *what, const char *v1, const char *v2, const char *want)
{
  char *got = cgroup_read (v1, v2);
  if (got == NULL)
    {
      skip ("cgroups", "%s: %s not visible in the container (no cgroup mount?)", what, v1);
      return;
    }
  report (strcmp (got, want) == 0, "cgroups", SPEC_CGROUPS, "%s %s (found %s)", what, want, got);
}

static void
check_cgroups (void)
{
  const struct jval *r = json_path (cfg, "linux/resources");
  const struct jval *v;
  char buf[64];
  int unified = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  /* only a cgroup mount in the config shows the container's own cgroup at
     /sys/fs/cgroup (a bind of the host's /sys would show the host's) */
  const struct jval *ms = json_get (cfg, "mounts");
  int mounted = 0;
  for (size_t i = 0; ms && i < ms->n; i++)
    {
      const char *t = json_str (json_get (ms->items[i], "type"));
      const char *d = json_str (json_get (ms->items[i], "destination"));
      if (t && d && (strcmp (t, "cgroup") == 0 || strcmp (t, "cgroup2") == 0) && strcmp (d, "/sys/fs/cgroup") == 0)
        mounted = 1;
    }
  if (!mounted)
    {
      if (r && (json_get (r, "memory") || json_get (r, "pids") || json_get (r, "cpu")))
        skip ("cgroups", "limits set but no cgroup mount at /sys/fs/cgroup to see them from the inside");
      return;
    }
  if ((v = json_path (r, "memory/limit")))
    {
      snprintf (buf, sizeof buf, "%lld", v->inum);
      check_cgroup_value ("memory.limit", "memory/memory.limit_in_bytes", "memory.max", buf);
    }
  if ((v = json_path (r, "pids/limit")))
    {
      if (v->inum <= 0)
        snprintf (buf, sizeof buf, "max");
      else
        snprintf (buf, sizeof buf, "%lld", v->inum);
      check_cgroup_value ("pids.limit", "pids/pids.max", "pids.max", buf);
    }
  if ((v = json_path (r, "cpu/shares")) && !unified)
    {
      snprintf (buf, sizeof buf, "%lld", v->inum);
      check_cgroup_value ("cpu.shares", "cpu/cpu.shares", "cpu.weight", buf);
    }
  if ((v = json_path (r, "cpu/quota")) && !unified)
    {
      snprintf (buf, sizeof buf, "%lld", v->inum);
      check_cgroup_value ("cpu.quota", "cpu/cpu.cfs_quota_us", "cpu.max", buf);
    }
  if ((v = json_path (r, "cpu/period")) && !unified)
    {
      snprintf (buf, sizeof buf, "%lld", v->inum);
      check_cgroup_value ("cpu.period", "cpu/cpu.cfs_period_us", "cpu.max", buf);
    }
  if ((v = json_path (r, "cpu/cpus")) && json_str (v))
    check_cgroup_value ("cpu.cpus", "cpuset/cpuset.cpus", "cpuset.cpus", v->str);
}

/* ---------------------------------------------------------------- notify */

static int
do_notify (int argc, char **argv)
{
  const char *path = getenv ("NOTIFY_SOCKET");
  if (path == NULL || *path == '\0')
    {
      fprintf (stderr, "pith-check notify: NOTIFY_SOCKET is not set\n");
      return 1;
    }
  char msg[4096] = "";
  for (int i = 0; i < argc; i++)
    snprintf (msg + strlen (msg), sizeof msg - strlen (msg), "%s%s", i ? "\n" : "", argv[i]);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
  if (sa.sun_path[0] == '@')
    sa.sun_path[0] = '\0';
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || sendto (fd, msg, strlen (msg), 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      fprintf (stderr, "pith-check notify: %s: %s\n", path, strerror (errno));
      return 1;
    }
  close (fd);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "notify") == 0)
    return do_notify (argc - 2, argv + 2);
  if (argc < 2 || strcmp (argv[1], "verify") != 0)
    {
      fprintf (stderr, "usage: pith-check verify [CONFIG] | pith-check notify MESSAGE...\n");
      return 2;
    }
  const char *path = argc >= 3 ? argv[2] : "/conformance/config.json";
  char *text = read_file (path, NULL);
  const char *err = NULL;
  if (text == NULL || (cfg = json_parse (text, &err)) == NULL)
    {
      fprintf (stderr, "pith-check: %s: %s\n", path, text ? err : strerror (errno));
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  load_mountinfo ();
  check_namespaces ();
  check_id_mappings ();
  check_hostname ();
  check_root ();
  check_mounts ();
  check_masked ();
  check_readonly_paths ();
  check_devices ();
  check_user ();
  check_cwd_env_args (argc, argv);
  check_rlimits ();
  check_caps ();
  check_nnp_oom ();
  check_sysctl ();
  check_seccomp ();
  check_cgroups ();
  printf ("done %d %d %d\n", n_ok, n_fail, n_skip);
  return 0;
}
