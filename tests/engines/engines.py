"""Drivers for the engine tests: the runtime under test, Podman and containerd.

Everything an engine writes goes to a private directory made per session:
Podman gets its own --root, --runroot, --tmpdir, containers.conf and
storage.conf; containerd its own root, state, sockets and config, started and
stopped by the session fixture.  The runtime under test keeps its state in
its default root (/run/pith, /run/runc): Podman's cleanup process calls the
runtime without the flags Podman was given, so a private --root would not be
seen at delete time.  Leaks are therefore looked up by container id.

What is left on the host is found by ``HostSnapshot`` (paths that did not
exist before the session) and by the per-test leak checks in conftest.py.
"""

import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent.parent
CONTRIB = TOP / "contrib"
CGROUP_ROOT = Path("/sys/fs/cgroup")
CMD_TIMEOUT = 60

# shared with the integration suite; the tests use them as engines.wait_for etc.
sys.path.insert(0, str(TOP / "tests" / "integration"))
import pithtest  # noqa: E402
from pithtest import (cgroup_all_mounts, configure_runtime, mounts_under,  # noqa: E402,F401
                      remove_cgroup_tree, umount_all_under, wait_for)


class Result(pithtest.Result):
    """The integration suite's, shown shorter: engines say a lot."""

    def __repr__(self):
        return (f"<{' '.join(map(str, self.argv[:6]))}... rc={self.rc} "
                f"out={self.out[-400:]!r} err={self.err[-800:]!r}>")


def run_cmd(argv, env=None, timeout=CMD_TIMEOUT, input=None, cwd=None):
    """Run a command to completion; stdout/stderr through files so that a
    detached process that inherits them cannot make us hang."""
    t0 = time.monotonic()
    import tempfile
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([str(a) for a in argv], stdout=out, stderr=err, env=env,
                             stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                             cwd=cwd, start_new_session=True)
        try:
            p.communicate(input.encode() if isinstance(input, str) else input, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise AssertionError(f"timed out after {timeout}s: {' '.join(map(str, argv))}")
        out.seek(0)
        err.seek(0)
        res = Result(argv, p.returncode, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"), time.monotonic() - t0)
    print(f"[{res.elapsed:.2f}s] rc={res.rc} {' '.join(map(str, argv))}")
    if res.err.strip():
        print("  stderr: " + res.err.strip()[-2000:].replace("\n", "\n          "))
    return res


def run_in_pty(argv, env=None, timeout=CMD_TIMEOUT, send=None, rows=24, cols=80):
    """Run argv with a new pty as its controlling terminal and stdin/out/err;
    return (rc, output).  `send` is written to the terminal once started."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def child_setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([str(a) for a in argv], stdin=slave, stdout=slave, stderr=slave,
                         env=env, preexec_fn=child_setup, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    sent = send is None
    try:
        while True:
            if not sent and time.monotonic() > deadline - timeout + 0.5:
                os.write(master, send.encode())
                sent = True
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif p.poll() is not None:
                # drain what is left
                try:
                    while select.select([master], [], [], 0.2)[0]:
                        data = os.read(master, 4096)
                        if not data:
                            break
                        chunks.append(data)
                except OSError:
                    pass
                break
            if time.monotonic() > deadline:
                p.kill()
                raise AssertionError(f"timed out in a pty: {argv}")
        rc = p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    out = b"".join(chunks).decode(errors="replace")
    print(f"pty rc={rc} {' '.join(map(str, argv))}\n  output: {out!r}")
    return rc, out


# --------------------------------------------------------------------------
# the runtime under test

class RuntimeUnderTest:
    """The runtime binary and what it supports, probed once."""

    def __init__(self, path):
        self.path = str(path)
        self.name = os.path.basename(self.path)
        self.is_runc = self.name == "runc"
        self.state_root = "/run/runc" if self.is_runc else "/run/pith"
        self._cmd_cache = {}
        res = run_cmd([self.path, "features"])
        try:
            self.features = json.loads(res.out) if res.rc == 0 else {}
        except ValueError:
            self.features = {}

    def has_command(self, cmd):
        """`RT CMD --help` exits 0 (runc), or at least does not say the
        command is unknown (pith's commands did not take --help at first)."""
        if cmd not in self._cmd_cache:
            res = run_cmd([self.path, cmd, "--help"], timeout=10)
            self._cmd_cache[cmd] = res.rc == 0 or (
                "unknown command" not in (res.err + res.out).lower()
                and "no help topic" not in (res.err + res.out).lower())
        return self._cmd_cache[cmd]

    def has_global_flag(self, *argv):
        """The runtime accepts these global flags (probed with `list`)."""
        key = ("flag",) + argv
        if key not in self._cmd_cache:
            res = run_cmd([self.path, "--root", "/run/pith-probe-nonexistent", *argv, "list"],
                          timeout=10)
            self._cmd_cache[key] = "unknown" not in (res.err + res.out).lower() and \
                "not defined" not in (res.err + res.out).lower()
        return self._cmd_cache[key]

    def feature(self, *path):
        cur = self.features
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                return None
            cur = cur[p]
        return cur

    @property
    def seccomp(self):
        if self.is_runc:
            return True
        return bool(self.feature("linux", "seccomp", "enabled"))

    def mentions(self, text):
        """The binary (or libpith, when it is linked dynamically) contains
        `text`: a probe for features that have no flag of their own."""
        blobs = [self.path]
        try:
            ldd = subprocess.run(["ldd", self.path], capture_output=True, text=True).stdout
            blobs += re.findall(r"=> (\S*libpith\S*)", ldd)
        except OSError:
            pass
        for b in blobs:
            try:
                if text.encode() in Path(b).read_bytes():
                    return True
            except OSError:
                pass
        return False

    def state_dirs(self):
        try:
            return set(os.listdir(self.state_root))
        except FileNotFoundError:
            return set()


def need(rt, what, ok):
    """Skip (loudly) when the runtime lacks a feature the case needs."""
    import pytest
    if not ok:
        pytest.skip(f"{rt.name} lacks {what}: this case runs once it lands")


# --------------------------------------------------------------------------
# host bookkeeping

def cgroup_dirs_named(rel):
    """Existing directories /sys/fs/cgroup/<hierarchy>/<rel>."""
    out = []
    for mp in sorted(set(cgroup_all_mounts().values())):
        p = os.path.join(mp, rel.strip("/"))
        if rel.strip("/") and os.path.isdir(p):
            out.append(p)
    return out


def pids_matching(*needles):
    """Live pids whose command line contains every needle."""
    res = []
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            continue
        if all(n in cmd for n in needles):
            res.append((int(d), cmd.strip()))
    return res


def kill_pids(pids):
    for pid, _cmd in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class HostSnapshot:
    """Remembers which of some host paths exist, to remove at the end the
    ones an engine created (e.g. Podman's blob-info cache under
    /var/lib/containers, containerd's /run/containerd)."""

    PATHS = ["/var/lib/containers", "/run/containerd", "/run/libpod",
             "/var/lib/cni", "/run/pith", "/run/runc", "/etc/cni/net.d/cni.lock"]

    def __init__(self):
        self.existed = {p: os.path.lexists(p) for p in self.PATHS}

    def new_paths(self):
        return [p for p, e in self.existed.items() if not e and os.path.lexists(p)]

    def restore(self):
        for p in self.new_paths():
            if p.startswith("/run/"):
                # runtime roots and daemon dirs: something else may be using
                # them by now, so only empty directories go
                for dirpath, _d, _f in sorted(os.walk(p), key=lambda t: -t[0].count("/")):
                    try:
                        os.rmdir(dirpath)
                    except OSError:
                        pass
                continue
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    os.unlink(p)
                except OSError:
                    pass


def rlimit_ulimits():
    """containers.conf default_ulimits that do not exceed this process's hard
    limits: without CAP_SYS_RESOURCE (as in some sandboxes) Podman's defaults
    (1048576) cannot be set and every container would fail."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nofile = 1048576 if nofile == resource.RLIM_INFINITY else min(nofile, 1048576)
    nproc = 4096 if nproc == resource.RLIM_INFINITY else min(nproc, 4096)
    return [f"nofile={nofile}:{nofile}", f"nproc={nproc}:{nproc}"]


def has_cap_sys_resource():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) & (1 << 24))
    return False


# --------------------------------------------------------------------------
# Podman

class Podman:
    """Podman with a private root, runroot, tmpdir, storage.conf and
    containers.conf (contrib/podman/containers.conf plus test settings)."""

    def __init__(self, base, runtime, cgroup_parent):
        self.base = Path(base)
        self.rt = runtime
        self.cgroup_parent = cgroup_parent
        for d in ("root", "runroot", "tmp", "netconf", "volumes", "home"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        self.conf = self.base / "containers.conf"
        self.conf.write_text(self.containers_conf())
        self.storage_conf = self.base / "storage.conf"
        self.storage_conf.write_text(
            '[storage]\ndriver = "vfs"\n'
            f'runroot = "{self.base}/runroot"\ngraphroot = "{self.base}/root"\n')
        self.registries_conf = self.base / "registries.conf"
        self.registries_conf.write_text('unqualified-search-registries = []\n')
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(self.base / "home"),
            "CONTAINERS_CONF": str(self.conf),
            "CONTAINERS_STORAGE_CONF": str(self.storage_conf),
            "CONTAINERS_REGISTRIES_CONF": str(self.registries_conf),
            "XDG_RUNTIME_DIR": str(self.base / "tmp"),
        }
        self.image = "localhost/pith-busybox:latest"

    def containers_conf(self):
        """contrib's snippet, with the settings a systemd-less test host needs
        put into its [engine] table, and a [containers] table added."""
        contrib = (CONTRIB / "podman" / "containers.conf").read_text()
        engine = "\n".join([
            "# --- added by tests/engines: no systemd, private directories",
            'cgroup_manager = "cgroupfs"',
            'events_logger = "file"',
            f'events_logfile_path = "{self.base}/events.log"',
            f'tmp_dir = "{self.base}/tmp"',
            f'volume_path = "{self.base}/volumes"',
            f'static_dir = "{self.base}/root/libpod"',
            'no_pivot_root = false',
            "",
        ])
        assert "\n[engine]\n" in "\n" + contrib, "contrib/podman/containers.conf has no [engine] table"
        text = ("\n" + contrib).replace("\n[engine]\n", "\n[engine]\n" + engine, 1).lstrip("\n")
        # `--runtime pith` (by name) finds the binary under test first
        assert "\npith = [" in text, "contrib/podman/containers.conf has no runtimes.pith"
        text = text.replace("\npith = [", f'\npith = ["{self.rt.path}", ', 1)
        ulimits = ", ".join(f'"{u}"' for u in rlimit_ulimits())
        text += "\n".join([
            "",
            "[containers]",
            'netns = "none"',
            'log_driver = "k8s-file"',
            f"default_ulimits = [{ulimits}]",
            "",
            "[network]",
            f'network_config_dir = "{self.base}/netconf"',
            "",
        ])
        return text

    def argv(self, *args, runtime=None):
        """runtime: the --runtime value, by default the path of the runtime
        under test (Podman also takes a name from [engine.runtimes])."""
        return ["podman", "--root", self.base / "root", "--runroot", self.base / "runroot",
                "--tmpdir", self.base / "tmp", "--storage-driver", "vfs",
                "--runtime", runtime or self.rt.path, "--cgroup-manager", "cgroupfs",
                "--events-backend", "file", *args]

    def __call__(self, *args, timeout=CMD_TIMEOUT, input=None, env=None, runtime=None):
        e = dict(self.env)
        if env:
            e.update(env)
        return run_cmd(self.argv(*args, runtime=runtime), env=e, timeout=timeout, input=input)

    def ok(self, *args, **kw):
        return self(*args, **kw).ok()

    def container_flags(self, seccomp=None):
        """Flags every test container gets: our cgroup parent, and, while the
        runtime cannot apply seccomp, an unconfined profile (Podman sends its
        default profile otherwise, which such a runtime must refuse)."""
        flags = [f"--cgroup-parent={self.cgroup_parent}"]
        if seccomp is None and not self.rt.seccomp:
            flags += ["--security-opt", "seccomp=unconfined"]
        return flags

    def run(self, *args, rm=True, seccomp=None, timeout=CMD_TIMEOUT, env=None, image=None,
            input=None):
        """`podman run [--rm] <test flags> ARGS...`; ARGS holds the run flags,
        then the image is inserted before the first non-flag... so callers pass
        (flags..., "--", command...)."""
        flags, cmd = split_cmd(args)
        argv = ["run"] + (["--rm"] if rm else []) + self.container_flags(seccomp) + \
            flags + [image or self.image] + cmd
        return self(*argv, timeout=timeout, env=env, input=input)

    def inspect(self, name, fmt):
        return self.ok("inspect", "--format", fmt, name).out.strip()

    def container_ids(self):
        res = self("ps", "-a", "--no-trunc", "--format", "{{.ID}}")
        return set(res.out.split()) if res.rc == 0 else set()


def split_cmd(args):
    args = list(args)
    if "--" in args:
        i = args.index("--")
        return args[:i], args[i + 1:]
    return [], args


# --------------------------------------------------------------------------
# containerd

class Containerd:
    """A private containerd: its own config, root, state and sockets."""

    NS = "pith-engines"

    def __init__(self, base, runtime):
        self.base = Path(base)
        self.rt = runtime
        self.sock = self.base / "containerd.sock"
        self.proc = None
        self.logf = None
        self.image = "localhost/pith-busybox:latest"
        self.ns = f"{self.NS}-{os.getpid()}"

    def config(self):
        b = self.base
        return "\n".join([
            "version = 2",
            f'root = "{b}/root"',
            f'state = "{b}/state"',
            "disabled_plugins = [",
            '  "io.containerd.grpc.v1.cri",',
            '  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",',
            '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",',
            '  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",',
            "]",
            "[grpc]",
            f'  address = "{self.sock}"',
            "[ttrpc]",
            f'  address = "{self.sock}.ttrpc"',
            "[debug]",
            '  address = ""',
            '  level = "info"',
            "[metrics]",
            '  address = ""',
            '[plugins."io.containerd.internal.v1.opt"]',
            f'  path = "{b}/opt"',
            # cgroup v1 host without systemd: cgroupfs paths, the daemon itself
            # stays where it was started.
            "[cgroup]",
            '  path = ""',
            "",
        ])

    def start(self):
        self.base.mkdir(parents=True, exist_ok=True)
        cfg = self.base / "config.toml"
        cfg.write_text(self.config())
        self.logf = open(self.base / "containerd.log", "wb")
        self.proc = subprocess.Popen(["containerd", "--config", str(cfg)],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(lambda: self.proc.poll() is not None or
                     (self.sock.exists() and self.ctr("version").rc == 0),
                     20, 0.1, "containerd to answer")
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            raise RuntimeError("containerd exited at start:\n" + self.log_tail())

    def log_tail(self, n=40):
        try:
            return "\n".join((self.base / "containerd.log").read_text(errors="replace")
                             .splitlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.logf:
            self.logf.close()
            self.logf = None

    def argv(self, *args):
        return ["ctr", "--address", self.sock, "--namespace", self.ns, *args]

    def ctr(self, *args, timeout=CMD_TIMEOUT, input=None):
        return run_cmd(self.argv(*args), timeout=timeout, input=input)

    def ok(self, *args, **kw):
        return self.ctr(*args, **kw).ok()

    def runtime_flags(self):
        return ["--runtime", "io.containerd.runc.v2", "--runc-binary", self.rt.path]

    def run(self, cid, *args, rm=True, timeout=CMD_TIMEOUT, image=None):
        """`ctr run [--rm] --runtime io.containerd.runc.v2 --runc-binary RT
        FLAGS IMAGE ID CMD...` with args as (flags..., "--", cmd...)."""
        flags, cmd = split_cmd(args)
        argv = ["run"] + (["--rm"] if rm else []) + self.runtime_flags() + flags + \
            [image or self.image, cid] + cmd
        return self.ctr(*argv, timeout=timeout)

    def tasks(self):
        """{id: status} of the tasks in our namespace."""
        res = self.ctr("tasks", "ls")
        out = {}
        for line in res.out.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                out[f[0]] = f[2]
        return out

    def containers(self):
        return set(self.ctr("containers", "ls", "-q").out.split())

    def remove_all(self, ids=None):
        """Kill and delete every task and container (of `ids`, or all)."""
        for cid, status in self.tasks().items():
            if ids is not None and cid not in ids:
                continue
            if status == "PAUSED":
                self.ctr("tasks", "resume", cid)
            if status != "STOPPED":
                self.ctr("tasks", "kill", "-a", "-s", "SIGKILL", cid)
                try:
                    wait_for(lambda: self.tasks().get(cid) in (None, "STOPPED"), 5, 0.1,
                             f"task {cid} to stop")
                except AssertionError:
                    pass
            self.ctr("tasks", "delete", "-f", cid)
        for cid in self.containers():
            if ids is None or cid in ids:
                self.ctr("containers", "delete", cid)

    def runtime_state_dirs(self):
        """The runtime's state, which the runc v2 shim keeps in
        /run/containerd/runc/<namespace>."""
        d = Path("/run/containerd/runc") / self.ns
        try:
            return set(os.listdir(d))
        except FileNotFoundError:
            return set()


class NotifyListener:
    """A datagram unix socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.messages = []

    def collect(self, timeout=10.0, until=()):
        """Receive until every string in `until` was in some message."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.sock], [], [], 0.1)
            if r:
                self.messages.append(self.sock.recv(4096).decode(errors="replace"))
                if until and all(any(u in m for m in self.messages) for u in until):
                    break
        return self.messages

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
