"""process.scheduler, process.ioPriority, process.execCPUAffinity,
linux.memoryPolicy and linux.intelRdt, seen from inside the container."""

import json
import os
import re

import pytest

from pithtest import proc_status_fields
from seccomp_helpers import fs_mounted

# /proc/PID/sched has the same "key : value" lines as /proc/PID/status
sched_fields = proc_status_fields

SCHED_POLICY = {"SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3, "SCHED_IDLE": 5,
                "SCHED_DEADLINE": 6}


def run_with_process(rt, script, **process):
    def tweak(b):
        b.process.update(process)
    return rt.run_script(script, tweak=tweak)


def host_refuses(res, what):
    """A real-time or deadline policy the host's cgroup setup does not allow."""
    if res.rc != 0 and ("Operation not permitted" in res.err or "Device or resource busy" in res.err
                        or "Invalid argument" in res.err):
        pytest.skip(f"SKIPPED: this host refuses {what} in the test cgroup: {res.err.strip()}")


# -- scheduler -------------------------------------------------------------------

def test_scheduler_batch_with_nice(rt):
    res = run_with_process(rt, "cat /proc/$$/sched; cat /proc/$$/stat; exit 0",
                           scheduler={"policy": "SCHED_BATCH", "nice": 7})
    out = res.ok().out
    f = sched_fields(out)
    assert f["policy"] == str(SCHED_POLICY["SCHED_BATCH"])
    assert f["prio"] == str(120 + 7)
    stat = [l for l in out.splitlines() if l.startswith("1 (")][0]
    assert stat.rsplit(")", 1)[1].split()[16] == "7", "nice is field 19 of /proc/PID/stat"


def test_scheduler_idle(rt):
    out = run_with_process(rt, "cat /proc/$$/sched; exit 0", scheduler={"policy": "SCHED_IDLE"}).ok().out
    assert sched_fields(out)["policy"] == str(SCHED_POLICY["SCHED_IDLE"])


def test_scheduler_negative_nice_needs_no_capability_in_the_container(rt):
    """Applied while pith is still privileged: the program keeps only the
    default capabilities (no CAP_SYS_NICE)."""
    out = run_with_process(rt, "cat /proc/$$/sched; exit 0",
                           scheduler={"policy": "SCHED_OTHER", "nice": -5}).ok().out
    assert sched_fields(out)["prio"] == str(120 - 5)


def test_scheduler_reset_on_fork(rt):
    out = run_with_process(rt, "grep prio /proc/$$/sched; grep prio /proc/self/sched; exit 0",
                           scheduler={"policy": "SCHED_OTHER", "nice": -5,
                                      "flags": ["SCHED_FLAG_RESET_ON_FORK"]}).ok().out
    own, child = [l.split(":")[1].strip() for l in out.splitlines()]
    assert own == "115" and child == "120", "the shell has nice -5, what it forks is reset to 0"


def test_scheduler_fifo(rt):
    def tweak(b):
        b.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
        # a real-time budget for the container's cgroup (RT group scheduling)
        b.linux.setdefault("resources", {})["cpu"] = {"realtimeRuntime": 10000, "realtimePeriod": 1000000}
    res = rt.run_script("cat /proc/$$/sched; exit 0", tweak=tweak)
    host_refuses(res, "SCHED_FIFO")
    f = sched_fields(res.ok().out)
    assert f["policy"] == "1" and f["prio"] == str(99 - 10)


def test_scheduler_deadline(rt):
    # a deadline task cannot fork: the program reads its own file
    b = rt.bundle(args=["cat", "/proc/self/sched"], write=False)
    b.process["scheduler"] = {"policy": "SCHED_DEADLINE", "runtime": 10_000_000,
                              "deadline": 30_000_000, "period": 30_000_000}
    b.write()
    res = rt.run(b)
    host_refuses(res, "SCHED_DEADLINE")
    f = sched_fields(res.ok().out)
    # dl.runtime is what is left of this period's budget
    assert f["policy"] == "6" and 0 < int(f["dl.runtime"]) <= 10_000_000


@pytest.mark.parametrize("sched,message", [
    ({"policy": "SCHED_ISO"}, "/process/scheduler/policy: SCHED_ISO is not implemented by Linux"),
    ({"policy": "SCHED_RR"}, "/process/scheduler/priority: SCHED_RR needs a priority in 1..99, not 0"),
    ({"policy": "SCHED_OTHER", "nice": -21}, "/process/scheduler/nice: -21 is outside -20..19"),
    ({"policy": "SCHED_BATCH", "flags": ["SCHED_FLAG_FAST"]},
     '/process/scheduler/flags/0: unknown scheduler flag "SCHED_FLAG_FAST"'),
])
def test_scheduler_errors(rt, sched, message):
    res = run_with_process(rt, "true", scheduler=sched)
    assert res.rc != 0 and "config.json: " + message in res.err, res.err
    rt.assert_nothing_left()


# -- ioPriority ------------------------------------------------------------------

@pytest.mark.parametrize("io,want", [
    ({"class": "IOPRIO_CLASS_IDLE", "priority": 0}, "idle"),
    ({"class": "IOPRIO_CLASS_BE", "priority": 3}, "best-effort: prio 3"),
    ({"class": "IOPRIO_CLASS_RT", "priority": 2}, "realtime: prio 2"),
])
def test_io_priority(rt, io, want):
    out = run_with_process(rt, "ionice -p $$; ionice -p $$ >/dev/null; exit 0", ioPriority=io).ok().out
    assert out.splitlines()[0] == want


def test_io_priority_error(rt):
    res = run_with_process(rt, "true", ioPriority={"class": "IOPRIO_CLASS_BE", "priority": 9})
    assert res.rc != 0 and "config.json: /process/ioPriority/priority: 9 is outside 0..7" in res.err


# -- execCPUAffinity -------------------------------------------------------------

def test_exec_cpu_affinity_is_not_for_the_init(rt):
    """runtime-spec: "not applicable to the container's init process"."""
    host = proc_status_fields(open("/proc/self/status").read())["Cpus_allowed_list"]
    out = run_with_process(rt, "grep Cpus_allowed_list /proc/$$/status",
                           execCPUAffinity={"initial": "0", "final": "0"}).ok().out
    assert proc_status_fields(out)["Cpus_allowed_list"] == host


def test_exec_cpu_affinity_final_on_exec(rt):
    if os.cpu_count() < 2:
        pytest.skip("SKIPPED: needs two CPUs to tell an affinity from the default")
    if "unknown command" in rt.cli("exec").err:
        pytest.skip("SKIPPED: this build has no `exec` command yet (execCPUAffinity applies to exec only)")
    b = rt.bundle(args=["sleep", "1000"])
    rt.start_detached(b)
    proc = dict(b.process, args=["grep", "Cpus_allowed_list", "/proc/self/status"],
                execCPUAffinity={"initial": "0", "final": "1"})
    pfile = rt.tmp("process.json")
    pfile.write_text(json.dumps(proc))
    out = rt.cli("exec", "--process", pfile, b.cid).ok().out
    assert proc_status_fields(out)["Cpus_allowed_list"] == "1"


# -- memoryPolicy ----------------------------------------------------------------

def numa_nodes():
    try:
        return sorted(int(d[4:]) for d in os.listdir("/sys/devices/system/node") if d.startswith("node"))
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("policy,want", [
    ({"mode": "MPOL_BIND", "nodes": "0"}, "bind:0"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}, "bind=static:0"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0"}, "interleave:0"),
    ({"mode": "MPOL_PREFERRED", "nodes": "0"}, "prefer:0"),
    ({"mode": "MPOL_PREFERRED_MANY", "nodes": "0"}, "prefer (many):0"),
    ({"mode": "MPOL_LOCAL"}, "local"),
])
def test_memory_policy(rt, policy, want):
    if not os.path.exists("/proc/self/numa_maps") or 0 not in numa_nodes():
        pytest.skip("SKIPPED: no NUMA support (no /proc/self/numa_maps or node 0)")

    def tweak(b):
        b.linux["memoryPolicy"] = policy
    res = rt.run_script("grep -m1 heap /proc/$$/numa_maps || head -1 /proc/$$/numa_maps; exit 0", tweak=tweak)
    out = res.ok().out
    # "ADDRESS POLICY heap|file=...|anon=..." and the policy may hold a space
    m = re.match(r"^\S+ (.*?) (?:heap|stack|file=|anon=|mapped=|N\d)", out)
    assert m and m.group(1) == want, out


def test_memory_policy_error(rt):
    def tweak(b):
        b.linux["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE"}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0
    assert "config.json: /linux/memoryPolicy/nodes: MPOL_INTERLEAVE needs at least one node" in res.err


def test_memory_policy_kernel_refusal_names_the_field(rt):
    """A node that does not exist passes validation; the kernel refuses it
    at start and the message says what was asked."""
    def tweak(b):
        b.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "4000"}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and "memoryPolicy: set MPOL_BIND on nodes 4000" in res.err, res.err
    rt.assert_nothing_left()


# -- intelRdt --------------------------------------------------------------------

def resctrl_mounted():
    return fs_mounted("resctrl")


def test_intel_rdt_without_resctrl_is_a_clear_error(rt):
    if resctrl_mounted():
        pytest.skip("SKIPPED: resctrl is mounted here; the missing-resctrl error cannot be shown")

    def tweak(b):
        b.linux["intelRdt"] = {"closID": "gold", "l3CacheSchema": "L3:0=ff"}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0
    assert "config.json: /linux/intelRdt: resctrl is not mounted at /sys/fs/resctrl" in res.err
    rt.assert_nothing_left()


def test_intel_rdt_group(rt):
    if not resctrl_mounted():
        pytest.skip("SKIPPED: no resctrl mounted at /sys/fs/resctrl (no Intel RDT on this host)")

    def tweak(b):
        b.linux["intelRdt"] = {"enableMonitoring": True}
    b = rt.bundle(args=["sleep", "1000"], write=False)
    tweak(b)
    b.write()
    st = rt.start_detached(b)
    group = f"/sys/fs/resctrl/{b.cid}"
    assert str(st["pid"]) in open(f"{group}/tasks").read().split()
    assert os.path.isdir(f"{group}/mon_groups/{b.cid}")
    rt.delete(b.cid, "--force")
    assert not os.path.exists(group), "delete removes the group pith made"


def test_features_report_process_fields(rt):
    f = json.loads(rt.cli("features", root=False).ok().out)["linux"]
    assert "MPOL_WEIGHTED_INTERLEAVE" in f["memoryPolicy"]["modes"]
    assert set(f["memoryPolicy"]["flags"]) == {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                               "MPOL_F_STATIC_NODES"}
    assert f["intelRdt"] == {"enabled": True, "schemata": True}
    assert f["netDevices"] == {"enabled": True}
    assert f["mountExtensions"] == {"idmap": {"enabled": True}}
    assert f["apparmor"] == {"enabled": True} and f["selinux"] == {"enabled": True}


def test_personality_flags_are_refused(rt):
    def tweak(b):
        b.linux["personality"] = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0
    assert 'config.json: /linux/personality/flags/0: unknown personality flag "ADDR_NO_RANDOMIZE"' in res.err


def test_personality_linux32(rt):
    def tweak(b):
        b.linux["personality"] = {"domain": "LINUX32"}
    assert rt.run_ok("uname -m", tweak=tweak) in ("i686\n", "armv7l\n", "armv8l\n")
