/* Small helpers shared by every part of libpith: cleanup attributes,
 * allocation that aborts on OOM, whole-file I/O.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PITH_UTILS_H
#define PITH_UTILS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"

#define LIKELY(x) __builtin_expect (!!(x), 1)
#define UNLIKELY(x) __builtin_expect (!!(x), 0)
#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_filep (FILE **f);
void cleanup_dirp (DIR **d);
void cleanup_strvp (char ***v);

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))

/* Hands a value out of a cleanup-guarded variable. */
static inline void *
steal_pointer_impl (void **p)
{
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) steal_pointer_impl ((void **) (pp))

static inline int
steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

void *xmalloc (size_t size);
void *xzalloc (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
char *xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

/* Reads a whole file (at most MAX_SIZE bytes) into a NUL-terminated buffer. */
int read_file_at (int dirfd, const char *path, size_t max_size, char **out, size_t *len, pith_error *err);
int read_fd_all (int fd, size_t max_size, char **out, size_t *len, pith_error *err);

/* Writes DATA to an existing file (cgroup and /proc knobs): no create, no truncate. */
int write_file_at (int dirfd, const char *path, const char *data, size_t len, pith_error *err);
/* Creates NAME in DIRFD atomically: a temporary file, fsync-free, renamed over. */
int write_file_atomic (int dirfd, const char *name, const char *data, size_t len, mode_t mode, pith_error *err);
int write_all (int fd, const void *data, size_t len);
/* write_all for a socket whose peer may be gone (EPIPE, no SIGPIPE). */
int send_all (int fd, const void *data, size_t len);

int mkdir_p (const char *path, mode_t mode, pith_error *err);
/* Removes a directory tree without crossing into other mounts. */
int remove_tree_at (int dirfd, const char *name, pith_error *err);

bool str_has_prefix (const char *s, const char *prefix);
/* Parses a decimal integer that must fill the whole string. */
int parse_int64 (const char *s, int64_t *out);

/* TS in UTC as RFC 3339 with nanoseconds ("2026-12-05T12:00:00.000000000Z"). */
char *format_rfc3339 (const struct timespec *ts);
/* The current time so. */
char *timestamp_rfc3339 (void);
/* Monotonic clock in microseconds, for phase timings. */
uint64_t monotonic_usec (void);

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. 0 if gone.
 * STATE (may be NULL) receives the one-letter process state. */
uint64_t process_start_time (pid_t pid, char *state);

/* Field FIELD (0: name ... 5: home) of UID's line in the passwd file at
 * PATH, or NULL. */
char *passwd_field (const char *path, uid_t uid, int field);

/* Moves FD to the lowest free descriptor >= MIN, close-on-exec, closing the old one. */
int move_fd_above (int fd, int min);

/* Marks every fd from MIN_FD up close-on-exec. */
int cloexec_fds_from (int min_fd);
/* Closes every fd from MIN_FD up but those in KEEP (-1 entries ignored):
 * what a process about to enter a container must not carry in, since even
 * a close-on-exec fd is reachable through /proc/self/fd until execve. */
int close_fds_from (int min_fd, const int *keep, size_t n_keep);

#endif
