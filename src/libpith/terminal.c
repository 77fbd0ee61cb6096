/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mounts.h"
#include "paths.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* A new pty of the devpts at /dev/ptmx (the container's, once inside),
 * sized SIZE.  Returns the master, *SLAVE its peer. */
static int
open_pty (const oci_box *size, int *slave, pith_error *err)
{
  cleanup_close int master = -1;
  struct stat st;
  int unlock = 0;

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return pith_fail (err, errno, "open /dev/ptmx (is /dev/pts mounted?)");
  /* The image decides where /dev/ptmx leads: it must be a multiplexer. */
  if (fstat (master, &st) < 0)
    return pith_fail (err, errno, "stat /dev/ptmx");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 5 || minor (st.st_rdev) != 2)
    return pith_fail (err, ENOTTY, "/dev/ptmx is not a pty multiplexer (5:2)");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return pith_fail (err, errno, "unlock pty");
  /* The peer from the master itself: no path lookup a container could race. */
  *slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0)
    return pith_fail (err, errno, "open pty peer");
  if (size)
    {
      struct winsize ws = { .ws_row = size->height, .ws_col = size->width };
      if (ioctl (*slave, TIOCSWINSZ, &ws) < 0)
        {
          close (*slave);
          return pith_fail (err, errno, "set terminal size");
        }
    }
  return steal_fd (&master);
}

/* SLAVE becomes our controlling terminal and stdio, in a session of our own. */
static int
take_terminal (int slave, pith_error *err)
{
  if (setsid () < 0)
    return pith_fail (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return pith_fail (err, errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return pith_fail (err, errno, "dup2 terminal");
  return 0;
}

/* An O_PATH fd of /dev/console in the container, a plain file made for
 * the purpose unless it is one already or a device node.  A symlink there
 * is the image's way to have the pty bound somewhere else, over a file of
 * its choosing (CVE-2025-52565): it is replaced, not followed. */
static int
open_console (pith_error *err)
{
  cleanup_close int root = -1, dev = -1;
  struct stat st;
  int fd;

  root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return pith_fail (err, errno, "open /");
  dev = path_create_in_root (root, "/dev", PATH_DIR, err);
  if (dev < 0)
    return -1;
  if (fstatat (dev, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode)
      && unlinkat (dev, "console", S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
    return pith_fail (err, errno, "replace /dev/console");
  /* Never opened for real: it may be a device node of the image's. */
  fd = openat (dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    return pith_fail (err, errno, "create /dev/console");
  if (fd >= 0)
    close (fd);
  fd = openat (dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pith_fail (err, errno, "open /dev/console");
  /* Replaced meanwhile by something that is not a file: give up. */
  if (fstat (fd, &st) < 0 || (!S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode)))
    {
      close (fd);
      return pith_fail (err, EPERM, "/dev/console is not a file");
    }
  return fd;
}

int
terminal_setup (const oci_box *size, pith_error *err)
{
  cleanup_close int master = -1, slave = -1, console = -1;

  master = open_pty (size, &slave, err);
  if (master < 0)
    return -1;
  console = open_console (err);
  if (console < 0)
    return -1;
  if (bind_fd (slave, console, false, 0, err) < 0)
    return pith_wrap (err, "bind the terminal on /dev/console");
  if (take_terminal (slave, err) < 0)
    return -1;
  return steal_fd (&master);
}

int
terminal_new_pty (const oci_box *size, uid_t owner, pith_error *err)
{
  cleanup_close int master = -1, slave = -1;

  master = open_pty (size, &slave, err);
  if (master < 0)
    return -1;
  /* Programs such as login shells check that their terminal is theirs. */
  if (fchown (slave, owner, (gid_t) -1) < 0)
    return pith_fail (err, errno, "chown the terminal to uid %u", (unsigned) owner);
  if (take_terminal (slave, err) < 0)
    return -1;
  return steal_fd (&master);
}

int
terminal_send_to_socket (const char *path, int master, pith_error *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  if (sock < 0)
    return pith_fail (err, errno, "socket");
  if (strlen (path) >= sizeof addr.sun_path)
    return pith_fail (err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy (addr.sun_path, path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return pith_fail (err, errno, "connect to console socket `%s`", path);
  if (send_fd (sock, master, err) < 0)
    return pith_wrap (err, "console socket `%s`", path);
  return 0;
}

void
terminal_host_begin (struct terminal_host *t)
{
  struct termios raw;

  t->fd = -1;
  t->raw = false;
  for (int fd = 0; fd < 3 && t->fd < 0; fd++)
    if (isatty (fd))
      t->fd = fd;
  if (t->fd < 0 || tcgetattr (t->fd, &t->saved) < 0)
    return;
  raw = t->saved;
  cfmakeraw (&raw);
  if (tcsetattr (t->fd, TCSADRAIN, &raw) == 0)
    t->raw = true;
}

void
terminal_host_end (struct terminal_host *t)
{
  if (t->raw)
    tcsetattr (t->fd, TCSADRAIN, &t->saved);
  t->raw = false;
}

void
terminal_host_copy_size (const struct terminal_host *t, int master)
{
  struct winsize ws;

  if (t->fd >= 0 && master >= 0 && ioctl (t->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
    ioctl (master, TIOCSWINSZ, &ws);
}
