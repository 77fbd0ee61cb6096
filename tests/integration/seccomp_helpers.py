"""Helpers for the seccomp and process-field tests.

* ``sysprobe(session_dir)``: builds sysprobe.c (static) once per session;
  the tests copy it into a rootfs to make exact system calls.
* ``podman_profile(caps)``: Debian's containers-common default profile
  (Docker's format) turned into a runtime-spec ``linux.seccomp`` object, the
  way Podman does it for amd64.
* ``fs_mounted(type)``: whether a file system type is mounted.
* ``Agent``: a seccomp agent listening on a unix socket: it receives the
  container process state and the notify fd (SCM_RIGHTS) from the runtime,
  then answers the container's notified system calls.
"""

import errno
import fcntl
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PODMAN_PROFILE = "/usr/share/containers/seccomp.json"

# x86_64 system call numbers the tests use.  The probes are calls that
# busybox sh never makes itself and that are harmless with any arguments
# (they fail with EFAULT or EINVAL at worst, never with EXDEV).
NR = {"sched_yield": 24, "getcpu": 309, "times": 100, "sysinfo": 99, "getrusage": 98,
      "getitimer": 36, "getpriority": 140, "mkdir": 83, "mkdirat": 258, "execve": 59,
      "vmsplice": 278}

_probe = {}


def sysprobe(session_dir):
    """Path of the static sysprobe binary (skips the test without a C compiler)."""
    key = str(session_dir)
    if key not in _probe:
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            pytest.skip("SKIPPED: no C compiler to build tests/integration/sysprobe.c")
        out = Path(session_dir) / "sysprobe"
        res = subprocess.run([cc, "-static", "-O1", "-pthread", "-o", str(out), str(HERE / "sysprobe.c")],
                             capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip("SKIPPED: cannot build a static sysprobe (libc6-dev's libc.a missing?):\n" + res.stderr)
        _probe[key] = out
    return _probe[key]


def install_probe(bundle, session_dir):
    dst = bundle.r("bin/sysprobe")
    shutil.copy2(sysprobe(session_dir), dst)
    os.chmod(dst, 0o755)


def fs_mounted(fstype):
    """A file system of FSTYPE is mounted somewhere (resctrl, selinuxfs ...)."""
    with open("/proc/self/mountinfo") as f:
        return any(f" - {fstype} " in line for line in f)


def podman_profile(caps, arch="amd64"):
    """The containers-common profile for a process with CAPS, as runtime-spec JSON."""
    if not os.path.exists(PODMAN_PROFILE):
        pytest.skip(f"SKIPPED: {PODMAN_PROFILE} is missing (Debian package golang-github-containers-common)")
    src = json.loads(Path(PODMAN_PROFILE).read_text())
    out = {"defaultAction": src["defaultAction"], "syscalls": []}
    if src.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = src["defaultErrnoRet"]
    for a in src.get("archMap", []):
        if a["architecture"] == "SCMP_ARCH_X86_64":
            out["architectures"] = [a["architecture"]] + a.get("subArchitectures", [])
    for s in src["syscalls"]:
        inc, exc = s.get("includes") or {}, s.get("excludes") or {}
        if inc.get("arches") and arch not in inc["arches"]:
            continue
        if exc.get("arches") and arch in exc["arches"]:
            continue
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if exc.get("caps") and any(c in caps for c in exc["caps"]):
            continue
        rule = {"names": s["names"], "action": s["action"]}
        if s.get("errnoRet") is not None:
            rule["errnoRet"] = s["errnoRet"]
        if s.get("args"):
            rule["args"] = s["args"]
        out["syscalls"].append(rule)
    return out


# linux/seccomp.h
NOTIF = struct.Struct("=QIIiIQ6Q")          # struct seccomp_notif (80 bytes)
NOTIF_RESP = struct.Struct("=QqiI")         # struct seccomp_notif_resp (24 bytes)
IOCTL_NOTIF_RECV = 0xC0502100              # _IOWR('!', 0, struct seccomp_notif)
IOCTL_NOTIF_SEND = 0xC0182101              # _IOWR('!', 1, struct seccomp_notif_resp)
USER_NOTIF_FLAG_CONTINUE = 1


def notifications(fd, poll_ms, running=None):
    """Yield the notifications (NOTIF's fields) that arrive on the seccomp
    listener fd, until the filter has no users left.  Without `running`, a
    poll_ms without any also ends it; with it, that only re-checks running()
    and the end comes when it is false."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while running is None or running():
        ready = poller.poll(poll_ms)
        if not ready:
            if running is None:
                return
            continue
        if not ready[0][1] & select.POLLIN:
            return                          # POLLHUP: the filter has no users left
        buf = bytearray(NOTIF.size)
        try:
            fcntl.ioctl(fd, IOCTL_NOTIF_RECV, buf, True)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.EINTR):
                continue                    # its caller died before we read it
            return                          # no more users of the filter
        yield NOTIF.unpack(buf)


def respond(fd, nid, val=0, error=0, flags=0):
    """Answer notification nid (struct seccomp_notif_resp's fields); its
    caller may have died meanwhile."""
    try:
        fcntl.ioctl(fd, IOCTL_NOTIF_SEND, bytearray(NOTIF_RESP.pack(nid, val, error, flags)), True)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise


class Agent:
    """Listens on PATH.  decide(nr, args) returns ('errno', N), ('value', V)
    or ('continue',) for each notified system call; the default lets it run."""

    def __init__(self, path, decide=None, close_after=None):
        self.path = str(path)
        self.decide = decide or (lambda nr, args: ("continue",))
        self.close_after = close_after      # stop answering after N notifications
        self.message = None                 # the raw payload received
        self.state = None                   # ... parsed
        self.fd_count = 0
        self.notified = []                  # syscall numbers seen
        self.error = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.sock.settimeout(30)
            conn, _ = self.sock.accept()
            conn.settimeout(10)
            data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 4)
            while True:                     # the runtime closes the connection when done
                more = conn.recv(1 << 16)
                if not more:
                    break
                data += more
            conn.close()
            self.message = data
            self.fd_count = len(fds)
            self.state = json.loads(data)
            for extra in fds[1:]:
                os.close(extra)
            self._serve(fds[0])
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def _serve(self, fd):
        try:
            for nid, _pid, _fl, nr, _arch, _ip, *args in notifications(fd, 20000):
                self.notified.append(nr)
                if self.close_after is not None and len(self.notified) >= self.close_after:
                    return                  # closing the fd: the pending call fails with ENOSYS
                d = self.decide(nr, args)
                if d[0] == "errno":
                    respond(fd, nid, error=-d[1])
                elif d[0] == "value":
                    respond(fd, nid, val=d[1])
                else:
                    respond(fd, nid, flags=USER_NOTIF_FLAG_CONTINUE)
        finally:
            os.close(fd)

    def join(self, timeout=30):
        self.thread.join(timeout)
        self.sock.close()
        if self.error:
            raise self.error

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
