#!/usr/bin/env python3
"""The receiving end of --console-socket.

A runtime asked to create a container with process.terminal = true connects
to a unix socket given with --console-socket and sends the pty master over it
as SCM_RIGHTS ancillary data.  ConsoleReceiver listens on such a socket,
takes the fd, and lets the test read what the container prints and write to
its terminal.

By hand:  python3 console_socket.py /tmp/console.sock
          (prints everything the container writes to its terminal, until EOF)
"""

import errno
import os
import select
import socket
import sys
import threading
import time


class ConsoleReceiver:
    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.master = None
        self.error = None
        self.buf = b""
        self._got = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        try:
            self.sock.settimeout(60)
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(30)
                _msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
                if not fds:
                    raise RuntimeError("no file descriptor received on the console socket")
                self.master = fds[0]
                for extra in fds[1:]:
                    os.close(extra)
        except Exception as e:  # noqa: BLE001 - reported by wait_master()
            self.error = e
        finally:
            self._got.set()

    def wait_master(self, timeout=10.0):
        if not self._got.wait(timeout):
            raise AssertionError("the runtime never sent the pty master")
        if self.error:
            raise AssertionError(f"console socket: {self.error!r}")
        return self.master

    def read_until(self, needle=None, timeout=10.0):
        """Read from the master until needle (bytes/str) shows up, or EOF
        (EIO once the container side is closed) when needle is None."""
        if isinstance(needle, str):
            needle = needle.encode()
        fd = self.wait_master(timeout)
        deadline = time.monotonic() + timeout
        while True:
            if needle is not None and needle in self.buf:
                return self.buf.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                if needle is None:
                    return self.buf.decode(errors="replace")
                raise AssertionError(f"timed out waiting for {needle!r}; got {self.buf!r}")
            r, _, _ = select.select([fd], [], [], min(left, 0.2))
            if not r:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError as e:
                if e.errno == errno.EIO:
                    chunk = b""
                else:
                    raise
            if not chunk:
                if needle is None:
                    return self.buf.decode(errors="replace")
                raise AssertionError(f"EOF before {needle!r}; got {self.buf!r}")
            self.buf += chunk

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        os.write(self.wait_master(), data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
            self.master = None
        try:
            os.unlink(self.path)
        except OSError:
            pass


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    rec = ConsoleReceiver(argv[0])
    try:
        rec.wait_master(timeout=3600)
        out = rec.read_until(None, timeout=3600)
        sys.stdout.write(out)
    finally:
        rec.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
