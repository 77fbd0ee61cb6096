/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "utils.h"

void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

void
cleanup_strvp (char ***v)
{
  if (*v == NULL)
    return;
  for (char **it = *v; *it; it++)
    free (*it);
  free (*v);
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xzalloc (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t size)
{
  p = realloc (p, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    abort ();
  return r;
}

char *
xvasprintf (const char *fmt, va_list ap)
{
  char *r;

  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  char *r;
  va_list ap;

  va_start (ap, fmt);
  r = xvasprintf (fmt, ap);
  va_end (ap);
  return r;
}

int
read_fd_all (int fd, size_t max_size, char **out, size_t *len, pith_error *err)
{
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = xmalloc (cap);

  for (;;)
    {
      ssize_t r;

      if (cap - used < 2)
        {
          if (cap >= max_size)
            return pith_fail (err, EFBIG, "file larger than %zu bytes", max_size);
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      r = TEMP_FAILURE_RETRY (read (fd, buf + used, cap - used - 1));
      if (r < 0)
        return pith_fail (err, errno, "read");
      if (r == 0)
        break;
      used += r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
read_file_at (int dirfd, const char *path, size_t max_size, char **out, size_t *len, pith_error *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return pith_fail (err, errno, "open `%s`", path);
  if (read_fd_all (fd, max_size, out, len, err) < 0)
    return pith_wrap (err, "`%s`", path);
  return 0;
}

/* WRITE_FN is write(2) or send_nosignal. */
static int
write_fully (int fd, const void *data, size_t len, ssize_t (*write_fn) (int, const void *, size_t))
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t w = TEMP_FAILURE_RETRY (write_fn (fd, p, len));
      if (w < 0)
        return -1;
      p += w;
      len -= w;
    }
  return 0;
}

int
write_all (int fd, const void *data, size_t len)
{
  return write_fully (fd, data, len, write);
}

/* A peer gone is EPIPE, not a SIGPIPE that kills pith without a word. */
static ssize_t
send_nosignal (int fd, const void *data, size_t len)
{
  return send (fd, data, len, MSG_NOSIGNAL);
}

int
send_all (int fd, const void *data, size_t len)
{
  return write_fully (fd, data, len, send_nosignal);
}

int
write_file_at (int dirfd, const char *path, const char *data, size_t len, pith_error *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return pith_fail (err, errno, "open `%s`", path);
  /* Kernel knobs take the value in one write(); a short write is an error. */
  ssize_t w = TEMP_FAILURE_RETRY (write (fd, data, len));
  if (w < 0)
    return pith_fail (err, errno, "write `%s` to `%s`", data, path);
  if ((size_t) w != len)
    return pith_fail (err, EIO, "short write to `%s`", path);
  return 0;
}

int
write_file_atomic (int dirfd, const char *name, const char *data, size_t len, mode_t mode, pith_error *err)
{
  cleanup_free char *tmp = xasprintf (".%s.tmp", name);
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0)
    return pith_fail (err, errno, "create `%s`", tmp);
  if (write_all (fd, data, len) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return pith_fail (err, saved, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return pith_fail (err, saved, "rename `%s` to `%s`", tmp, name);
    }
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, pith_error *err)
{
  cleanup_free char *copy = xstrdup (path);

  for (char *p = copy + 1;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return pith_fail (err, errno, "mkdir `%s`", copy);
      if (saved == '\0')
        break;
      *p = saved;
    }
  return 0;
}

int
remove_tree_at (int parentfd, const char *name, pith_error *err)
{
  cleanup_close int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  struct stat parent_st;

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      if (errno == ENOTDIR || errno == ELOOP)
        goto unlink_entry;
      return pith_fail (err, errno, "open `%s`", name);
    }
  if (fstat (fd, &parent_st) < 0)
    return pith_fail (err, errno, "stat `%s`", name);
  dir = fdopendir (fd);
  if (dir == NULL)
    return pith_fail (err, errno, "opendir `%s`", name);
  fd = -1;
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;
      int dfd = dirfd (dir);

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (st.st_dev != parent_st.st_dev)
            return pith_fail (err, EBUSY, "`%s/%s` is a mount point", name, de->d_name);
          if (remove_tree_at (dfd, de->d_name, err) < 0)
            return -1;
        }
      else if (unlinkat (dfd, de->d_name, 0) < 0 && errno != ENOENT)
        return pith_fail (err, errno, "unlink `%s/%s`", name, de->d_name);
    }
  if (unlinkat (parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return pith_fail (err, errno, "rmdir `%s`", name);
  return 0;

unlink_entry:
  if (unlinkat (parentfd, name, 0) < 0 && errno != ENOENT)
    return pith_fail (err, errno, "unlink `%s`", name);
  return 0;
}

bool
str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

int
parse_int64 (const char *s, int64_t *out)
{
  char *end;
  long long v;

  if (*s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

char *
format_rfc3339 (const struct timespec *ts)
{
  int64_t days, secs, era, day_of_era, year_of_era, day_of_year, mp, year;
  unsigned month, day;

  /* UTC by arithmetic (days since 1970 to a proleptic Gregorian date, in
   * 400-year eras starting on March 1st): glibc's gmtime reads
   * /etc/localtime the first time, which create would pay for. */
  days = ts->tv_sec / 86400;
  secs = ts->tv_sec % 86400;
  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  days += 719468; /* from 1970-01-01 to 0000-03-01 */
  era = (days >= 0 ? days : days - 146096) / 146097;
  day_of_era = days - era * 146097;
  year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  mp = (5 * day_of_year + 2) / 153;
  day = (unsigned) (day_of_year - (153 * mp + 2) / 5 + 1);
  month = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
  year = year_of_era + era * 400 + (month <= 2);
  return xasprintf ("%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09ldZ", (long long) year, month, day,
                    (long long) (secs / 3600), (long long) (secs / 60 % 60), (long long) (secs % 60), ts->tv_nsec);
}

char *
timestamp_rfc3339 (void)
{
  struct timespec now;

  clock_gettime (CLOCK_REALTIME, &now);
  return format_rfc3339 (&now);
}

uint64_t
monotonic_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}

uint64_t
process_start_time (pid_t pid, char *state)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t r;
  char *p;
  unsigned long long start = 0;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  r = TEMP_FAILURE_RETRY (read (fd, buf, sizeof buf - 1));
  if (r <= 0)
    return 0;
  buf[r] = '\0';
  /* The command name may hold spaces and parentheses: fields restart after the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return 0;
  if (state)
    *state = p[2];
  /* After ')' come fields 3 (state) .. 22 (starttime). */
  p += 2;
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return 0;
      p++;
    }
  if (sscanf (p, "%llu", &start) != 1)
    return 0;
  return start;
}

int
move_fd_above (int fd, int min)
{
  int n;

  if (fd >= min)
    return fd;
  n = fcntl (fd, F_DUPFD_CLOEXEC, min);
  if (n < 0)
    return -1;
  close (fd);
  return n;
}

int
cloexec_fds_from (int min_fd)
{
  return (int) syscall (SYS_close_range, (unsigned) min_fd, ~0U, CLOSE_RANGE_CLOEXEC);
}

int
close_fds_from (int min_fd, const int *keep, size_t n_keep)
{
  int next = min_fd;

  /* Ascending order without sorting a copy: the smallest kept fd above the
   * last one handled, each round. */
  for (;;)
    {
      int k = -1;

      for (size_t i = 0; i < n_keep; i++)
        if (keep[i] >= next && (k < 0 || keep[i] < k))
          k = keep[i];
      if (k < 0)
        break;
      if (k > next && syscall (SYS_close_range, (unsigned) next, (unsigned) k - 1, 0) < 0)
        return -1;
      next = k + 1;
    }
  return (int) syscall (SYS_close_range, (unsigned) next, ~0U, 0);
}

char *
passwd_field (const char *path, uid_t uid, int field)
{
  /* In a container, the image's /etc/passwd: a magic link there could
   * lead to a host file (its line then read into HOME). */
  int fd = path_open_no_magiclinks (AT_FDCWD, path, O_RDONLY);
  cleanup_file FILE *f = fd >= 0 ? fdopen (fd, "re") : NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (fd >= 0 && f == NULL)
    close (fd);
  while (f && getline (&line, &cap, f) > 0)
    {
      /* name:password:uid:gid:gecos:home:shell; empty fields are kept. */
      char *fields[7] = { 0 };
      char *p = line;
      int n = 0;

      line[strcspn (line, "\n")] = '\0';
      while (n < 7 && p)
        {
          fields[n++] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (n >= 3 && field < n && fields[2][0] && (uid_t) strtoul (fields[2], NULL, 10) == uid)
        return xstrdup (fields[field]);
    }
  return NULL;
}
