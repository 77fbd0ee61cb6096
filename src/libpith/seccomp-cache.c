/* Compiled seccomp programs, kept under <state root>/.seccomp-cache.
 *
 * libseccomp takes tens of milliseconds for an engine's default profile on
 * three architectures, more than the rest of `create`; engines give every
 * container the same few profiles.  An entry holds its whole key (the
 * profile as JSON, the libseccomp version and API level) next to the
 * program, and is used only when the key matches byte for byte, so the
 * file name (a hash) need not be collision-proof.  The directory is
 * root's, 0700, like the state root.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp-filter.h"
#include "utils.h"

#define CACHE_DIR ".seccomp-cache"
#define CACHE_MAGIC "pith-seccomp-1\n"
#define CACHE_MAX_ENTRIES 64
#define CACHE_MAX_FILE (1 << 20)

struct entry_header
{
  char magic[16];
  uint32_t key_len;
  uint32_t insn_count;
};

int
seccomp_cache_open (int rootfd)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (mkdirat (rootfd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
    return -1;
  fd = openat (rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* Programs from here go into containers: only a directory nobody else
   * can write is trusted. */
  if (fd < 0 || fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 077))
    return -1;
  return steal_fd (&fd);
}

static void
entry_name (const char *key, char name[32])
{
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

  for (const unsigned char *p = (const unsigned char *) key; *p; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  snprintf (name, 32, "%016llx.bpf", (unsigned long long) h);
}

bool
seccomp_cache_lookup (int dirfd, const char *key, struct seccomp_program *out)
{
  cleanup_free char *data = NULL;
  pith_error ignored = { 0 };
  struct entry_header h;
  size_t len = 0, key_len = strlen (key);
  char name[32];

  entry_name (key, name);
  if (read_file_at (dirfd, name, CACHE_MAX_FILE, &data, &len, &ignored) < 0)
    {
      pith_error_release (&ignored);
      return false;
    }
  if (len < sizeof h)
    return false;
  memcpy (&h, data, sizeof h);
  if (memcmp (h.magic, CACHE_MAGIC, sizeof CACHE_MAGIC - 1) != 0 || h.key_len != key_len || h.insn_count == 0
      || h.insn_count > BPF_MAXINSNS || len != sizeof h + key_len + h.insn_count * sizeof (struct sock_filter)
      || memcmp (data + sizeof h, key, key_len) != 0)
    return false;
  out->len = h.insn_count;
  out->insns = xmalloc (h.insn_count * sizeof (struct sock_filter));
  memcpy (out->insns, data + sizeof h + key_len, h.insn_count * sizeof (struct sock_filter));
  return true;
}

/* Keeps the cache small: when full, the least recently written entry goes. */
static void
make_room (int dirfd)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  char oldest[256] = "";
  struct timespec oldest_time = { 0 };
  int n = 0, dup_fd = dup (dirfd);

  if (dup_fd < 0 || (dir = fdopendir (dup_fd)) == NULL)
    {
      if (dup_fd >= 0)
        close (dup_fd);
      return;
    }
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (de->d_name[0] == '.' || fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      n++;
      if (oldest[0] == '\0' || st.st_mtim.tv_sec < oldest_time.tv_sec)
        {
          snprintf (oldest, sizeof oldest, "%s", de->d_name);
          oldest_time = st.st_mtim;
        }
    }
  if (n >= CACHE_MAX_ENTRIES && oldest[0])
    unlinkat (dirfd, oldest, 0);
}

void
seccomp_cache_store (int dirfd, const char *key, const struct seccomp_program *p)
{
  struct entry_header h = { .key_len = strlen (key), .insn_count = p->len };
  size_t insns_len = p->len * sizeof (struct sock_filter);
  size_t len = sizeof h + h.key_len + insns_len;
  cleanup_free char *data = xmalloc (len);
  pith_error ignored = { 0 };
  char name[32];

  memcpy (h.magic, CACHE_MAGIC, sizeof CACHE_MAGIC - 1);
  memcpy (data, &h, sizeof h);
  memcpy (data + sizeof h, key, h.key_len);
  memcpy (data + sizeof h + h.key_len, p->insns, insns_len);
  make_room (dirfd);
  entry_name (key, name);
  /* A cache that cannot be written only costs the next create some time. */
  write_file_atomic (dirfd, name, data, len, 0600, &ignored);
  pith_error_release (&ignored);
}
