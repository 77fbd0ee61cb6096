"""Foreground `run -t` / `exec -t` without --console-socket: the runtime
holds the container's terminal and relays it to its own.  The test gives
the runtime a pty of its own as controlling terminal and checks the relay,
raw mode (and its restoration), the window size following SIGWINCH, and
Ctrl-C reaching the container."""

import errno
import fcntl
import os
import select
import struct
import subprocess
import termios
import time

import pytest


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtySession:
    """ARGV on a new pty that is its controlling terminal, as in a shell."""

    def __init__(self, argv, rows=30, cols=100):
        self.master, self.slave = os.openpty()
        set_size(self.slave, rows, cols)
        self.saved = termios.tcgetattr(self.slave)
        self.buf = b""
        self.proc = subprocess.Popen(
            argv, stdin=self.slave, stdout=self.slave, stderr=self.slave, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))

    def _read(self, wait):
        r, _, _ = select.select([self.master], [], [], wait)
        if not r:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError as e:
            if e.errno == errno.EIO:
                return False
            raise
        self.buf += chunk
        return bool(chunk)

    def read_until(self, needle, timeout=10.0):
        needle = needle.encode() if isinstance(needle, str) else needle
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {needle!r}; got {self.buf!r}")
            self._read(min(left, 0.2))
        return self.buf.decode(errors="replace")

    def write(self, data):
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def resize(self, rows, cols):
        set_size(self.master, rows, cols)

    def lflag(self):
        return termios.tcgetattr(self.slave)[3]

    def wait(self, timeout=15):
        try:
            rc = self.proc.wait(timeout)
        finally:
            while self._read(0.05):
                pass
        return rc

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def sessions():
    made = []
    yield lambda *a, **kw: made.append(PtySession(*a, **kw)) or made[-1]
    for s in made:
        s.close()


SIZE_SCRIPT = "echo first=$(stty size); echo ready; read x; echo second=$(stty size); echo done:$x"


def check_relay(s):
    out = s.read_until("ready")
    assert "first=30 100" in out, "the container's terminal did not get the caller's size"
    assert not s.lflag() & termios.ICANON, "the caller's terminal is not in raw mode while relaying"
    s.resize(40, 120)
    time.sleep(0.3)         # SIGWINCH reaches the runtime, which sets the new size
    s.write("go\r")
    out = s.read_until("done:go")
    assert "second=40 120" in out, "the window size did not follow the caller"
    assert s.wait() == 0
    after = termios.tcgetattr(s.slave)
    assert after[:4] == s.saved[:4], "the caller's terminal mode was not restored"


def test_exec_tty_relay(rt, sessions):
    b = rt.bundle(args=("sleep", "1000"))
    rt.start_detached(b)
    check_relay(sessions(rt.argv("exec", "-t", b.cid, "sh", "-c", SIZE_SCRIPT)))


def test_run_tty_relay(rt, sessions):
    b = rt.bundle(script=SIZE_SCRIPT, write=False)
    b.process["terminal"] = True
    b.write()
    rt.register_id(b.cid)
    check_relay(sessions(rt.argv("run", "--bundle", b.path, b.cid)))


def test_run_tty_ctrl_c_reaches_container(rt, sessions):
    b = rt.bundle(script="trap 'echo caught-int; exit 5' INT; echo ready; while :; do sleep 0.1; done",
                  write=False)
    b.process["terminal"] = True
    b.write()
    rt.register_id(b.cid)
    s = sessions(rt.argv("run", "--bundle", b.path, b.cid))
    s.read_until("ready")
    s.write(b"\x03")
    assert s.wait() == 5
    assert b"caught-int" in s.buf


def test_exec_tty_exit_status(rt, sessions):
    b = rt.bundle(args=("sleep", "1000"))
    rt.start_detached(b)
    s = sessions(rt.argv("exec", "-t", b.cid, "sh", "-c", "echo bye; exit 9"))
    s.read_until("bye")
    assert s.wait() == 9


def test_exec_tty_with_piped_stdin(rt):
    """pith-specific (runc wants a terminal among its stdio for -t): input
    from a pipe reaches the container's terminal, and its end is the
    terminal's end-of-file."""
    b = rt.bundle(args=("sleep", "1000"))
    rt.start_detached(b)
    argv = rt.argv("exec", "-t", b.cid, "sh", "-c", "cat; echo cat-ended")
    p = subprocess.run(argv, input=b"line-one\n", capture_output=True, timeout=20)
    assert p.returncode == 0, p
    assert b"line-one" in p.stdout and b"cat-ended" in p.stdout
