"""Regression tests for known classes of container runtime escapes.

Each test plays the attacker the CVE describes (an image, a container
process, or a racing volume, simulated with a hook where timing matters)
and checks that nothing outside the container is reached.  On a runtime
without the protection the assertion fails; on pith it holds.
"""

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import threading

import pytest

from console_socket import ConsoleReceiver
from pithtest import wait_for
from seccomp_helpers import USER_NOTIF_FLAG_CONTINUE, notifications, respond


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def without_mount(b, destination):
    """Drops the config's mount at DESTINATION (e.g. the /dev tmpfs, so that
    the image's own /dev is what the runtime works in)."""
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != destination]


def host_mounts_at(path):
    path = str(path)
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if l.split()[4] == path]


def escaping(path, depth=12):
    """A relative symlink target that climbs out of any rootfs to PATH."""
    return "../" * depth + str(path).lstrip("/")


# ---------------------------------------------------------------------------
# CVE-2019-5736: the pith binary through /proc/<pid>/exe

class ExecHoldingAgent:
    """A seccomp agent for a container whose filter notifies execve.  Every
    connection (the init's at `start`, then each exec's) gets its own
    thread; the calls of connection HOLD_CONN (0-based) are held at the
    first one - the exec child stopped in pith's code, already in the
    container - until on_hold(host_pid) returns.  Everything is let
    through (SECCOMP_USER_NOTIF_FLAG_CONTINUE)."""

    def __init__(self, path, hold_conn, on_hold):
        self.path = str(path)
        self.hold_conn = hold_conn
        self.on_hold = on_hold
        self.errors = []
        self.held = threading.Event()
        self.fds = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.sock.settimeout(1.0)
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        n = 0
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                conn.settimeout(10)
                _data, fds, _fl, _addr = socket.recv_fds(conn, 1 << 16, 4)
                while conn.recv(1 << 16):
                    pass
                conn.close()
                for extra in fds[1:]:
                    os.close(extra)
                self.fds.append(fds[0])
                threading.Thread(target=self._serve, args=(fds[0], n == self.hold_conn),
                                 daemon=True).start()
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(e)
            n += 1

    def _serve(self, fd, hold):
        for nid, pid, *_rest in notifications(fd, 500, lambda: not self.stop):
            if hold:
                hold = False
                try:
                    self.on_hold(pid)
                except Exception as e:  # noqa: BLE001
                    self.errors.append(e)
                self.held.set()
            try:
                respond(fd, nid, flags=USER_NOTIF_FLAG_CONTINUE)
            except OSError as e:
                self.errors.append(e)

    def close(self):
        self.stop = True
        self.sock.close()
        self.thread.join(5)
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass


def ns_pid(host_pid):
    """The pid of HOST_PID in its innermost pid namespace."""
    with open(f"/proc/{host_pid}/status") as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    raise AssertionError(f"no NSpid for {host_pid}")


ATTACKER = r"""
while [ ! -s /tmp/go ]; do usleep 20000; done
pid=$(cat /tmp/go)
{
  if (exec 3</proc/$pid/exe) 2>/dev/null; then exec 3</proc/$pid/exe; echo open-ok; else echo open-denied; fi
  (echo x >> /proc/$pid/exe) 2>/dev/null && echo write-now-ok
  readlink /proc/$pid/exe >/dev/null 2>&1 && echo readlink-ok
} > /tmp/result
touch /tmp/tried
while [ ! -e /tmp/later ]; do usleep 20000; done
{ [ -e /proc/self/fd/3 ] && (echo PWNED > /proc/self/fd/3) 2>/dev/null && echo later-write-ok; } >> /tmp/result
touch /tmp/finished
sleep 1000
"""


def test_exec_pith_binary_not_reachable_through_proc_exe(rt):
    """CVE-2019-5736 class: while `pith exec` runs its own code inside the
    container (stopped here, by a seccomp agent, at the execve of the
    program, already with the container's credentials), a container process
    must not open /proc/<pid>/exe of it - neither to write it now nor to
    keep an fd and rewrite the binary once pith is gone."""
    copy = rt.tmp("pith-copy")
    shutil.copy2(rt.binary, copy)
    os.chmod(copy, 0o755)
    before = sha256(copy)
    b = rt.bundle(script=ATTACKER, write=False)

    def on_hold(host_pid):
        b.r("tmp/go").write_text(str(ns_pid(host_pid)))
        wait_for(lambda: b.r("tmp/tried").exists(), 10, what="the attacker to try")

    agent = ExecHoldingAgent(rt.tmp("agent.sock"), hold_conn=1, on_hold=on_hold)
    try:
        b.linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                              "listenerPath": str(agent.path),
                              "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_NOTIFY"}]}
        b.write()
        rt.start_detached(b)
        argv = [str(copy), "--root", str(rt.root), "exec", "--detach", b.cid, "true"]
        res = rt.spawn_argv(argv).wait()
        assert agent.held.is_set(), f"the exec never reached its execve: {res!r}"
        res.ok()
        # No process runs the copy any more: nothing stops a write but pith's protection.
        rt.cli("exec", b.cid, "touch", "/tmp/later").ok()
        wait_for(lambda: b.r("tmp/finished").exists(), 10, what="the attacker to finish")
        assert not agent.errors, agent.errors
    finally:
        agent.close()
    result = b.r("tmp/result").read_text()
    assert "open-denied" in result and "open-ok" not in result, result
    assert "write-now-ok" not in result and "later-write-ok" not in result, result
    assert "readlink-ok" not in result, result
    assert sha256(copy) == before, "the pith binary was modified from inside the container"


@pytest.mark.parametrize("how", ["args", "image-symlink", "script-interpreter"])
def test_program_through_proc_magic_link_refused(rt, how):
    """CVE-2019-5736 class: the program of a container (or of an exec) must
    not be reached through a /proc magic link - named so, a symlink of the
    image, or the #! interpreter of a script of the image, the original
    exploit: /proc/self/exe is pith's own binary, which the container could
    then hold open and rewrite once pith is gone."""
    prog = {"args": "/proc/self/exe", "image-symlink": "evil", "script-interpreter": "evil"}[how]
    b, b2 = rt.bundle(args=["sleep", "1000"]), rt.bundle(args=[prog, "--version"])
    for bb in (b, b2):
        if how == "image-symlink":
            os.symlink("/proc/self/exe", bb.r("bin/evil"))
        elif how == "script-interpreter":
            bb.r("bin/evil").write_text("#!/proc/self/exe\n")
            os.chmod(bb.r("bin/evil"), 0o755)
    rt.start_detached(b)
    res = rt.cli("exec", b.cid, prog, "--version").failed()
    assert "magic link" in res.err, res
    res = rt.run(b2)
    assert res.rc != 0 and "magic link" in res.err and "pith version" not in res.out.lower(), res


# ---------------------------------------------------------------------------
# CVE-2024-21626: host fds and the working directory

LEAK_FD = 42


def leaky_spawn(rt, *args, hostdir, preserved_file):
    """Runs pith with fd 3 open on PRESERVED_FILE (to pass on with
    --preserve-fds 1) and fd LEAK_FD on the host directory HOSTDIR, which
    nobody asked to pass on."""
    keep = fcntl.fcntl(os.open(preserved_file, os.O_RDONLY | os.O_CLOEXEC), fcntl.F_DUPFD_CLOEXEC, 100)
    leak = fcntl.fcntl(os.open(hostdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), fcntl.F_DUPFD_CLOEXEC, 100)

    def child_setup():
        os.dup2(keep, 3)
        os.dup2(leak, LEAK_FD)
    try:
        # dup2 makes them inheritable; Python's own fds are not.
        return rt.spawn(*args, preexec_fn=child_setup, close_fds=False).wait()
    finally:
        os.close(keep)
        os.close(leak)


def fds_of(pid):
    res = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            res[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            pass
    return res


def test_no_host_fd_reaches_the_container(rt):
    """CVE-2024-21626 class: an fd pith inherited (here a host directory,
    not in --preserve-fds) must not be open in the container's process, nor
    in a process `exec` adds; the preserved one is.  A cwd of
    /proc/self/fd/N must not lead to the host directory."""
    hostdir = rt.tmp("hostdir")
    hostdir.mkdir()
    (hostdir / "host-secret").write_text("secret\n")
    preserved = rt.tmp("preserved")
    preserved.write_text("passed on\n")

    b = rt.bundle(args=["sleep", "1000"])
    rt.register_id(b.cid)
    leaky_spawn(rt, "create", "--bundle", b.path, "--preserve-fds", "1", b.cid,
                hostdir=hostdir, preserved_file=preserved).ok()
    rt.start(b.cid)
    fds = fds_of(rt.state(b.cid)["pid"])
    assert sorted(fds) == [0, 1, 2, 3], fds
    assert fds[3] == str(preserved)

    pidfile = rt.tmp("exec.pid")
    leaky_spawn(rt, "exec", "--detach", "--pid-file", pidfile, "--preserve-fds", "1", b.cid,
                "sleep", "1000", hostdir=hostdir, preserved_file=preserved).ok()
    fds = fds_of(int(pidfile.read_text()))
    assert sorted(fds) == [0, 1, 2, 3], fds
    assert fds[3] == str(preserved)

    # The working directory through the leaked fd: refused, or at least not the host's.
    res = leaky_spawn(rt, "exec", "--detach", "--pid-file", rt.tmp("cwd.pid"),
                      "--cwd", f"/proc/self/fd/{LEAK_FD}", b.cid, "sleep", "1000",
                      hostdir=hostdir, preserved_file=preserved)
    if res.rc == 0:
        cwd = os.readlink(f"/proc/{int(rt.tmp('cwd.pid').read_text())}/cwd")
        assert not cwd.startswith(str(hostdir)), f"exec got the host directory as its cwd: {cwd}"
    else:
        assert "cwd" in res.err, res

    b2 = rt.bundle(args=["sleep", "1000"], write=False)
    b2.process["cwd"] = f"/proc/self/fd/{LEAK_FD}"
    b2.write()
    rt.register_id(b2.cid)
    res = leaky_spawn(rt, "create", "--bundle", b2.path, b2.cid,
                      hostdir=hostdir, preserved_file=preserved)
    if res.rc == 0:
        rt.start(b2.cid)
        cwd = os.readlink(f"/proc/{rt.state(b2.cid)['pid']}/cwd")
        assert not cwd.startswith(str(hostdir)), f"the container got the host directory as its cwd: {cwd}"
    else:
        assert "cwd" in res.err, res


# ---------------------------------------------------------------------------
# CVE-2025-31133: maskedPaths and the /dev/null they are masked with

def test_masked_paths_not_redirected(rt):
    """CVE-2025-31133 class: a masked path that is a symlink in the image
    (to the host path of a file, absolute or climbing with ../) masks what
    is at that path in the container, never a host file; and the /dev/null
    bound over masked files is the null device even when the container's
    /dev/null was swapped (here by a createContainer hook, standing for a
    racing volume) for a symlink to a host file before the masking."""
    host_file = rt.tmp("host-file")
    host_file.write_text("HOST\n")
    swapped_to = rt.tmp("host-null-target")
    swapped_to.write_text("HOST2\n")

    b = rt.bundle(script="for p in /etc/mask-abs /etc/mask-rel /etc/secret; do "
                         "echo \"$p $(stat -L -c '%F %t:%T' $p) [$(cat $p)]\"; done; "
                         "(echo pwned > /etc/secret) 2>/dev/null; echo end", write=False)
    os.symlink(str(host_file), b.r("etc/mask-abs"))
    os.symlink(escaping(host_file), b.r("etc/mask-rel"))
    b.r("etc/secret").write_text("SECRET\n")
    # What the symlinks lead to inside the rootfs: a runtime following them
    # on the host would leave these unmasked.
    inside = b.r(str(host_file))
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text("INSIDE\n")
    b.linux["maskedPaths"] += ["/etc/mask-abs", "/etc/mask-rel", "/etc/secret"]
    hook = rt.tmp("swap-dev-null")
    hook.write_text(f"#!/bin/sh\nrm -f {b.rootfs}/dev/null\nln -s {swapped_to} {b.rootfs}/dev/null\n")
    os.chmod(hook, 0o755)
    b.add_hook("createContainer", hook)
    b.write()

    res = rt.run(b)
    assert res.rc == 0, res
    lines = {l.split()[0]: l for l in res.out.splitlines() if l.startswith("/etc/")}
    for p in ("/etc/mask-abs", "/etc/mask-rel", "/etc/secret"):
        assert lines[p] == f"{p} character special file 1:3 []", res.out
    assert host_file.read_text() == "HOST\n" and not host_mounts_at(host_file)
    assert swapped_to.read_text() == "HOST2\n", "the masking source was the container's swapped /dev/null"
    assert b.r("etc/secret").read_text() == "SECRET\n"


# ---------------------------------------------------------------------------
# CVE-2025-52565: /dev/console

@pytest.mark.parametrize("target", ["in-rootfs", "escaping"])
def test_console_not_redirected(rt, target):
    """CVE-2025-52565 class: an image whose /dev/console is a symlink (to
    a file of the image, or climbing out towards a host file) must not get
    the terminal bound over the symlink's target: /dev/console itself is the
    pty, the target is untouched."""
    host_file = rt.tmp("host-console-target")
    host_file.write_text("HOST\n")
    # cat only what is a regular file: a pty bound there would block it.
    show = "for f in /etc/evil /{0}; do echo \"$f=$(stat -c %F $f)[$([ -f $f ] && cat $f)]\"; done; "
    b = rt.bundle(script=show.format(str(host_file).lstrip("/"))
                  + "stat -L -c 'console %F %t' /dev/console; echo end-marker; sleep 1000", write=False)
    without_mount(b, "/dev")
    b.process["terminal"] = True
    b.r("etc/evil").write_text("EVIL\n")
    inside = b.r(str(host_file))
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text("INSIDE\n")
    os.symlink("/etc/evil" if target == "in-rootfs" else escaping(host_file), b.r("dev/console"))
    b.write()
    console = ConsoleReceiver(rt.tmp("console.sock"))
    try:
        rt.create(b, "--console-socket", console.path)
        console.wait_master()
        rt.start(b.cid)
        out = console.read_until("end-marker")
    finally:
        console.close()
    assert "/etc/evil=regular file[EVIL]" in out, out
    assert f"{host_file}=regular file[INSIDE]" in out, out
    assert "console character special file 88" in out, out
    assert host_file.read_text() == "HOST\n" and not host_mounts_at(host_file)


# ---------------------------------------------------------------------------
# CVE-2025-52881: writes to procfs

@pytest.mark.parametrize("cover", ["file-over-key", "tmpfs-over-proc-sys"])
def test_sysctl_written_to_procfs_only(rt, cover):
    """CVE-2025-52881 class: a mount over /proc/sys (a host file bound over
    the key, or a tmpfs over the whole directory) must not take the value of
    a linux.sysctl entry: pith refuses, naming the key, or the kernel gets
    it - never the file."""
    host_file = rt.tmp("fake-ip-forward")
    host_file.write_text("HOST\n")
    b = rt.bundle(args=["sleep", "1000"], write=False)
    if cover == "file-over-key":
        b.add_mount("/proc/sys/net/ipv4/ip_forward", "bind", host_file, ["bind"])
    else:
        b.add_mount("/proc/sys", "tmpfs", "tmpfs", ["size=64k"])
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1"}
    b.write()
    res = rt.create(b, check=False)
    assert host_file.read_text() == "HOST\n", "the sysctl went into the file mounted over /proc/sys"
    if res.rc != 0:
        assert "ip_forward" in res.err or "net.ipv4.ip_forward" in res.err, res
        return
    pid = rt.state(b.cid)["pid"]
    real = subprocess.run(["nsenter", "-t", str(pid), "-n", "cat", "/proc/sys/net/ipv4/ip_forward"],
                          capture_output=True, text=True, check=True).stdout
    assert real.strip() == "1", "the sysctl did not reach the container's network namespace"


# ---------------------------------------------------------------------------
# /dev symlinks and linux.devices

@pytest.mark.parametrize("link", ["node", "dev-dir"])
def test_device_nodes_stay_in_the_rootfs(rt, link):
    """The /dev symlink class: an image whose /dev/xyz (or /dev itself) is a
    symlink climbing out to a host directory must get its device nodes
    inside its own /dev, never in the host directory."""
    hostdir = rt.tmp("host-dev")
    hostdir.mkdir()
    b = rt.bundle(script="echo xyz=$(stat -c '%F %t:%T' /dev/xyz) null=$(stat -c '%F %t:%T' /dev/null)",
                  write=False)
    without_mount(b, "/dev")
    if link == "node":
        os.symlink(escaping(hostdir / "x"), b.r("dev/xyz"))
    else:
        shutil.rmtree(b.r("dev"))
        os.symlink(escaping(hostdir), b.r("dev"))
    b.linux["devices"] = [{"path": "/dev/xyz", "type": "c", "major": 1, "minor": 3,
                           "fileMode": 0o666, "uid": 0, "gid": 0}]
    b.write()
    res = rt.run(b)
    assert os.listdir(hostdir) == [], f"device nodes made in the host directory: {os.listdir(hostdir)}"
    assert res.rc == 0, res
    assert "xyz=character special file 1:3 null=character special file 1:3" in res.out, res.out


# ---------------------------------------------------------------------------
# Paths in the rootfs are resolved in the rootfs

def test_mount_destinations_resolved_in_the_rootfs(rt):
    """Every path of the rootfs is resolved inside it: a mount destination
    that is a symlink climbing out to a host directory gets the mount at the
    symlink's target inside the rootfs, and the host directory is left
    alone.  The same for a bind mount, and tmpcopyup copies into the new
    mount, not into what a second lookup would find."""
    hostdir = rt.tmp("host-target")
    hostdir.mkdir()
    (hostdir / "keep").write_text("host\n")
    src = rt.tmp("bind-src")
    src.mkdir()
    (src / "from-bind").write_text("bind\n")
    inner = "/" + str(hostdir).lstrip("/")
    b = rt.bundle(script=f"stat -f -c %T {inner}/tmp; ls {inner}/bind; ls {inner}/tmp; echo end",
                  write=False)
    os.symlink(escaping(hostdir), b.r("mnt/out"))
    b.r(str(hostdir)).mkdir(parents=True)
    b.r(str(hostdir / "tmp")).mkdir()
    b.r(str(hostdir / "tmp" / "copied-up")).write_text("x\n")
    b.add_mount("/mnt/out/tmp", "tmpfs", "tmpfs", ["tmpcopyup", "size=64k"])
    b.add_mount("/mnt/out/bind", "bind", src, ["bind"])
    b.write()
    res = rt.run(b)
    assert res.rc == 0, res
    words = res.out.split()
    assert words[0] == "tmpfs" and "from-bind" in words and "copied-up" in words, res.out
    assert sorted(os.listdir(hostdir)) == ["keep"] and not host_mounts_at(hostdir / "tmp")
