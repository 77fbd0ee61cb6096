/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "mounts.h"
#include "paths.h"
#include "selinux.h"
#include "utils.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind
{
  OPT_SET,    /* add MS_* */
  OPT_CLEAR,  /* remove MS_* */
  OPT_PROPAGATION,
  OPT_REC_SET,   /* recursive mount attribute on */
  OPT_REC_CLEAR, /* recursive mount attribute off */
  OPT_REC_ATIME, /* recursive atime mode */
  OPT_TMPCOPYUP,
  OPT_IDMAP,
};

struct opt
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

static const struct opt options[] = {
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "bind", OPT_SET, MS_BIND },
  { "defaults", OPT_SET, 0 },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "idmap", OPT_IDMAP, IDMAP_TOP },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "nodev", OPT_SET, MS_NODEV },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "ratime", OPT_REC_CLEAR, MOUNT_ATTR_NOATIME },
  { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "remount", OPT_SET, MS_REMOUNT },
  { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "ridmap", OPT_IDMAP, IDMAP_RECURSIVE },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rnorelatime", OPT_REC_CLEAR, MOUNT_ATTR__ATIME },
  { "rnostrictatime", OPT_REC_CLEAR, MOUNT_ATTR__ATIME },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "ro", OPT_SET, MS_RDONLY },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "silent", OPT_SET, MS_SILENT },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
};

static int
opt_compare (const void *key, const void *elem)
{
  return strcmp (key, ((const struct opt *) elem)->name);
}

static const struct opt *
opt_lookup (const char *name)
{
  return bsearch (name, options, ARRAY_SIZE (options), sizeof options[0], opt_compare);
}

const char *const *
mount_option_names (void)
{
  static const char *names[ARRAY_SIZE (options) + 1];

  if (names[0] == NULL)
    for (size_t i = 0; i < ARRAY_SIZE (options); i++)
      names[i] = options[i].name;
  return names;
}

unsigned long
mount_propagation_of (const char *name)
{
  const struct opt *o = opt_lookup (name);

  return o && o->kind == OPT_PROPAGATION ? o->value : 0;
}

int
mount_opts_parse (char **opts, size_t n, struct mount_opts *out, pith_error *err)
{
  size_t data_len = 0;

  memset (out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++)
    {
      const struct opt *o = opt_lookup (opts[i]);

      if (o == NULL)
        {
          /* Not a flag: the filesystem's own option (size=, mode=, ...). */
          size_t l = strlen (opts[i]);
          out->data = xrealloc (out->data, data_len + l + 2);
          if (data_len)
            out->data[data_len++] = ',';
          memcpy (out->data + data_len, opts[i], l + 1);
          data_len += l;
          continue;
        }
      switch (o->kind)
        {
        case OPT_SET:
          out->flags |= o->value;
          out->cleared &= ~o->value;
          break;
        case OPT_CLEAR:
          out->flags &= ~o->value;
          out->cleared |= o->value;
          break;
        case OPT_PROPAGATION:
          if (out->n_propagation == ARRAY_SIZE (out->propagation))
            return pith_fail (err, 0, "too many propagation options");
          out->propagation[out->n_propagation++] = o->value;
          break;
        case OPT_REC_SET:
          out->rec.attr_set |= o->value;
          out->rec.attr_clr &= ~o->value;
          break;
        case OPT_REC_CLEAR:
          out->rec.attr_clr |= o->value;
          out->rec.attr_set &= ~o->value;
          break;
        case OPT_REC_ATIME:
          out->rec.attr_clr |= MOUNT_ATTR__ATIME;
          out->rec.attr_set = (out->rec.attr_set & ~MOUNT_ATTR__ATIME) | o->value;
          break;
        case OPT_TMPCOPYUP:
          out->tmpcopyup = true;
          break;
        case OPT_IDMAP:
          out->idmap = o->value;
          break;
        }
    }
  return 0;
}

void
mount_opts_release (struct mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

enum idmap_kind
mount_idmap_kind (const oci_mount *m, const struct mount_opts *o)
{
  if (o->idmap != IDMAP_NONE)
    return o->idmap;
  return m->uid_mappings_len || m->gid_mappings_len ? IDMAP_TOP : IDMAP_NONE;
}

static bool
has_userns_mapping (const oci_config *config)
{
  const oci_linux *l = config->linux;

  if (l == NULL || l->uid_mappings_len == 0 || l->gid_mappings_len == 0)
    return false;
  for (size_t i = 0; i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i]->type, "user") == 0 && !(l->namespaces[i]->path && l->namespaces[i]->path[0]))
      return true;
  return false;
}

static int
validate_idmap (const oci_config *config, const oci_mount *m, size_t i, bool bind, enum idmap_kind kind,
                pith_error *err)
{
  if (kind == IDMAP_NONE)
    return 0;
  if (!bind)
    return pith_fail (err, ENOTSUP, "config.json: /mounts/%zu: only bind mounts can be idmapped", i);
  if ((m->uid_mappings_len == 0) != (m->gid_mappings_len == 0))
    return pith_fail (err, 0, "config.json: /mounts/%zu/%s: uidMappings and gidMappings go together", i,
                      m->uid_mappings_len ? "gidMappings" : "uidMappings");
  if (m->uid_mappings_len == 0 && !has_userns_mapping (config))
    return pith_fail (err, 0,
                      "config.json: /mounts/%zu/options: idmap without uidMappings/gidMappings takes the "
                      "mapping of a new user namespace, and the container has none",
                      i);
  return 0;
}

int
mounts_validate (const oci_config *config, pith_error *err)
{
  for (size_t i = 0; i < config->mounts_len; i++)
    {
      const oci_mount *m = config->mounts[i];
      struct mount_opts o;
      bool bind;

      if (mount_opts_parse (m->options, m->options_len, &o, err) < 0)
        return pith_wrap (err, "config.json: /mounts/%zu/options", i);
      bind = (o.flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0);
      mount_opts_release (&o);
      if (validate_idmap (config, m, i, bind, mount_idmap_kind (m, &o), err) < 0)
        return -1;
      if (!bind && (m->type == NULL || m->type[0] == '\0'))
        return pith_fail (err, 0, "config.json: /mounts/%zu/type: required for a mount that is not a bind mount", i);
      if (bind && (m->source == NULL || m->source[0] == '\0'))
        return pith_fail (err, 0, "config.json: /mounts/%zu/source: required for a bind mount", i);
    }
  return 0;
}

/* The mount attributes a MS_* flag set asks for, for mount_setattr. */
static void
flags_to_attr (unsigned long set, unsigned long cleared, struct mount_attr *attr)
{
  static const struct
  {
    unsigned long ms;
    unsigned long attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },       { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },         { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };

  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    {
      if (set & map[i].ms)
        attr->attr_set |= map[i].attr;
      else if (cleared & map[i].ms)
        attr->attr_clr |= map[i].attr;
    }
  if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      attr->attr_clr |= MOUNT_ATTR__ATIME;
      attr->attr_set |= (set & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
                        : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                                 : MOUNT_ATTR_RELATIME;
    }
}

static int
set_attr (int fd, bool recursive, struct mount_attr *attr, pith_error *err)
{
  if (attr->attr_set == 0 && attr->attr_clr == 0 && attr->propagation == 0)
    return 0;
  if (mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), attr, sizeof *attr) < 0)
    return pith_fail (err, errno, "set mount attributes");
  return 0;
}

int
bind_fd (int from_fd, int to_fd, bool recursive, unsigned attr_set, pith_error *err)
{
  cleanup_close int tree = open_tree (from_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH
                                                       | (recursive ? AT_RECURSIVE : 0));
  struct mount_attr attr = { .attr_set = attr_set };

  if (tree < 0)
    return pith_fail (err, errno, "clone mount");
  if (set_attr (tree, recursive, &attr, err) < 0)
    return -1;
  if (move_mount (tree, "", to_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return pith_fail (err, errno, "attach mount");
  return 0;
}

static int
apply_propagation (int mnt_fd, const struct mount_opts *o, pith_error *err)
{
  struct fd_path p;

  for (size_t i = 0; i < o->n_propagation; i++)
    if (mount (NULL, fd_path (&p, mnt_fd), NULL, o->propagation[i], NULL) < 0)
      return pith_fail (err, errno, "set mount propagation");
  return 0;
}

static int
mount_bind (const struct mount_env *env, const oci_mount *m, size_t index, const struct mount_opts *o,
            pith_error *err)
{
  cleanup_free char *source = NULL;
  cleanup_close int src = -1, target = -1, tree = -1;
  struct mount_attr attr = { 0 };
  struct stat st;
  bool recursive = (o->flags & MS_REC) != 0;
  int idmapped = env->idmapped ? env->idmapped[index] : -1;

  source = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", env->bundle, m->source);
  /* An idmapped source was cloned by the parent already. */
  src = idmapped >= 0 ? fcntl (idmapped, F_DUPFD_CLOEXEC, 3) : open (source, O_PATH | O_CLOEXEC);
  if (src < 0 || fstat (src, &st) < 0)
    return pith_fail (err, errno, "bind source `%s`", source);
  target = path_create_in_root (env->rootfd, m->destination, S_ISDIR (st.st_mode) ? PATH_DIR : PATH_FILE, err);
  if (target < 0)
    return -1;
  if (idmapped >= 0)
    tree = steal_fd (&src);
  else
    tree = open_tree (src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return pith_fail (err, errno, "clone `%s`", source);
  /* Plain flags apply to the top mount (as a remount would), r* flags to all. */
  flags_to_attr (o->flags, o->cleared, &attr);
  if (set_attr (tree, false, &attr, err) < 0 || set_attr (tree, true, (struct mount_attr *) &o->rec, err) < 0)
    return pith_wrap (err, "`%s`", source);
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return pith_fail (err, errno, "bind `%s`", source);
  return apply_propagation (tree, o, err);
}

static int copy_tree (int from, int to, pith_error *err);

static int
copy_entry (int from, int to, const char *name, const struct stat *st, pith_error *err)
{
  if (S_ISDIR (st->st_mode))
    {
      cleanup_close int sub_from = -1, sub_to = -1;

      if (mkdirat (to, name, st->st_mode & 07777) < 0 && errno != EEXIST)
        return pith_fail (err, errno, "tmpcopyup: mkdir `%s`", name);
      sub_from = openat (from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      sub_to = openat (to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_from < 0 || sub_to < 0)
        return pith_fail (err, errno, "tmpcopyup: open `%s`", name);
      if (copy_tree (sub_from, sub_to, err) < 0)
        return -1;
    }
  else if (S_ISLNK (st->st_mode))
    {
      char target[4096];
      ssize_t l = readlinkat (from, name, target, sizeof target - 1);

      if (l < 0)
        return pith_fail (err, errno, "tmpcopyup: readlink `%s`", name);
      target[l] = '\0';
      if (symlinkat (target, to, name) < 0)
        return pith_fail (err, errno, "tmpcopyup: symlink `%s`", name);
    }
  else if (S_ISREG (st->st_mode))
    {
      cleanup_close int in = openat (from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int out = openat (to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                      st->st_mode & 07777);
      char buf[65536];
      ssize_t r;

      if (in < 0 || out < 0)
        return pith_fail (err, errno, "tmpcopyup: copy `%s`", name);
      while ((r = TEMP_FAILURE_RETRY (read (in, buf, sizeof buf))) > 0)
        if (write_all (out, buf, r) < 0)
          return pith_fail (err, errno, "tmpcopyup: write `%s`", name);
      if (r < 0)
        return pith_fail (err, errno, "tmpcopyup: read `%s`", name);
    }
  else if (mknodat (to, name, st->st_mode, st->st_rdev) < 0)
    return pith_fail (err, errno, "tmpcopyup: mknod `%s`", name);
  if (fchownat (to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return pith_fail (err, errno, "tmpcopyup: chown `%s`", name);
  return 0;
}

static int
copy_tree (int from, int to, pith_error *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  int dup_from = dup (from);

  if (dup_from < 0 || (dir = fdopendir (dup_from)) == NULL)
    {
      if (dup_from >= 0)
        close (dup_from);
      return pith_fail (err, errno, "tmpcopyup: read directory");
    }
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (from, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return pith_fail (err, errno, "tmpcopyup: stat `%s`", de->d_name);
      if (copy_entry (from, to, de->d_name, &st, err) < 0)
        return -1;
    }
  return 0;
}

/* The message the file system left in the fs context, if any ("e tmpfs:
 * Bad value for 'size'"), for an error that says more than EINVAL. */
static int
fs_context_fail (int fs, pith_error *err, const char *what, const char *type)
{
  int saved = errno;
  char msg[256];
  ssize_t n = read (fs, msg, sizeof msg - 1);

  if (n > 2 && msg[1] == ' ')
    {
      msg[n] = '\0';
      msg[strcspn (msg, "\n")] = '\0';
      return pith_fail (err, saved, "%s %s: %s", what, type, msg + 2);
    }
  return pith_fail (err, saved, "%s %s", what, type);
}

/* Passes the comma-separated DATA to the fs context FS, one option at a
 * time, as mount(2) would have: "key=value" or a bare "flag".  A comma
 * inside double quotes (an SELinux context="s0:c1,c2") does not split. */
static int
fs_context_options (int fs, const char *data, const char *type, pith_error *err)
{
  cleanup_free char *copy = xstrdup (data ? data : "");
  char *opt = copy;

  while (*opt)
    {
      char *end = opt, *eq;
      bool quoted = false;

      for (; *end && (quoted || *end != ','); end++)
        if (*end == '"')
          quoted = !quoted;
      if (*end)
        *end++ = '\0';
      eq = strchr (opt, '=');
      if (eq)
        {
          char *value = eq + 1;
          size_t l = strlen (value);

          *eq = '\0';
          if (l >= 2 && value[0] == '"' && value[l - 1] == '"')
            {
              value[l - 1] = '\0';
              value++;
            }
          if (fsconfig (fs, FSCONFIG_SET_STRING, opt, value, 0) < 0)
            return fs_context_fail (fs, err, "mount", type);
        }
      else if (*opt && fsconfig (fs, FSCONFIG_SET_FLAG, opt, NULL, 0) < 0)
        return fs_context_fail (fs, err, "mount", type);
      opt = end;
    }
  return 0;
}

int
mount_new_fs (const char *type, const char *source, unsigned long flags, const char *data, pith_error *err)
{
  /* Flags of the superblock; the others are the mount's (fsmount below). */
  static const struct
  {
    unsigned long ms;
    const char *name;
  } sb_flags[] = {
    { MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
    { MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" },
  };
  cleanup_close int fs = fsopen (type, FSOPEN_CLOEXEC);
  struct mount_attr attr = { 0 };
  int mnt;

  if (fs < 0)
    return pith_fail (err, errno, "mount %s", type);
  if (source && fsconfig (fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return fs_context_fail (fs, err, "mount", type);
  if (fs_context_options (fs, data, type, err) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (sb_flags); i++)
    if ((flags & sb_flags[i].ms) && fsconfig (fs, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
      return fs_context_fail (fs, err, "mount", type);
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_context_fail (fs, err, "mount", type);
  flags_to_attr (flags, 0, &attr);
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, attr.attr_set);
  if (mnt < 0)
    return fs_context_fail (fs, err, "mount", type);
  return mnt;
}

int
mount_fs_onto (int target, const char *type, const char *source, unsigned long flags, const char *data,
               pith_error *err)
{
  /* Made detached and moved onto the fd of the destination: we hold the
   * new mount itself, where looking the destination up again after
   * mount(2) could find something else by then. */
  int mnt = mount_new_fs (type, source, flags, data, err);

  if (mnt < 0)
    return -1;
  if (move_mount (mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      close (mnt);
      return pith_fail (err, errno, "mount %s", type);
    }
  return mnt;
}

int
mount_fs_at (int target, const char *type, const char *source, unsigned long flags, const char *data,
              pith_error *err)
{
  struct fd_path p;
  int mnt;

  /* The destination is still the fd resolved once (its magic link), so
   * this is as safe as move_mount, in one system call instead of fsopen,
   * an fsconfig per option, fsmount, move_mount and two closes. */
  if (mount (source, fd_path (&p, target), type, flags, data) == 0)
    return 0;
  /* Again through an fs context: the same failure then comes with the
   * file system's own message (e.g. the option it refused). */
  mnt = mount_fs_onto (target, type, source, flags, data, err);
  if (mnt < 0)
    return -1;
  close (mnt);
  return 0;
}

/* Returns the mount that now holds the entry's file system: the new one, or
 * TARGET itself for a remount; 0 when the caller wants no handle (KEEP
 * false), which saves system calls. */
static int
attach_filesystem (const struct mount_env *env, const oci_mount *m, const struct mount_opts *o, int target,
                   bool keep, pith_error *err)
{
  cleanup_free char *data = NULL;
  struct fd_path p;
  const char *source = m->source && m->source[0] ? m->source : m->type;

  data = selinux_mount_data (o->data, selinux_type_takes_context (m->type) ? env->mount_label : NULL);
  if (o->flags & MS_REMOUNT)
    {
      if (mount (source, fd_path (&p, target), m->type, o->flags & ~(MS_BIND | MS_REC), data) < 0)
        return pith_fail (err, errno, "remount %s", m->type);
      return keep ? fcntl (target, F_DUPFD_CLOEXEC, 3) : 0;
    }
  if (!keep)
    return mount_fs_at (target, m->type, source, o->flags, data, err);
  return mount_fs_onto (target, m->type, source, o->flags, data, err);
}

static int
mount_filesystem (const struct mount_env *env, const oci_mount *m, const struct mount_opts *o, pith_error *err)
{
  cleanup_close int target = -1, mounted = -1, original = -1;
  /* What is done to the new mount after it is attached needs its fd. */
  bool keep = o->tmpcopyup || o->n_propagation > 0 || o->rec.attr_set || o->rec.attr_clr || o->rec.propagation;

  target = path_create_in_root (env->rootfd, m->destination, PATH_DIR, err);
  if (target < 0)
    return -1;
  if (!keep)
    return attach_filesystem (env, m, o, target, false, err) < 0 ? -1 : 0;
  if (o->tmpcopyup)
    {
      /* Keep a handle on what the new filesystem is about to hide. */
      original = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (original < 0)
        return pith_fail (err, errno, "tmpcopyup: open `%s`", m->destination);
    }
  mounted = attach_filesystem (env, m, o, target, true, err);
  if (mounted < 0)
    return -1;
  if (o->tmpcopyup)
    {
      cleanup_close int dst = openat (mounted, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dst < 0)
        return pith_fail (err, errno, "tmpcopyup: open new mount");
      if (copy_tree (original, dst, err) < 0)
        return -1;
    }
  if (set_attr (mounted, true, (struct mount_attr *) &o->rec, err) < 0)
    return -1;
  return apply_propagation (mounted, o, err);
}

int
mount_entry (const struct mount_env *env, const oci_mount *m, size_t index, pith_error *err)
{
  struct mount_opts o;
  int ret;

  if (mount_opts_parse (m->options, m->options_len, &o, err) < 0)
    return pith_wrap (err, "config.json: /mounts/%zu/options", index);
  if ((o.flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0))
    ret = mount_bind (env, m, index, &o, err);
  else if (strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0)
    ret = cgroup_mount (env->cgroups, env->rootfd, m->destination, o.flags, env->cgroupns, err);
  else
    ret = mount_filesystem (env, m, &o, err);
  mount_opts_release (&o);
  if (ret < 0)
    return pith_wrap (err, "mount `%s` (config.json: /mounts/%zu)", m->destination, index);
  return 0;
}
