"""linux.cgroupsPath and linux.resources on cgroup v1 (host-side checks)."""

import os

import pytest

from pithtest import DEFAULT_CGROUP_PARENT, TEST_CGROUP_PARENT

CONTROLLERS = ["memory", "pids", "cpu", "cpuacct", "cpuset", "devices", "freezer", "blkio"]


def cg(cgroups, ctrl, rel, fname=None):
    if ctrl not in cgroups:
        pytest.skip(f"no {ctrl} cgroup v1 hierarchy")
    p = os.path.join(cgroups[ctrl], rel.lstrip("/"))
    return os.path.join(p, fname) if fname else p


def read(path):
    with open(path) as f:
        return f.read().strip()


def created(rt, tweak=None, script="sleep 1000"):
    b = rt.bundle(script=script, write=False)
    if tweak:
        tweak(b)
    b.write()
    rt.create(b)
    return b, f"/{TEST_CGROUP_PARENT}/{b.cid}"


def test_memory_limit(rt, cgroups):
    def tweak(b):
        b.linux["resources"]["memory"] = {"limit": 64 * 1024 * 1024}
    b, rel = created(rt, tweak)
    assert read(cg(cgroups, "memory", rel, "memory.limit_in_bytes")) == str(64 * 1024 * 1024)


def test_pids_limit(rt, cgroups):
    def tweak(b):
        b.linux["resources"]["pids"] = {"limit": 20}
    b, rel = created(rt, tweak)
    assert read(cg(cgroups, "pids", rel, "pids.max")) == "20"


def test_pids_limit_enforced(rt, cgroups):
    if "pids" not in cgroups:
        pytest.skip("no pids cgroup v1 hierarchy")

    # busybox sh gives up at the first failed fork (exit 2): run the loop in a
    # child shell and only use builtins afterwards (no fork is possible then).
    b = rt.bundle(script="sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 0.5 & done' 2>/tmp/err; "
                         "echo rc=$?", write=False)
    b.linux["resources"]["pids"] = {"limit": 5}
    b.write()
    out = rt.run(b).ok().out
    assert out.strip() == "rc=2", out
    assert "can't fork" in b.r("tmp/err").read_text()


def test_cpu_shares_quota_period(rt, cgroups):
    def tweak(b):
        b.linux["resources"]["cpu"] = {"shares": 512, "quota": 50000, "period": 100000}
    b, rel = created(rt, tweak)
    assert read(cg(cgroups, "cpu", rel, "cpu.shares")) == "512"
    assert read(cg(cgroups, "cpu", rel, "cpu.cfs_quota_us")) == "50000"
    assert read(cg(cgroups, "cpu", rel, "cpu.cfs_period_us")) == "100000"


def test_cpuset(rt, cgroups):
    def tweak(b):
        b.linux["resources"]["cpu"] = {"cpus": "0", "mems": "0"}
    b, rel = created(rt, tweak)
    assert read(cg(cgroups, "cpuset", rel, "cpuset.cpus")) == "0"
    assert read(cg(cgroups, "cpuset", rel, "cpuset.mems")) == "0"


def test_container_is_in_its_cgroups(rt, cgroups):
    b, rel = created(rt)
    pid = str(rt.state(b.cid)["pid"])
    checked = 0
    for ctrl in CONTROLLERS:
        if ctrl in cgroups:
            procs = read(cg(cgroups, ctrl, rel, "cgroup.procs")).split()
            assert pid in procs, f"init {pid} not in {ctrl}:{rel}"
            checked += 1
    assert checked


def test_cgroup_removed_on_delete(rt, cgroups):
    b, rel = created(rt)
    rt.start(b.cid)
    dirs = [cg(cgroups, c, rel) for c in CONTROLLERS if c in cgroups]
    assert all(os.path.isdir(d) for d in dirs)
    rt.delete(b.cid, "--force")
    assert [d for d in dirs if os.path.exists(d)] == []


def test_cgroup_removed_after_run(rt, cgroups):
    b = rt.bundle(script="exit 0")
    rt.run(b).ok()
    rel = f"/{TEST_CGROUP_PARENT}/{b.cid}"
    assert [c for c in CONTROLLERS if c in cgroups and os.path.exists(cg(cgroups, c, rel))] == []


def test_default_cgroup_path(rt, cgroups):
    b = rt.bundle(script="sleep 1000", cgroups_path=None)
    rt.create(b)
    rel = f"/{DEFAULT_CGROUP_PARENT}/{b.cid}"
    pid = str(rt.state(b.cid)["pid"])
    for ctrl in ("memory", "pids", "cpu"):
        d = cg(cgroups, ctrl, rel)
        assert os.path.isdir(d), f"no default cgroup {d}"
        assert pid in read(os.path.join(d, "cgroup.procs")).split()
    rt.delete(b.cid, "--force")
    for ctrl in CONTROLLERS:
        if ctrl in cgroups:
            assert not os.path.exists(cg(cgroups, ctrl, rel))
