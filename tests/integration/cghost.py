"""What kind of cgroup host the tests run on, and where a container's cgroup
files are, for the test_cgroups_*.py files.

Three kinds: "v1" (only cgroup v1 hierarchies), "hybrid" (v1 controllers plus
a cgroup2 mount holding some controllers, e.g. /sys/fs/cgroup/unified) and
"v2" (one cgroup2 hierarchy).  The tests read the files on the host to prove
a limit was applied, choosing the v1 or v2 file name by where the controller
lives.
"""

import json
import os
import re
import stat

import pytest

import pithtest

MiB = 1024 * 1024

# A shell script that holds 64 MB in memory: killed under a smaller limit.
HOG = "a=$(head -c 64000000 /dev/zero | tr '\\0' x)\necho survived ${#a}\n"


def _mountinfo():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fields = left.split()
            fstype, _src, superopts = right.split()[:3]
            yield fields[3], pithtest.unescape_mount(fields[4]), fstype, superopts


class Host:
    def __init__(self):
        self.v1 = {}          # controller (or name=...) -> mount point
        self.unified = None   # cgroup2 mount point
        for root, mnt, fstype, opts in _mountinfo():
            if root != "/":
                continue
            if fstype == "cgroup":
                for o in opts.split(","):
                    if o not in ("rw", "ro") and not o.startswith("release_agent") \
                            and o not in ("noprefix", "clone_children", "xattr", "cpuset_v2_mode"):
                        self.v1.setdefault(o, mnt)
            elif fstype == "cgroup2" and self.unified is None:
                self.unified = mnt
        self.v2_controllers = []
        if self.unified:
            try:
                with open(os.path.join(self.unified, "cgroup.controllers")) as f:
                    self.v2_controllers = f.read().split()
            except OSError:
                pass
        if self.v1 and self.unified:
            self.kind = "hybrid"
        elif self.v1:
            self.kind = "v1"
        elif self.unified:
            self.kind = "v2"
        else:
            self.kind = None

    @property
    def is_v2(self):
        return self.kind == "v2"

    def on_v2(self, controller):
        """True when CONTROLLER is handled on the cgroup2 hierarchy."""
        return controller not in self.v1 and controller in self.v2_controllers

    def has(self, controller):
        return controller in self.v1 or controller in self.v2_controllers

    def need(self, controller):
        if not self.has(controller):
            pytest.skip(f"this host has no {controller} cgroup controller")

    def dir(self, controller, rel):
        """The container's cgroup directory for CONTROLLER ('unified' for the cgroup2 one)."""
        if controller != "unified" and controller in self.v1:
            base = self.v1[controller]
        else:
            base = self.unified
        return os.path.join(base, rel.lstrip("/"))

    def path(self, controller, rel, fname):
        return os.path.join(self.dir(controller, rel), fname)

    def read(self, controller, rel, fname):
        with open(self.path(controller, rel, fname)) as f:
            return f.read().strip()

    def exists(self, controller, rel, fname):
        return os.path.exists(self.path(controller, rel, fname))

    def keyed(self, controller, rel, fname):
        """A flat-keyed file ('key value' lines) as a dict of strings."""
        out = {}
        for line in self.read(controller, rel, fname).splitlines():
            k, _, v = line.partition(" ")
            out[k] = v
        return out

    def all_dirs(self, rel):
        dirs = [os.path.join(m, rel.lstrip("/")) for m in set(self.v1.values())]
        if self.unified:
            dirs.append(os.path.join(self.unified, rel.lstrip("/")))
        return dirs


_host = None


def host():
    global _host
    if _host is None:
        _host = Host()
    if _host.kind is None:
        pytest.skip("no cgroup filesystem is mounted")
    return _host


def block_device():
    """(major, minor) of a disk on this machine, or skip."""
    for name in sorted(os.listdir("/sys/block")):
        if re.match(r"(loop|ram|zram|dm-|md|nbd)", name):
            continue
        try:
            with open(f"/sys/block/{name}/dev") as f:
                major, minor = f.read().strip().split(":")
            return int(major), int(minor)
        except OSError:
            continue
    pytest.skip("no disk to set block I/O limits on")


def hugepage_size():
    """A hugepage size of this machine as the hugetlb files spell it ('2MB')."""
    sizes = []
    try:
        for d in os.listdir("/sys/kernel/mm/hugepages"):
            kb = int(d.split("-")[1][:-2])
            sizes.append(kb)
    except OSError:
        pass
    if not sizes:
        pytest.skip("no hugepages on this machine")
    kb = min(sizes)
    for unit in ("KB", "MB", "GB"):
        if kb % 1024 or unit == "GB":
            return f"{kb}{unit}"
        kb //= 1024


def created(rt, resources=None, script="sleep 1000", tweak=None, start=False):
    """create (and start) a container with linux.resources merged in; returns
    (bundle, cgroup path relative to each hierarchy)."""
    b = rt.bundle(script=script, write=False)
    if resources:
        b.linux.setdefault("resources", {}).update(resources)
    if tweak:
        tweak(b)
    b.write()
    rt.create(b)
    if start:
        rt.start(b.cid)
    return b, f"/{pithtest.TEST_CGROUP_PARENT}/{b.cid}"


def refused(rt, resources, *fragments, tweak=None):
    """create must fail naming the resource; nothing may be left behind."""
    b = rt.bundle(script="sleep 1000", write=False)
    b.linux.setdefault("resources", {}).update(resources)
    if tweak:
        tweak(b)
    b.write()
    res = rt.create(b, check=False).failed()
    for frag in fragments:
        assert frag in res.err, f"error does not mention {frag!r}: {res.err}"
    rel = f"/{pithtest.TEST_CGROUP_PARENT}/{b.cid}"
    assert [d for d in host().all_dirs(rel) if os.path.exists(d)] == [], "create left its cgroup behind"
    return res


# Opens /dev/k for writing (reading /dev/kmsg needs CAP_SYSLOG anyway).
PROBE = "(exec 3>/dev/k) 2>/dev/null && echo open >/result.new || echo denied >/result.new; mv /result.new /result; " \
        "sleep 1000"


def device_probe(rt, tweak, global_args=()):
    """Starts a container whose /dev/k is /dev/kmsg's number (1:11), made from
    the host; returns whether opening it for writing worked."""
    b = rt.bundle(script=PROBE, write=False)
    tweak(b)
    b.write()
    rt.create(b, global_args=global_args)
    k = f"/proc/{rt.state(b.cid)['pid']}/root/dev/k"
    if not os.path.exists(k):
        os.mknod(k, stat.S_IFCHR | 0o666, os.makedev(1, 11))
    rt.start(b.cid)
    pithtest.wait_for(lambda: b.r("result").exists())
    return b.r("result").read_text().strip()


def events_json(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]
