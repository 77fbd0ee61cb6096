"""The commands that work on a container's cgroup: update, pause/resume,
ps, events, kill --all, and delete's cleanup (also after a crash), on
whatever cgroup host this is."""

import json
import os
import signal
import stat
import subprocess
import time

import pytest

from cghost import HOG, MiB, created, events_json, host
from pithtest import pid_alive, wait_for


def memory_limit(h, rel):
    f = "memory.max" if h.on_v2("memory") else "memory.limit_in_bytes"
    return h.read("memory", rel, f)


# ---- update

def test_update_flags(rt):
    h = host()
    for c in ("memory", "pids", "cpu", "cpuset"):
        h.need(c)
    b, rel = created(rt, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20}}, start=True)
    rt.cli("update", "--memory", "128m", "--memory-reservation", "32m", "--pids-limit", "40",
           "--cpu-quota", "20000", "--cpu-period", "100000", "--cpu-share", "2048", "--cpuset-cpus", "0",
           b.cid).ok()
    assert memory_limit(h, rel) == str(128 * MiB)
    assert h.read("pids", rel, "pids.max") == "40"
    assert h.read("cpuset", rel, "cpuset.cpus") == "0"
    if h.on_v2("cpu"):
        assert h.read("cpu", rel, "cpu.max") == "20000 100000"
        assert h.read("cpu", rel, "cpu.weight") == "174"
        assert h.read("memory", rel, "memory.low") == str(32 * MiB)
    else:
        assert h.read("cpu", rel, "cpu.cfs_quota_us") == "20000"
        assert h.read("cpu", rel, "cpu.shares") == "2048"
        assert h.read("memory", rel, "memory.soft_limit_in_bytes") == str(32 * MiB)
    # Only what was given changes.
    rt.cli("update", "--cpu-period", "50000", b.cid).ok()
    if h.on_v2("cpu"):
        assert h.read("cpu", rel, "cpu.max") == "20000 50000"
    else:
        assert h.read("cpu", rel, "cpu.cfs_quota_us") == "20000"
    assert h.read("pids", rel, "pids.max") == "40"


def test_update_resources_file_and_stdin(rt):
    h = host()
    h.need("memory")
    h.need("pids")
    b, rel = created(rt, start=True)
    doc = rt.tmp("resources.json")
    doc.write_text(json.dumps({"memory": {"limit": 96 * MiB}}))
    rt.cli("update", "--resources", str(doc), b.cid).ok()
    assert memory_limit(h, rel) == str(96 * MiB)
    # containerd sends the document on stdin ("-").
    with open(doc, "w") as f:
        json.dump({"pids": {"limit": 17}}, f)
    with open(doc) as stdin:
        rt.cli("update", "-r", "-", b.cid, stdin=stdin).ok()
    assert h.read("pids", rel, "pids.max") == "17"
    # Flags apply over the document.
    with open(doc) as stdin:
        rt.cli("update", "-r", "-", "--pids-limit", "18", b.cid, stdin=stdin).ok()
    assert h.read("pids", rel, "pids.max") == "18"


def test_update_memory_and_swap_together(rt):
    """Raising both (v1: memory+swap first) and lowering both (memory first)."""
    h = host()
    h.need("memory")
    if not h.on_v2("memory") and not h.exists("memory", "/", "memory.memsw.limit_in_bytes"):
        pytest.skip("this kernel does not account swap")
    b, rel = created(rt, {"memory": {"limit": 32 * MiB, "swap": 64 * MiB}}, start=True)
    rt.cli("update", "--memory", "256m", "--memory-swap", "512m", b.cid).ok()
    assert memory_limit(h, rel) == str(256 * MiB)
    rt.cli("update", "--memory", "48m", "--memory-swap", "64m", b.cid).ok()
    assert memory_limit(h, rel) == str(48 * MiB)
    if h.on_v2("memory"):
        assert h.read("memory", rel, "memory.swap.max") == str(16 * MiB)
    else:
        assert h.read("memory", rel, "memory.memsw.limit_in_bytes") == str(64 * MiB)


def test_update_devices(rt):
    """Device rules can be changed on a running container (v1 lists, v2 eBPF)."""
    b = rt.bundle(script="while true; do (exec 3>/dev/k) 2>/dev/null && echo open >/r.new || echo denied >/r.new; "
                         "mv /r.new /r; sleep 0.05; done", write=False)
    b.write()
    rt.create(b)
    # /dev/kmsg's number (1:11), made from the host: the container may not mknod.
    pid = rt.state(b.cid)["pid"]
    os.mknod(f"/proc/{pid}/root/dev/k", stat.S_IFCHR | 0o666, os.makedev(1, 11))
    rt.start(b.cid)
    wait_for(lambda: b.r("r").exists())
    wait_for(lambda: b.r("r").read_text().strip() == "denied", what="the device to be denied")
    doc = rt.tmp("devices.json")
    doc.write_text(json.dumps({"devices": [{"allow": False, "access": "rwm"},
                                           {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}]}))
    rt.cli("update", "--resources", str(doc), b.cid).ok()
    wait_for(lambda: b.r("r").read_text().strip() == "open", what="the device to be allowed")


def test_update_check_before_update(rt):
    h = host()
    h.need("memory")
    b, rel = created(rt, {"memory": {"limit": 64 * MiB}}, start=True)
    doc = rt.tmp("r.json")
    doc.write_text(json.dumps({"memory": {"limit": 4096, "checkBeforeUpdate": True}}))
    res = rt.cli("update", "--resources", str(doc), b.cid).failed()
    assert "memory/limit" in res.err and "checkBeforeUpdate" in res.err, res.err
    assert memory_limit(h, rel) == str(64 * MiB)


def test_update_bad_inputs(rt):
    h = host()
    h.need("memory")
    h.need("cpuset")
    b, rel = created(rt, start=True)
    res = rt.cli("update", "--memory", "lots", b.cid).failed()
    assert "--memory" in res.err and "lots" in res.err
    res = rt.cli("update", "--cpuset-cpus", "4095", b.cid).failed()
    assert "cpu/cpus" in res.err, res.err
    res = rt.cli("update", "--l3-cache-schema", "L3:0=f", b.cid).failed()
    assert "intelRdt" in res.err
    doc = rt.tmp("bad.json")
    doc.write_text('{"memory": {"limit": "x"}}')
    res = rt.cli("update", "--resources", str(doc), b.cid).failed()
    assert "/memory/limit" in res.err, res.err
    res = rt.cli("update", "--memory", "1m", "no-such-container").failed()
    assert "does not exist" in res.err


def test_update_stopped_container(rt):
    b = rt.bundle(script="exit 0")
    rt.create(b)
    rt.start(b.cid)
    rt.wait_status(b.cid, "stopped")
    res = rt.cli("update", "--pids-limit", "10", b.cid).failed()
    assert "not running" in res.err and "stopped" in res.err


# ---- pause / resume

def counter_bundle(rt):
    b = rt.bundle(script="i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.05; done", write=False)
    b.write()
    rt.start_detached(b)
    wait_for(lambda: b.r("count").exists())
    return b


def test_pause_resume(rt):
    h = host()
    if not (h.has("freezer") or h.is_v2):
        pytest.skip("no freezer")
    b = counter_bundle(rt)
    rt.cli("pause", b.cid).ok()
    assert rt.status(b.cid) == "paused"
    rel = f"/pith-test/{b.cid}"
    if "freezer" in h.v1:
        assert h.read("freezer", rel, "freezer.state") == "FROZEN"
    else:
        assert h.read("unified", rel, "cgroup.freeze") == "1"
    frozen = b.r("count").read_text()
    time.sleep(0.3)
    assert b.r("count").read_text() == frozen, "the container ran while paused"
    rt.cli("resume", b.cid).ok()
    assert rt.status(b.cid) == "running"
    wait_for(lambda: b.r("count").read_text() != frozen, what="the container to run again")


def test_pause_wrong_states(rt):
    b = rt.bundle(script="sleep 1000")
    rt.create(b)
    res = rt.cli("pause", b.cid).failed()
    assert "not running" in res.err and "created" in res.err
    rt.start(b.cid)
    res = rt.cli("resume", b.cid).failed()
    assert "not paused" in res.err
    res = rt.cli("pause", "no-such-container").failed()
    assert "does not exist" in res.err


def test_delete_force_paused(rt):
    b = counter_bundle(rt)
    pid = rt.state(b.cid)["pid"]
    rt.cli("pause", b.cid).ok()
    rt.delete(b.cid, "--force")
    assert not pid_alive(pid)
    assert rt.try_state(b.cid) is None


def test_kill_paused_container(rt):
    b = counter_bundle(rt)
    rt.cli("pause", b.cid).ok()
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")


# ---- ps

def test_ps(rt):
    b = rt.bundle(script="sleep 1001 & sleep 1002 & wait")
    rt.start_detached(b)
    init = rt.state(b.cid)["pid"]
    wait_for(lambda: len(json.loads(rt.cli("ps", "--format", "json", b.cid).ok().out)) == 3)
    pids = json.loads(rt.cli("ps", "--format", "json", b.cid).ok().out)
    assert init in pids
    table = rt.cli("ps", b.cid).ok().out.splitlines()
    assert "PID" in table[0].split()
    assert len(table) == 4, table
    assert any("sleep 1001" in line for line in table)
    table = rt.cli("ps", b.cid, "-o", "pid,comm").ok().out.splitlines()
    assert table[0].split() == ["PID", "COMMAND"]
    assert sorted(int(line.split()[0]) for line in table[1:]) == sorted(pids)


def test_ps_errors(rt):
    res = rt.cli("ps", "no-such-container").failed()
    assert "does not exist" in res.err
    b = rt.bundle(script="exit 0")
    rt.run(b, "--keep").ok()
    res = rt.cli("ps", b.cid).failed()
    assert "not running" in res.err
    rt.delete(b.cid)


# ---- events

def test_events_stats(rt):
    h = host()
    h.need("memory")
    h.need("pids")
    b, rel = created(rt, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}}, start=True)
    ev = events_json(rt.cli("events", "--stats", b.cid).ok().out)
    assert len(ev) == 1
    e = ev[0]
    assert e["type"] == "stats" and e["id"] == b.cid
    d = e["data"]
    assert d["memory"]["usage"]["limit"] == 64 * MiB
    assert d["memory"]["usage"]["usage"] > 0
    assert d["pids"] == {"current": 1, "limit": 50}
    assert d["cpu"]["usage"]["total"] > 0
    for key in ("cpuset", "blkio", "hugetlb", "intel_rdt", "network_interfaces"):
        assert key in d


def test_events_stream_until_stop(rt):
    b = rt.bundle(script="sleep 1000")
    rt.start_detached(b)
    sp = rt.spawn("events", "--interval", "100ms", b.cid)
    wait_for(lambda: len(events_json(open(sp.out_path).read())) >= 2, what="two stats events")
    rt.kill(b.cid, "KILL")
    res = sp.wait(10)
    assert res.rc == 0, res
    assert all(e["type"] == "stats" for e in events_json(res.out))


def test_events_oom(rt):
    h = host()
    h.need("memory")
    b = rt.bundle(script="touch /ready; while [ ! -e /go ]; do sleep 0.05; done; sh /hog.sh; sleep 1000",
                  write=False)
    b.r("hog.sh").write_text(HOG)
    b.linux["resources"]["memory"] = {"limit": 16 * MiB}
    if h.on_v2("memory") or h.exists("memory", "/", "memory.memsw.limit_in_bytes"):
        b.linux["resources"]["memory"]["swap"] = 16 * MiB
    b.write()
    rt.start_detached(b)
    wait_for(lambda: b.r("ready").exists())
    sp = rt.spawn("events", "--interval", "10s", b.cid)
    time.sleep(0.5)  # let events register its OOM watch
    b.r("go").write_text("")
    wait_for(lambda: any(e["type"] == "oom" for e in events_json(open(sp.out_path).read())), timeout=10,
             what="an oom event")
    ev = [e for e in events_json(open(sp.out_path).read()) if e["type"] == "oom"][0]
    assert ev["id"] == b.cid
    # The OOM killer may have picked the init itself: then it is gone already.
    rt.kill(b.cid, "KILL", check=False)
    assert sp.wait(10).rc == 0


def test_events_errors(rt):
    res = rt.cli("events", "--interval", "soon", "x").failed()
    assert "--interval" in res.err
    res = rt.cli("events", "no-such-container").failed()
    assert "does not exist" in res.err


# ---- kill --all, delete

def start_without_pidns(rt, script, nprocs):
    """Without a pid namespace the init's children outlive it.  Returns the
    bundle and the pids once NPROCS processes are in the container."""
    b = rt.bundle(script=script, write=False)
    b.remove_ns("pid")
    b.write()
    rt.start_detached(b)
    ps = lambda: json.loads(rt.cli("ps", "--format", "json", b.cid).ok().out)  # noqa: E731
    wait_for(lambda: len(ps()) == nprocs, what=f"{nprocs} processes")
    return b, ps()


def test_kill_all(rt):
    """kill --all reaches every process of the cgroup."""
    h = host()
    b, pids = start_without_pidns(rt, "sleep 1001 & sleep 1002 & wait", 3)
    rt.cli("kill", "--all", b.cid, "KILL").ok()
    wait_for(lambda: not any(pid_alive(p) for p in pids), what="every process to die")
    rel = f"/pith-test/{b.cid}"
    procs = h.path("pids" if "pids" in h.v1 else "unified", rel, "cgroup.procs")
    assert open(procs).read().strip() == ""


def test_kill_all_term(rt):
    b = rt.bundle(script="trap 'echo got-term > /term; exit 0' TERM; touch /ready; while true; do sleep 0.1; done")
    rt.start_detached(b)
    wait_for(lambda: b.r("ready").exists())
    rt.cli("kill", "--all", b.cid, "TERM").ok()
    wait_for(lambda: b.r("term").exists(), what="the TERM trap")
    rt.wait_status(b.cid, "stopped")


def test_delete_after_crash(rt):
    """The init died without pith (a crash): delete still kills what is left
    in the cgroup and removes it."""
    h = host()
    b, pids = start_without_pidns(rt, "sleep 1001 & sleep 1000", 2)
    os.kill(rt.state(b.cid)["pid"], signal.SIGKILL)
    rt.wait_status(b.cid, "stopped")
    rt.delete(b.cid)
    assert not any(pid_alive(p) for p in pids)
    rel = f"/pith-test/{b.cid}"
    assert [d for d in h.all_dirs(rel) if os.path.exists(d)] == []
