/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

int
terminal_setup (const oci_box *size, pith_error *err)
{
  cleanup_close int master = -1, slave = -1, console = -1, root = -1;
  int unlock = 0;

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return pith_fail (err, errno, "open /dev/ptmx (is /dev/pts mounted?)");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return pith_fail (err, errno, "unlock pty");
  /* The peer from the master itself: no path lookup a container could race. */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return pith_fail (err, errno, "open pty peer");
  if (size)
    {
      struct winsize ws = { .ws_row = size->height, .ws_col = size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return pith_fail (err, errno, "set terminal size");
    }

  root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return pith_fail (err, errno, "open /");
  console = path_create_in_root (root, "/dev/console", PATH_FILE, err);
  if (console < 0)
    return -1;
  if (bind_fd (slave, console, false, 0, err) < 0)
    return pith_wrap (err, "bind the terminal on /dev/console");

  if (setsid () < 0)
    return pith_fail (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return pith_fail (err, errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return pith_fail (err, errno, "dup2 terminal");
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
