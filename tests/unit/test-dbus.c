/* Unit tests of the D-Bus client the systemd cgroup driver uses: the
 * marshalled bytes of a body with every alignment rule the driver relies
 * on, then calls against a real dbus-daemon (which validates each message
 * against its signature before routing it), when one is installed.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbus.h"
#include "utils.h"

#include "tap.h"

#define DAEMON "/usr/bin/dbus-daemon"

static void
test_marshalling (void)
{
  /* "s" "ab", then a(sv) holding ("X", <uint64 7>). */
  static const uint8_t expected[] = {
    2, 0, 0, 0, 'a', 'b', 0, /* string */
    0,                       /* pad to 4 */
    24, 0, 0, 0,             /* array length: from the first element */
    0, 0, 0, 0,              /* pad to the struct's 8, not counted */
    1, 0, 0, 0, 'X', 0,      /* struct: string */
    1, 't', 0,               /* variant signature */
    0, 0, 0, 0, 0, 0, 0,     /* pad to 8 for the uint64 */
    7, 0, 0, 0, 0, 0, 0, 0,
  };
  cleanup_dbus_buf struct dbus_buf b = { 0 };
  struct dbus_array a;

  dbus_put_string (&b, "ab");
  a = dbus_array_begin (&b, 8);
  dbus_struct_begin (&b);
  dbus_put_string (&b, "X");
  dbus_put_signature (&b, "t");
  dbus_put_u64 (&b, 7);
  dbus_array_end (&b, a);
  check (b.len == sizeof expected && memcmp (b.data, expected, sizeof expected) == 0,
         "a(sv) body: lengths, alignment and padding as the D-Bus specification lays them out (%zu bytes)", b.len);

  dbus_buf_release (&b);
  dbus_put_byte (&b, 1);
  dbus_put_bytes (&b, "\x03\x05", 2);
  dbus_array_end (&b, dbus_array_begin (&b, 8));
  check (b.len == 16 && memcmp (b.data, "\x01\0\0\0\x02\0\0\0\x03\x05\0\0\0\0\0\0", 16) == 0,
         "ay after a byte, then an empty array of structs: no padding counted, none after it");
}

/* The body shape of systemd's StartTransientUnit: ssa(sv)a(sa(sv)) with
 * s, b, t, au and ay variants. */
static void
put_transient_unit_body (struct dbus_buf *b)
{
  struct dbus_array props, pids;

  dbus_put_string (b, "pith-test.scope");
  dbus_put_string (b, "fail");
  props = dbus_array_begin (b, 8);
  dbus_struct_begin (b);
  dbus_put_string (b, "Description");
  dbus_put_signature (b, "s");
  dbus_put_string (b, "a unit");
  dbus_struct_begin (b);
  dbus_put_string (b, "Delegate");
  dbus_put_signature (b, "b");
  dbus_put_bool (b, true);
  dbus_struct_begin (b);
  dbus_put_string (b, "PIDs");
  dbus_put_signature (b, "au");
  pids = dbus_array_begin (b, 4);
  dbus_put_u32 (b, 42);
  dbus_array_end (b, pids);
  dbus_struct_begin (b);
  dbus_put_string (b, "MemoryMax");
  dbus_put_signature (b, "t");
  dbus_put_u64 (b, 1 << 20);
  dbus_struct_begin (b);
  dbus_put_string (b, "AllowedCPUs");
  dbus_put_signature (b, "ay");
  dbus_put_bytes (b, "\x03", 1);
  dbus_array_end (b, props);
  dbus_array_end (b, dbus_array_begin (b, 8));
}

/* Starts a private dbus-daemon and waits until it listens: it prints its
 * address (on fd 3 here) only then; the socket file appears before. */
static pid_t
start_daemon (const char *dir, char **address)
{
  char path[512], line[1024];
  size_t got = 0;
  int ready[2];
  pid_t pid;

  snprintf (path, sizeof path, "%s/bus", dir);
  *address = xasprintf ("unix:path=%s", path);
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      char arg[600];
      int null = open ("/dev/null", O_RDWR);

      snprintf (arg, sizeof arg, "--address=%s", *address);
      /* Its fd-limit warning on stderr is noise here. */
      dup2 (null, 1);
      dup2 (null, 2);
      dup2 (ready[1], 3);
      execl (DAEMON, DAEMON, "--session", "--nofork", "--nopidfile", "--print-address=3", arg, (char *) NULL);
      _exit (127);
    }
  close (ready[1]);
  while (pid > 0 && got < sizeof line - 1 && memchr (line, '\n', got) == NULL)
    {
      struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
      ssize_t n;

      if (poll (&pfd, 1, 10000) <= 0)
        break;
      n = read (ready[0], line + got, sizeof line - 1 - got);
      if (n <= 0)
        break;
      got += (size_t) n;
    }
  close (ready[0]);
  return pid;
}

static void
test_against_dbus_daemon (void)
{
  char dir[] = "/tmp/pith-test-dbus.XXXXXX";
  cleanup_free char *address = NULL, *error_name = NULL;
  cleanup_dbus_conn struct dbus_conn conn = { .fd = -1 };
  cleanup_dbus_buf struct dbus_buf body = { 0 };
  pith_error err = { 0 };
  pid_t daemon;
  int r;

  if (access (DAEMON, X_OK) != 0)
    {
      printf ("# SKIP: %s is not installed (Debian package dbus-daemon): no calls against a real bus\n", DAEMON);
      check (true, "# SKIP no dbus-daemon");
      return;
    }
  if (mkdtemp (dir) == NULL)
    {
      check (false, "mkdtemp: %s", strerror (errno));
      return;
    }
  daemon = start_daemon (dir, &address);

  r = dbus_connect_address (&conn, address, true, &err);
  check (r == 0, "authenticate (EXTERNAL) and Hello on dbus-daemon: %s", err.msg ? err.msg : "ok");
  pith_error_release (&err);
  if (r == 0)
    {
      r = dbus_call (&conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames", NULL,
                     NULL, NULL, &err);
      check (r == 0, "a method call without arguments returns: %s", err.msg ? err.msg : "ok");
      pith_error_release (&err);

      dbus_put_string (&body, "org.example.Nobody");
      r = dbus_call (&conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                     "s", &body, &error_name, &err);
      check (r < 0 && error_name && strcmp (error_name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0
                 && contains (err.msg, "org.example.Nobody"),
             "an error reply gives its name and message: %s / %s", error_name ? error_name : "(none)",
             err.msg ? err.msg : "(none)");
      pith_error_release (&err);
      free (error_name);
      error_name = NULL;

      /* The daemon checks the body against the signature before routing:
       * a marshalling mistake would close the connection instead. */
      dbus_buf_release (&body);
      put_transient_unit_body (&body);
      r = dbus_call (&conn, "org.example.Nobody", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                     "StartTransientUnit", "ssa(sv)a(sa(sv))", &body, &error_name, &err);
      check (r < 0 && error_name && strcmp (error_name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0,
             "a StartTransientUnit body passes the daemon's validation (routed, then ServiceUnknown): %s",
             err.msg ? err.msg : "(no error)");
      pith_error_release (&err);
    }

  if (daemon > 0)
    {
      kill (daemon, SIGTERM);
      waitpid (daemon, NULL, 0);
    }
  {
    char path[600];
    snprintf (path, sizeof path, "%s/bus", dir);
    unlink (path);
    rmdir (dir);
  }
}

static void
test_unreachable (void)
{
  struct dbus_conn conn = { .fd = -1 };
  pith_error err = { 0 };
  int r = dbus_connect_address (&conn, "unix:path=/nonexistent/pith-bus", false, &err);

  check (r < 0 && contains (err.msg, "/nonexistent/pith-bus") && err.errno_value == ENOENT,
         "a missing socket names the address: %s", err.msg ? err.msg : "(no error)");
  pith_error_release (&err);
  r = dbus_connect_address (&conn, "tcp:host=localhost", false, &err);
  check (r < 0 && contains (err.msg, "tcp:host=localhost"), "an address other than unix: is refused: %s",
         err.msg ? err.msg : "(no error)");
  pith_error_release (&err);
  dbus_close (&conn);
}

int
main (void)
{
  test_marshalling ();
  test_unreachable ();
  test_against_dbus_daemon ();
  return tap_finish ();
}
