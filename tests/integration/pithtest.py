"""Helpers for the pith integration suite.

Everything a test needs to drive the runtime binary lives here:

* ``default_config()`` builds a runc-like config.json dict (busybox friendly),
* ``Bundle`` is one bundle directory (busybox rootfs + config) with tweak helpers,
* ``Runtime`` runs the binary under a private ``--root``, remembers every
  container id it was asked to create, and knows how to find (and remove)
  whatever a test left behind: state dirs, cgroups, mounts, processes.

The runtime under test comes from the PITH environment variable (see
conftest.py).  Nothing here is pith specific beyond the CLI contract, so the
suite can be pointed at runc for a sanity check.
"""

import ctypes
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

BUSYBOX = "/bin/busybox"
CGROUP_ROOT = "/sys/fs/cgroup"
TEST_CGROUP_PARENT = "pith-test"       # every test container: /pith-test/<id>
DEFAULT_CGROUP_PARENT = "pith"         # pith's default when cgroupsPath is unset
DEFAULT_STATE_ROOT = "/run/pith"
MARKER_VAR = "PITH_TEST_MARKER"
CMD_TIMEOUT = 30.0

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Capability numbers from linux/capability.h.
CAPS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2,
    "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6,
    "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_LINUX_IMMUTABLE": 9,
    "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11, "CAP_NET_ADMIN": 12,
    "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18,
    "CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21,
    "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23, "CAP_SYS_RESOURCE": 24,
    "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
    "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30,
    "CAP_SETFCAP": 31, "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33,
    "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35, "CAP_BLOCK_SUSPEND": 36,
    "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
    "CAP_CHECKPOINT_RESTORE": 40,
}

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
]
READONLY_PATHS = [
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
]

ALL_NAMESPACES = ["pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time"]
# config namespace type -> /proc/<pid>/ns/<name>
NS_PROC_NAME = {
    "pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts",
    "mount": "mnt", "cgroup": "cgroup", "user": "user", "time": "time",
}

RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# --------------------------------------------------------------------------
# small utilities

def configure_runtime(config, suite, fallback=None):
    """pytest_configure of a suite run as root against $PITH (a path, or a
    name in PATH, e.g. runc); without PITH, `fallback` from PATH.  Sets
    config.pith_binary, or stops the run saying what to do."""
    import pytest
    config.pith_binary = None
    if os.geteuid() != 0:
        raise pytest.UsageError(f"{suite} must run as root")
    want = os.environ.get("PITH")
    if not want:
        path = shutil.which(fallback) if fallback else None
        if not path:
            raise pytest.UsageError(
                "no runtime to test: set PITH=/path/to/pith (or PITH=runc to check the "
                "tests themselves)" + (f"; there is no {fallback!r} in PATH" if fallback else ""))
        config.pith_binary = path
        return
    path = want if os.sep in want else shutil.which(want)
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise pytest.UsageError(f"PITH={want!r}: no such executable")
    config.pith_binary = os.path.abspath(path)


def wait_for(pred, timeout=5.0, interval=0.02, what="condition"):
    """Poll pred() until it returns a truthy value; return it or raise."""
    deadline = time.monotonic() + timeout
    while True:
        val = pred()
        if val:
            return val
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def cap_mask(names):
    mask = 0
    for n in names:
        mask |= 1 << CAPS[n]
    return mask


def proc_status_fields(text):
    """Parse /proc/<pid>/status-like 'Key:\tvalue' text into a dict."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def ns_inode(link_text):
    """'net:[4026531840]' -> 4026531840"""
    m = re.search(r"\[(\d+)\]", link_text)
    assert m, f"not a namespace link: {link_text!r}"
    return int(m.group(1))


def host_ns_inode(ns_type, pid="self"):
    return ns_inode(os.readlink(f"/proc/{pid}/ns/{NS_PROC_NAME[ns_type]}"))


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return False
    state = data.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def cgroup_v1_mounts():
    """{controller-or-name: mountpoint} for every cgroup v1 hierarchy."""
    res = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fstype, _src, superopts = right.split()[:3]
            if fstype != "cgroup":
                continue
            mnt = unescape_mount(left.split()[4])
            for opt in superopts.split(","):
                if opt in ("rw", "ro") or opt.startswith("release_agent") \
                        or opt in ("noprefix", "clone_children", "xattr"):
                    continue
                res[opt] = mnt
    return res


def cgroup_all_mounts():
    """cgroup_v1_mounts() plus the cgroup2 mount(s), keyed 'unified' (hybrid
    hosts) - a runtime may leave directories behind in either."""
    res = dict(cgroup_v1_mounts())
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] == "cgroup2":
                res.setdefault("unified", unescape_mount(left.split()[4]))
    return res


def remove_cgroup_tree(path, errors):
    """Remove the cgroup directory path and all below it, deepest first,
    thawing v1 freezers first; a directory that stays busy (its processes
    still exiting) goes to errors after 2 s."""
    deepest_first = sorted(os.walk(path), key=lambda t: -t[0].count("/"))
    for dirpath, _dirs, _files in deepest_first:
        freezer = os.path.join(dirpath, "freezer.state")
        if os.path.exists(freezer):
            try:
                Path(freezer).write_text("THAWED")
            except OSError:
                pass
    for dirpath, _dirs, _files in deepest_first:
        for attempt in range(40):
            try:
                os.rmdir(dirpath)
                break
            except FileNotFoundError:
                break
            except OSError as e:
                if attempt == 39:
                    errors.append(f"rmdir {dirpath}: {e}")
                time.sleep(0.05)


def own_cgroup_v1(controller):
    """The calling process's cgroup path in a v1 hierarchy (e.g. '/')."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _h, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(",") or (controller == "unified" and ctrls == ""):
                return path
    return "/"


def unescape_mount(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mountinfo_lines():
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


def mounts_under(prefix):
    """Mount points at or below prefix (host mount namespace), deepest first."""
    prefix = str(prefix).rstrip("/")
    res = []
    for line in mountinfo_lines():
        mp = unescape_mount(line.split()[4])
        if mp == prefix or mp.startswith(prefix + "/"):
            res.append(mp)
    return sorted(set(res), key=lambda p: p.count("/"), reverse=True)


_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


def umount_lazy(path):
    if _libc.umount2(str(path).encode(), MNT_DETACH) != 0:
        e = ctypes.get_errno()
        if e not in (errno.EINVAL, errno.ENOENT):
            raise OSError(e, os.strerror(e), str(path))


def umount_all_under(prefix, errors):
    """Detach every mount at or below prefix; failures go to errors."""
    for mp in mounts_under(prefix):
        try:
            umount_lazy(mp)
        except OSError as e:
            errors.append(f"umount {mp}: {e}")


def mount_cmd(*args):
    subprocess.run(["mount", *args], check=True, capture_output=True)


# --------------------------------------------------------------------------
# config + bundle

def default_config(args=("sh",), cgroups_path=None, marker=None):
    """A runc-like default config for a busybox rootfs (terminal off)."""
    env = ["PATH=" + DEFAULT_PATH, "TERM=xterm"]
    if marker:
        env.append(f"{MARKER_VAR}={marker}")
    cfg = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": env,
            "cwd": "/",
            "capabilities": {k: list(DEFAULT_CAPS) for k in
                             ("bounding", "effective", "inheritable",
                              "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "pith-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        },
    }
    if cgroups_path:
        cfg["linux"]["cgroupsPath"] = cgroups_path
    return cfg


_busybox_template = {}


def busybox_template(session_dir):
    """A pristine rootfs/bin built once per session and hard-linked per bundle."""
    key = str(session_dir)
    if key in _busybox_template:
        return _busybox_template[key]
    tdir = Path(session_dir) / "busybox-template"
    tdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, tdir / "busybox")
    os.chmod(tdir / "busybox", 0o755)
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True,
                             text=True, check=True).stdout.split()
    _busybox_template[key] = (tdir / "busybox", [a for a in applets if a != "busybox"])
    return _busybox_template[key]


def make_rootfs(rootfs, session_dir):
    src, applets = busybox_template(session_dir)
    for d in ("bin", "dev", "proc", "sys", "etc", "root", "mnt", "run", "var"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    (rootfs / "tmp").mkdir(exist_ok=True)
    os.chmod(rootfs / "tmp", 0o1777)
    try:
        os.link(src, rootfs / "bin" / "busybox")
    except OSError:
        shutil.copy2(src, rootfs / "bin" / "busybox")
    for a in applets:
        os.symlink("busybox", rootfs / "bin" / a)
    (rootfs / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")


class Bundle:
    """One bundle directory: <path>/config.json + <path>/rootfs."""

    def __init__(self, path, cid, config):
        self.path = Path(path)
        self.rootfs = self.path / "rootfs"
        self.cid = cid
        self.config = config

    # -- files
    @property
    def config_path(self):
        return self.path / "config.json"

    def write(self):
        self.config_path.write_text(json.dumps(self.config, indent=2))
        return self

    def r(self, p):
        """Host path of a path inside the rootfs."""
        return self.rootfs / str(p).lstrip("/")

    # -- tweaks
    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config.setdefault("linux", {})

    def set_args(self, *args):
        self.process["args"] = list(args)
        return self

    def set_script(self, script):
        return self.set_args("sh", "-c", script)

    def set_env(self, name, value):
        env = [e for e in self.process.get("env", []) if not e.startswith(name + "=")]
        env.append(f"{name}={value}")
        self.process["env"] = env
        return self

    def namespaces(self):
        return [n["type"] for n in self.linux.get("namespaces", [])]

    def remove_ns(self, ns_type):
        self.linux["namespaces"] = [n for n in self.linux.get("namespaces", [])
                                    if n["type"] != ns_type]
        return self

    def add_ns(self, ns_type, path=None):
        self.remove_ns(ns_type)
        entry = {"type": ns_type}
        if path:
            entry["path"] = str(path)
        self.linux["namespaces"].append(entry)
        return self

    def add_mount(self, destination, mtype=None, source=None, options=None):
        m = {"destination": destination}
        if mtype:
            m["type"] = mtype
        if source is not None:
            m["source"] = str(source)
        if options is not None:
            m["options"] = list(options)
        self.config.setdefault("mounts", []).append(m)
        return self

    def set_caps(self, names, sets=("bounding", "effective", "inheritable",
                                    "permitted", "ambient")):
        caps = self.process.setdefault("capabilities", {})
        for s in sets:
            caps[s] = list(names)
        return self

    def add_hook(self, stage, path, args=None, env=None, timeout=None):
        h = {"path": str(path)}
        if args is not None:
            h["args"] = list(args)
        if env is not None:
            h["env"] = list(env)
        if timeout is not None:
            h["timeout"] = timeout
        self.config.setdefault("hooks", {}).setdefault(stage, []).append(h)
        return self


# --------------------------------------------------------------------------
# running the binary

class Result:
    def __init__(self, argv, rc, out, err, elapsed):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self.elapsed = elapsed

    def __repr__(self):
        return (f"<Result rc={self.rc} argv={' '.join(map(str, self.argv))!r}\n"
                f"--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}>")

    def ok(self):
        assert self.rc == 0, f"command failed: {self!r}"
        return self

    def failed(self):
        assert self.rc != 0, f"command unexpectedly succeeded: {self!r}"
        assert self.err.strip(), f"command failed without a message on stderr: {self!r}"
        return self


class Spawned:
    """A runtime process started in the background (e.g. a foreground `run`)."""

    def __init__(self, argv, popen, out_path, err_path, t0):
        self.argv = argv
        self.popen = popen
        self.out_path = out_path
        self.err_path = err_path
        self.t0 = t0

    @property
    def pid(self):
        return self.popen.pid

    def wait(self, timeout=CMD_TIMEOUT):
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"{self.argv} did not exit within {timeout}s")
        res = Result(self.argv, rc, Path(self.out_path).read_text(errors="replace"),
                     Path(self.err_path).read_text(errors="replace"),
                     time.monotonic() - self.t0)
        print(f"[{res.elapsed:.2f}s] rc={rc} {' '.join(map(str, self.argv))}")
        if res.err.strip():
            print("  stderr: " + res.err.strip().replace("\n", "\n          "))
        return res

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


class Runtime:
    """Drives the runtime binary for one test and tracks what it creates."""

    def __init__(self, binary, testdir, session_dir, name, token):
        self.binary = binary
        self.dir = Path(testdir)
        self.session_dir = Path(session_dir)
        self.token = token
        self.name = name
        self.root = self.dir / "state"
        self.root.mkdir(mode=0o700)
        self.ids = []                   # (root, id) the test asked for
        self.bundles = []
        self.cgroup_paths = set()       # cgroup paths (relative to a hierarchy)
        self.host_mounts = []           # mounts the test made on purpose
        self.netns = []                 # `ip netns` names to delete
        self.spawned = []
        self._nout = 0
        self._nid = 0
        # pith keeps its default parent cgroup (/pith) after the last
        # container goes; the one a test makes is the test's to remove.
        self.new_default_parents = [
            os.path.join(mnt, DEFAULT_CGROUP_PARENT) for mnt in cgroup_all_mounts().values()
            if not os.path.isdir(os.path.join(mnt, DEFAULT_CGROUP_PARENT))]

    # -- ids and bundles
    def new_id(self, tag=""):
        self._nid += 1
        base = re.sub(r"[^A-Za-z0-9_.-]", "-", self.name)[:24].strip("-.") or "t"
        cid = f"{base}{('-' + tag) if tag else ''}-{self.token}{self._nid}"
        self.register_id(cid)
        return cid

    def register_id(self, cid, root=None, default_root=False):
        """Remember a container id for cleanup.  default_root=True: the test
        runs it without --root (the runtime's default, /run/pith)."""
        key = (None if default_root else str(root or self.root), cid)
        if key not in self.ids:
            self.ids.append(key)
        self.cgroup_paths.add(f"/{TEST_CGROUP_PARENT}/{cid}")
        self.cgroup_paths.add(f"/{DEFAULT_CGROUP_PARENT}/{cid}")
        self.cgroup_paths.add(f"/{cid}")

    def bundle(self, script=None, args=None, cid=None, cgroups_path=True, write=True):
        """A fresh bundle with a busybox rootfs.  cgroups_path=True gives the
        per-test default /pith-test/<id>; None/False leaves it unset."""
        cid = cid or self.new_id()
        path = self.dir / f"bundle{len(self.bundles)}"
        path.mkdir()
        os.chmod(path, 0o755)
        rootfs = path / "rootfs"
        rootfs.mkdir()
        os.chmod(rootfs, 0o755)
        make_rootfs(rootfs, self.session_dir)
        if args is None:
            args = ("sh", "-c", script) if script is not None else ("sleep", "1000")
        cg = f"/{TEST_CGROUP_PARENT}/{cid}" if cgroups_path is True else (cgroups_path or None)
        b = Bundle(path, cid, default_config(args, cg, marker=self.token))
        if cg:
            self.cgroup_paths.add(cg)
        self.bundles.append(b)
        if write:
            b.write()
        return b

    def tmp(self, name):
        """A path in the test's private directory (nothing is created)."""
        return self.dir / name

    # -- command execution
    def _files(self):
        self._nout += 1
        return (self.dir / f"cmd{self._nout}.out", self.dir / f"cmd{self._nout}.err")

    def argv(self, *args, root=True, global_args=()):
        argv = [self.binary]
        if root is True:
            argv += ["--root", str(self.root)]
        elif root:
            argv += ["--root", str(root)]
        argv += list(global_args)
        argv += [str(a) for a in args]
        return argv

    def cli(self, *args, timeout=CMD_TIMEOUT, root=True, global_args=(),
            cwd=None, env=None, stdin=subprocess.DEVNULL):
        """Run the binary to completion.  stdout/stderr go to files, not pipes,
        because a created container inherits them and would hold a pipe open."""
        argv = self.argv(*args, root=root, global_args=global_args)
        sp = self.spawn_argv(argv, cwd=cwd, env=env, stdin=stdin)
        return sp.wait(timeout)

    def spawn(self, *args, root=True, global_args=(), cwd=None, env=None,
              stdin=subprocess.DEVNULL, **popen_kw):
        return self.spawn_argv(self.argv(*args, root=root, global_args=global_args),
                               cwd=cwd, env=env, stdin=stdin, **popen_kw)

    def spawn_argv(self, argv, cwd=None, env=None, stdin=subprocess.DEVNULL, **popen_kw):
        out_path, err_path = self._files()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.monotonic()
            p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err,
                                 cwd=cwd, env=env, **popen_kw)
        sp = Spawned(argv, p, out_path, err_path, t0)
        self.spawned.append(sp)
        return sp

    # -- lifecycle shortcuts (id always last, after the flags)
    def create(self, b, *flags, cid=None, check=True, **kw):
        cid = cid or b.cid
        self.register_id(cid)
        res = self.cli("create", "--bundle", b.path, *flags, cid, **kw)
        return res.ok() if check else res

    def start(self, cid, check=True):
        res = self.cli("start", cid)
        return res.ok() if check else res

    def run(self, b, *flags, cid=None, check=False, **kw):
        cid = cid or b.cid
        self.register_id(cid)
        res = self.cli("run", "--bundle", b.path, *flags, cid, **kw)
        return res.ok() if check else res

    def kill(self, cid, *args, check=True):
        res = self.cli("kill", cid, *args)
        return res.ok() if check else res

    def delete(self, cid, *flags, check=True):
        res = self.cli("delete", *flags, cid)
        return res.ok() if check else res

    def state(self, cid):
        res = self.cli("state", cid).ok()
        try:
            return json.loads(res.out)
        except ValueError as e:
            raise AssertionError(f"state output is not JSON ({e}): {res.out!r}")

    def status(self, cid):
        return self.state(cid)["status"]

    def try_state(self, cid):
        """The state dict, or None when `state` fails (e.g. not created yet)."""
        res = self.cli("state", cid)
        if res.rc != 0:
            return None
        try:
            return json.loads(res.out)
        except ValueError:
            return None

    def wait_status(self, cid, want, timeout=5.0):
        last = {}

        def check():
            st = self.try_state(cid)
            last["s"] = st and st.get("status")
            return last["s"] == want
        try:
            wait_for(check, timeout, 0.05, f"container {cid} to be {want}")
        except AssertionError:
            raise AssertionError(f"container {cid} is {last.get('s')!r}, wanted {want!r}")

    def run_script(self, script, tweak=None, flags=(), timeout=CMD_TIMEOUT):
        """Build a bundle running `sh -c script`, apply tweak(bundle), run it in
        the foreground and return the Result (not checked)."""
        b = self.bundle(script=script, write=False)
        if tweak:
            tweak(b)
        b.write()
        return self.run(b, *flags, timeout=timeout)

    def run_ok(self, script, tweak=None, flags=()):
        return self.run_script(script, tweak, flags).ok().out

    def start_detached(self, b, *flags):
        """create + start; returns the state after start."""
        self.create(b, *flags)
        self.start(b.cid)
        return self.state(b.cid)

    # -- host side resources the test makes on purpose
    def host_bind_self(self, path, propagation=None):
        path = str(path)
        mount_cmd("--bind", path, path)
        self.host_mounts.append(path)
        if propagation:
            mount_cmd(f"--make-{propagation}", path)
        return path

    def host_mount(self, *args, target):
        mount_cmd(*args, str(target))
        self.host_mounts.append(str(target))

    def make_netns(self):
        name = f"pith-test-{self.token}-{len(self.netns)}"
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        self.netns.append(name)
        return name, Path("/run/netns") / name

    # -- leak detection
    def cgroup_dirs(self):
        """Existing cgroup directories that belong to this test."""
        found = []
        for ctrl, mnt in sorted(cgroup_all_mounts().items()):
            rels = set(self.cgroup_paths)
            own = own_cgroup_v1(ctrl).rstrip("/")
            for _root, cid in self.ids:
                if own:
                    rels.add(f"{own}/{cid}")
            for rel in sorted(rels):
                p = os.path.join(mnt, rel.lstrip("/"))
                if os.path.isdir(p) and p != mnt:
                    found.append(p)
        return found

    def state_leftovers(self):
        found = []
        roots = {r for r, _ in self.ids if r} | {str(self.root)}
        for root in sorted(roots):
            try:
                entries = os.listdir(root)
            except FileNotFoundError:
                continue
            for e in entries:
                # container ids never start with "."; such entries are the
                # runtime's own (e.g. pith's .seccomp-cache), not a container
                if not e.startswith(".") and os.path.isdir(os.path.join(root, e)):
                    found.append(os.path.join(root, e))
        for root, cid in self.ids:
            p = os.path.join(DEFAULT_STATE_ROOT, cid)
            if root is None and cid and os.path.lexists(p):
                found.append(p)
        return found

    def mount_leftovers(self):
        mine = set(self.host_mounts)
        res = []
        prefix = str(self.dir)
        for line in mountinfo_lines():
            fields = line.split()
            mp, mroot = unescape_mount(fields[4]), unescape_mount(fields[3])
            if any(mp == m or mp.startswith(m + "/") for m in mine):
                continue
            if prefix in mp or prefix in mroot:
                res.append(line)
        return res

    def marked_pids(self):
        """Live processes that belong to this test: the token in their
        environment or command line, or their cwd or root inside the test dir."""
        me = os.getpid()
        tok = self.token.encode()
        mydir = str(self.dir)
        res = []
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == me:
                continue
            pid = int(d)
            try:
                with open(f"/proc/{d}/environ", "rb") as f:
                    env = f.read()
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            mine = tok in env or tok in cmd
            if not mine:
                for link in ("cwd", "root"):
                    try:
                        target = os.readlink(f"/proc/{d}/{link}")
                    except OSError:
                        continue
                    if target == mydir or target.startswith(mydir + "/"):
                        mine = True
            if mine and pid_alive(pid):
                res.append(pid)
        return res

    def cgroup_pids(self):
        pids = set()
        for d in self.cgroup_dirs():
            for dirpath, _dirs, _files in os.walk(d):
                try:
                    with open(os.path.join(dirpath, "cgroup.procs")) as f:
                        pids.update(int(x) for x in f.read().split())
                except OSError:
                    pass
        return sorted(p for p in pids if pid_alive(p))

    def find_leaks(self, proc_grace=2.0):
        leaks = []
        leaks += [f"state dir left: {p}" for p in self.state_leftovers()]
        # processes may need a moment to die after a kill
        try:
            wait_for(lambda: not self.marked_pids() and not self.cgroup_pids(),
                     proc_grace, 0.05, "processes to exit")
        except AssertionError:
            pass
        for pid in sorted(set(self.marked_pids()) | set(self.cgroup_pids())):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmd = "?"
            leaks.append(f"process left: {pid} {cmd.strip()}")
        leaks += [f"cgroup left: {p}" for p in self.cgroup_dirs()]
        leaks += [f"mount left: {l}" for l in self.mount_leftovers()]
        return leaks

    def assert_nothing_left(self, what=""):
        leaks = self.find_leaks()
        assert not leaks, f"runtime left things behind{' ' + what if what else ''}:\n  " + "\n  ".join(leaks)

    # -- teardown
    def force_delete_all(self):
        """`delete --force` every container the test asked for (a foreground
        `run` still going ends with its container)."""
        for root, cid in self.ids:
            try:
                self.cli("delete", "--force", cid, root=root or False, timeout=15)
            except AssertionError as e:
                print(f"cleanup: {e}")
        for sp in self.spawned:
            if sp.popen.poll() is None:
                try:
                    sp.popen.wait(3)
                except subprocess.TimeoutExpired:
                    sp.kill()

    def cleanup(self):
        """Remove everything, whatever the runtime did.  Never raises."""
        errors = []
        for sp in self.spawned:
            try:
                sp.kill()
            except Exception as e:  # noqa: BLE001
                errors.append(f"kill {sp.argv}: {e}")
        for _ in range(3):
            pids = set(self.marked_pids()) | set(self.cgroup_pids())
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for d in self.cgroup_dirs():
            remove_cgroup_tree(d, errors)
        for d in self.new_default_parents:
            try:
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError as e:
                errors.append(f"rmdir {d}: {e}")
        umount_all_under(self.dir, errors)
        for name in self.netns:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        for root, cid in self.ids:
            if root is None and cid:
                shutil.rmtree(os.path.join(DEFAULT_STATE_ROOT, cid), ignore_errors=True)
        if mounts_under(self.dir):
            errors.append(f"refusing to remove {self.dir}: still has mounts")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return errors
