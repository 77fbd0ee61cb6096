"""The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a
transient scope unit.  The tests that need systemd as PID 1 skip elsewhere
(tests/vm/run.sh boots one with systemd); without it, pith must say so and
leave nothing behind."""

import json
import os
import shutil
import subprocess

import pytest

from cghost import MiB, device_probe, host

SD = ("--systemd-cgroup",)


def systemd_running():
    try:
        with open("/proc/1/comm") as f:
            return f.read().strip() == "systemd" and os.path.isdir("/run/systemd/system")
    except OSError:
        return False


def need_systemd():
    if not systemd_running():
        pytest.skip("systemd is not PID 1 here (tests/vm/run.sh runs these under systemd)")


def scope_bundle(rt, resources=None, script="sleep 1000"):
    """A bundle in system.slice:pith-test:<id>; returns (bundle, unit, cgroup path)."""
    b = rt.bundle(script=script, write=False, cgroups_path=False)
    unit = f"pith-test-{b.cid}.scope"
    b.linux["cgroupsPath"] = f"system.slice:pith-test:{b.cid}"
    if resources:
        b.linux.setdefault("resources", {}).update(resources)
    b.write()
    rel = f"/system.slice/{unit}"
    rt.cgroup_paths.add(rel)
    return b, unit, rel


def unit_property(unit, prop):
    if not shutil.which("systemctl"):
        return None
    out = subprocess.run(["systemctl", "show", "-p", prop, "--value", unit], capture_output=True, text=True,
                         timeout=30)
    return out.stdout.strip()


def test_bad_cgroups_path(rt):
    b = rt.bundle(script="sleep 1000")  # cgroupsPath /pith-test/<id>: not slice:prefix:name
    res = rt.create(b, global_args=SD, check=False).failed()
    assert "/linux/cgroupsPath" in res.err and "slice:prefix:name" in res.err, res.err


def test_without_systemd(rt):
    if systemd_running():
        pytest.skip("systemd is running here")
    b, unit, rel = scope_bundle(rt)
    res = rt.create(b, global_args=SD, check=False).failed()
    assert "--systemd-cgroup" in res.err and "systemd" in res.err, res.err
    assert [d for d in host().all_dirs(rel) if os.path.exists(d)] == []


def test_scope_with_limits(rt):
    need_systemd()
    h = host()
    b, unit, rel = scope_bundle(rt, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 30},
                                     "cpu": {"shares": 1024, "quota": 50000, "period": 100000}})
    rt.create(b, global_args=SD)
    rt.start(b.cid)
    pid = rt.state(b.cid)["pid"]
    with open(f"/proc/{pid}/cgroup") as f:
        assert rel in f.read()
    if h.on_v2("memory"):
        assert h.read("memory", rel, "memory.max") == str(64 * MiB)
        assert h.read("cpu", rel, "cpu.max") == "50000 100000"
        assert h.read("cpu", rel, "cpu.weight") == "100"
    else:
        assert h.read("memory", rel, "memory.limit_in_bytes") == str(64 * MiB)
    assert h.read("pids", rel, "pids.max") == "30"
    state = unit_property(unit, "ActiveState")
    if state is not None:
        assert state == "active"
        assert unit_property(unit, "TasksMax") == "30"
    rt.delete(b.cid, "--force")
    assert [d for d in h.all_dirs(rel) if os.path.exists(d)] == []
    if state is not None:
        assert unit_property(unit, "ActiveState") in ("inactive", "")


def test_scope_devices(rt):
    """Device rules in a scope: systemd leaves the cgroup's device program to us."""
    need_systemd()

    def in_scope(b):
        b.linux["cgroupsPath"] = f"system.slice:pith-test:{b.cid}"
        rt.cgroup_paths.add(f"/system.slice/pith-test-{b.cid}.scope")
    allow = {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}
    assert device_probe(rt, in_scope, SD) == "denied"
    assert device_probe(rt, lambda b: (in_scope(b), b.linux["resources"]["devices"].append(allow)), SD) == "open"


def test_scope_update_pause_events(rt):
    need_systemd()
    h = host()
    b, unit, rel = scope_bundle(rt, {"pids": {"limit": 30}})
    rt.create(b, global_args=SD)
    rt.start(b.cid)
    rt.cli("update", "--pids-limit", "44", "--memory", "96m", b.cid).ok()
    assert h.read("pids", rel, "pids.max") == "44"
    if unit_property(unit, "TasksMax") is not None:
        assert unit_property(unit, "TasksMax") == "44"
    rt.cli("pause", b.cid).ok()
    assert rt.status(b.cid) == "paused"
    rt.cli("resume", b.cid).ok()
    assert rt.status(b.cid) == "running"
    ev = json.loads(rt.cli("events", "--stats", b.cid).ok().out)
    assert ev["data"]["pids"]["limit"] == 44
    pids = json.loads(rt.cli("ps", "--format", "json", b.cid).ok().out)
    assert rt.state(b.cid)["pid"] in pids


def test_scope_default_path(rt):
    """No cgroupsPath: system.slice:pith:<id>, as runc does with its name."""
    need_systemd()
    b = rt.bundle(script="sleep 1000", cgroups_path=False)
    rel = f"/system.slice/pith-{b.cid}.scope"
    rt.cgroup_paths.add(rel)
    rt.create(b, global_args=SD)
    assert any(os.path.isdir(d) for d in host().all_dirs(rel))
    rt.delete(b.cid, "--force")
    assert [d for d in host().all_dirs(rel) if os.path.exists(d)] == []
