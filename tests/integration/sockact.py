#!/usr/bin/env python3
"""Socket-activation style launcher for checking --preserve-fds.

Starts a command with three extra descriptors, the way a socket-activating
service manager would hand them over:

  fd 3  a listening unix stream socket bound at LISTEN_PATH
  fd 4  one end of a connected socketpair (the other end stays here)
  fd 5  /dev/null, opened without being meant for the container (with
        `--preserve-fds 2` the container must NOT see it)

It waits for the command, then reports as JSON on stdout:
  {"rc": exit status, "listen_inode": inode of the fd-3 socket,
   "pair_inode": inode of the fd-4 socket, "received": what came back on fd 4}

Used by test_process.py; also handy by hand:

  python3 sockact.py /tmp/s.sock -- pith run --preserve-fds 2 -b BUNDLE ID
"""

import json
import os
import socket
import subprocess
import sys
import time


def run_with_fds(cmd, listen_path, timeout=30.0, stdout=None, stderr=None):
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(str(listen_path))
    lsock.listen(8)
    mine, theirs = socket.socketpair()
    spare = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    # Park the sources far above 5 so the dup2 calls cannot clobber them.
    srcs = [os.dup(fd) for fd in (lsock.fileno(), theirs.fileno(), spare)]
    high = []
    for fd in srcs:
        import fcntl
        high.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100))
        os.close(fd)

    def child_setup():
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i)          # dup2 clears close-on-exec on 3..5

    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                             preexec_fn=child_setup, pass_fds=(3, 4, 5))
        theirs.close()
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise
        mine.settimeout(0.5)
        received = b""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                chunk = mine.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            received += chunk
        return {"rc": rc,
                "listen_inode": os.fstat(lsock.fileno()).st_ino,
                "pair_inode": os.fstat(high[1]).st_ino,
                "received": received.decode(errors="replace")}
    finally:
        for fd in high:
            os.close(fd)
        os.close(spare)
        lsock.close()
        mine.close()
        try:
            os.unlink(str(listen_path))
        except OSError:
            pass


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    res = run_with_fds(argv[2:], argv[0])
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
