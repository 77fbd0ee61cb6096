"""linux.resources on whatever cgroup host this is (v1, hybrid or v2): each
limit is proven by reading the container's cgroup files on the host, and
enforced where that is quick to show.  A resource the host cannot apply must
be refused with an error naming it."""

import os
import stat

import pytest

from pithtest import wait_for
from cghost import HOG, MiB, block_device, created, device_probe, host, hugepage_size, refused


# ---- memory

def test_memory_limit_and_reservation(rt):
    h = host()
    h.need("memory")
    b, rel = created(rt, {"memory": {"limit": 64 * MiB, "reservation": 32 * MiB}})
    if h.on_v2("memory"):
        assert h.read("memory", rel, "memory.max") == str(64 * MiB)
        assert h.read("memory", rel, "memory.low") == str(32 * MiB)
    else:
        assert h.read("memory", rel, "memory.limit_in_bytes") == str(64 * MiB)
        assert h.read("memory", rel, "memory.soft_limit_in_bytes") == str(32 * MiB)


def test_memory_swap_is_memory_plus_swap(rt):
    """The spec's swap is memory+swap (v1 semantics); v2 holds the swap alone."""
    h = host()
    h.need("memory")
    swap_file = "memory.swap.max" if h.on_v2("memory") else "memory.memsw.limit_in_bytes"
    if not h.exists("memory", "/", swap_file) and not h.on_v2("memory"):
        pytest.skip("this kernel does not account swap")
    b, rel = created(rt, {"memory": {"limit": 64 * MiB, "swap": 96 * MiB}})
    if h.on_v2("memory"):
        assert h.read("memory", rel, "memory.swap.max") == str(32 * MiB)
    else:
        assert h.read("memory", rel, "memory.memsw.limit_in_bytes") == str(96 * MiB)


def test_memory_swap_below_limit_is_refused(rt):
    h = host()
    h.need("memory")
    if not h.on_v2("memory") and not os.path.exists(h.path("memory", "/", "memory.memsw.limit_in_bytes")):
        pytest.skip("this kernel does not account swap")
    refused(rt, {"memory": {"limit": 64 * MiB, "swap": 32 * MiB}}, "memory/swap")


def test_memory_unlimited(rt):
    h = host()
    h.need("memory")
    b, rel = created(rt, {"memory": {"limit": -1}})
    if h.on_v2("memory"):
        assert h.read("memory", rel, "memory.max") == "max"
    else:
        assert int(h.read("memory", rel, "memory.limit_in_bytes")) > 2 ** 60


def test_memory_swappiness_and_oom_killer(rt):
    h = host()
    h.need("memory")
    mem = {"swappiness": 10, "disableOOMKiller": True}
    if h.on_v2("memory"):
        refused(rt, {"memory": {"swappiness": 10}}, "memory/swappiness", "cgroup v2")
        refused(rt, {"memory": {"disableOOMKiller": True}}, "memory/disableOOMKiller", "cgroup v2")
        return
    b, rel = created(rt, {"memory": mem})
    assert h.read("memory", rel, "memory.swappiness") == "10"
    assert h.keyed("memory", rel, "memory.oom_control")["oom_kill_disable"] == "1"


def test_memory_swappiness_out_of_range(rt):
    h = host()
    h.need("memory")
    refused(rt, {"memory": {"swappiness": 101}}, "memory/swappiness")


def test_memory_limit_enforced(rt):
    """Going over the limit gets the process OOM-killed (SIGKILL: 137)."""
    h = host()
    h.need("memory")
    b = rt.bundle(script="sh /hog.sh; echo rc=$?", write=False)
    b.r("hog.sh").write_text(HOG)
    b.linux["resources"]["memory"] = {"limit": 16 * MiB, "swap": 16 * MiB}
    if not h.on_v2("memory") and not h.exists("memory", "/", "memory.memsw.limit_in_bytes"):
        del b.linux["resources"]["memory"]["swap"]
    b.write()
    res = rt.run(b)
    # The OOM killer picks the hog's shell, or now and then the container's
    # init (which then never prints): both are the limit at work.
    assert "survived" not in res.out, res
    assert "rc=137" in res.out or res.rc == 137, res


def test_kernel_memory(rt):
    h = host()
    h.need("memory")
    if h.on_v2("memory"):
        refused(rt, {"memory": {"kernel": 64 * MiB}}, "memory/kernel", "cgroup v2")
        return
    if not h.exists("memory", "/", "memory.kmem.tcp.limit_in_bytes"):
        pytest.skip("this kernel has no kmem.tcp limit")
    b, rel = created(rt, {"memory": {"kernelTCP": 16 * MiB}})
    assert h.read("memory", rel, "memory.kmem.tcp.limit_in_bytes") == str(16 * MiB)


# ---- cpu

def test_cpu_shares_quota_period(rt):
    h = host()
    h.need("cpu")
    b, rel = created(rt, {"cpu": {"shares": 1024, "quota": 50000, "period": 100000}})
    if h.on_v2("cpu"):
        # 1024 shares (the default) map to the default weight 100.
        assert h.read("cpu", rel, "cpu.weight") == "100"
        assert h.read("cpu", rel, "cpu.max") == "50000 100000"
    else:
        assert h.read("cpu", rel, "cpu.shares") == "1024"
        assert h.read("cpu", rel, "cpu.cfs_quota_us") == "50000"
        assert h.read("cpu", rel, "cpu.cfs_period_us") == "100000"


def test_cpu_shares_to_weight(rt):
    h = host()
    h.need("cpu")
    if not h.on_v2("cpu"):
        pytest.skip("cpu.weight is cgroup v2")
    b, rel = created(rt, {"cpu": {"shares": 512}})
    assert h.read("cpu", rel, "cpu.weight") == "59"


def test_cpu_burst_and_idle(rt):
    h = host()
    h.need("cpu")
    burst = "cpu.max.burst" if h.on_v2("cpu") else "cpu.cfs_burst_us"
    b, rel = created(rt, {"cpu": {"quota": 50000, "period": 100000, "burst": 10000, "idle": 1}})
    assert h.read("cpu", rel, burst) == "10000"
    assert h.read("cpu", rel, "cpu.idle") == "1"


def test_cpu_realtime(rt):
    h = host()
    h.need("cpu")
    if h.on_v2("cpu"):
        refused(rt, {"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 100000}}, "cpu/realtime", "cgroup v2")
        return
    if not h.exists("cpu", "/", "cpu.rt_period_us"):
        # A kernel without CONFIG_RT_GROUP_SCHED (Debian's): refused, named.
        refused(rt, {"cpu": {"realtimePeriod": 200000}}, "cpu/realtimePeriod", "cpu.rt_period_us")
        return
    b, rel = created(rt, {"cpu": {"realtimePeriod": 200000}})
    assert h.read("cpu", rel, "cpu.rt_period_us") == "200000"


def test_cpuset(rt):
    h = host()
    h.need("cpuset")
    b, rel = created(rt, {"cpu": {"cpus": "0", "mems": "0"}})
    assert h.read("cpuset", rel, "cpuset.cpus") == "0"
    assert h.read("cpuset", rel, "cpuset.mems") == "0"
    pid = rt.state(b.cid)["pid"]
    with open(f"/proc/{pid}/status") as f:
        assert "Cpus_allowed_list:\t0\n" in f.read()


def test_cpuset_impossible_cpu(rt):
    h = host()
    h.need("cpuset")
    refused(rt, {"cpu": {"cpus": "4095"}}, "cpu/cpus")


# ---- pids

@pytest.mark.parametrize("limit,want", [(20, "20"), (-1, "max"), (0, "0")], ids=["20", "negative", "zero"])
def test_pids_limit(rt, limit, want):
    """runtime-spec 1.3: a negative limit is "max"; 0 is a real limit."""
    h = host()
    h.need("pids")
    b, rel = created(rt, {"pids": {"limit": limit}})
    assert h.read("pids", rel, "pids.max") == want


def test_pids_limit_enforced(rt):
    h = host()
    h.need("pids")
    # busybox sh gives up at the first failed fork: fork in a child shell.
    b = rt.bundle(script="sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 0.5 & done' 2>/tmp/err; echo rc=$?",
                  write=False)
    b.linux["resources"]["pids"] = {"limit": 5}
    b.write()
    out = rt.run(b).ok().out
    assert out.strip() == "rc=2", out
    assert "can't fork" in b.r("tmp/err").read_text()


# ---- block I/O

def test_blkio_weight(rt):
    """Applied where the kernel has a weight knob (CFQ/BFQ, iocost); else
    refused with the resource named."""
    h = host()
    ctrl = "io" if h.is_v2 else "blkio"
    h.need(ctrl)
    b = rt.bundle(script="sleep 1000", write=False)
    b.linux["resources"]["blockIO"] = {"weight": 500}
    b.write()
    res = rt.create(b, check=False)
    rel = f"/pith-test/{b.cid}"
    if res.rc != 0:
        assert "blockIO/weight" in res.err and "has no" in res.err, res.err
        return
    if h.on_v2(ctrl):
        if h.exists(ctrl, rel, "io.bfq.weight"):
            assert h.read(ctrl, rel, "io.bfq.weight").split()[-1] == "500"
        else:
            # blkio 10..1000 onto io.weight 1..10000.
            assert h.read(ctrl, rel, "io.weight") == "default 4950"
    else:
        f = "blkio.weight" if h.exists(ctrl, rel, "blkio.weight") else "blkio.bfq.weight"
        assert h.read(ctrl, rel, f).split()[-1] == "500"


def test_blkio_throttle(rt):
    h = host()
    ctrl = "io" if h.is_v2 else "blkio"
    h.need(ctrl)
    major, minor = block_device()
    dev = lambda rate: [{"major": major, "minor": minor, "rate": rate}]  # noqa: E731
    b, rel = created(rt, {"blockIO": {"throttleReadBpsDevice": dev(1048576), "throttleWriteBpsDevice": dev(2097152),
                                      "throttleReadIOPSDevice": dev(100), "throttleWriteIOPSDevice": dev(200)}})
    if h.on_v2(ctrl):
        line = [l for l in h.read(ctrl, rel, "io.max").splitlines() if l.startswith(f"{major}:{minor} ")]
        assert line and set(line[0].split()[1:]) == {"rbps=1048576", "wbps=2097152", "riops=100", "wiops=200"}
    else:
        assert h.read(ctrl, rel, "blkio.throttle.read_bps_device") == f"{major}:{minor} 1048576"
        assert h.read(ctrl, rel, "blkio.throttle.write_bps_device") == f"{major}:{minor} 2097152"
        assert h.read(ctrl, rel, "blkio.throttle.read_iops_device") == f"{major}:{minor} 100"
        assert h.read(ctrl, rel, "blkio.throttle.write_iops_device") == f"{major}:{minor} 200"


def test_blkio_throttle_unknown_device(rt):
    h = host()
    h.need("io" if h.is_v2 else "blkio")
    refused(rt, {"blockIO": {"throttleReadBpsDevice": [{"major": 4000, "minor": 4000, "rate": 1}]}},
            "blockIO/throttleReadBpsDevice/0")


def test_blkio_leaf_weight_on_v2(rt):
    h = host()
    if not h.on_v2("io"):
        pytest.skip("leafWeight is refused on cgroup v2 only")
    refused(rt, {"blockIO": {"leafWeight": 300}}, "blockIO/leafWeight", "cgroup v2")


# ---- hugetlb

def test_hugepage_limits(rt):
    h = host()
    h.need("hugetlb")
    size = hugepage_size()
    b, rel = created(rt, {"hugepageLimits": [{"pageSize": size, "limit": 4 * 2 * MiB}]})
    if h.on_v2("hugetlb"):
        assert h.read("hugetlb", rel, f"hugetlb.{size}.max") == str(8 * MiB)
        if h.exists("hugetlb", rel, f"hugetlb.{size}.rsvd.max"):
            assert h.read("hugetlb", rel, f"hugetlb.{size}.rsvd.max") == str(8 * MiB)
    else:
        assert h.read("hugetlb", rel, f"hugetlb.{size}.limit_in_bytes") == str(8 * MiB)


def test_hugepage_unknown_size(rt):
    h = host()
    h.need("hugetlb")
    refused(rt, {"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]}, "hugepageLimits/0")


# ---- network, rdma

def test_network(rt):
    h = host()
    if h.is_v2:
        refused(rt, {"network": {"classID": 1048577}}, "network/classID", "cgroup v1 only")
        return
    if "net_cls" not in h.v1:
        refused(rt, {"network": {"classID": 1048577}}, "network/classID", "net_cls")
        return
    net = {"classID": 1048577}
    if "net_prio" in h.v1:
        net["priorities"] = [{"name": "lo", "priority": 5}]
    b, rel = created(rt, {"network": net})
    assert h.read("net_cls", rel, "net_cls.classid") == "1048577"
    if "net_prio" in h.v1:
        assert "lo 5" in h.read("net_prio", rel, "net_prio.ifpriomap").splitlines()


def test_rdma(rt):
    h = host()
    if not h.has("rdma"):
        refused(rt, {"rdma": {"mlx5_0": {"hcaHandles": 3}}}, "rdma", "not mounted")
        return
    # No RDMA device here: the kernel refuses, and pith names the device.
    refused(rt, {"rdma": {"nosuchhca0": {"hcaHandles": 3, "hcaObjects": 100}}}, "rdma/nosuchhca0")


# ---- unified

def test_unified_keys(rt):
    h = host()
    if h.kind == "v1":
        refused(rt, {"unified": {"memory.high": "50000000"}}, "unified", "cgroup v1 only")
        return
    if h.on_v2("memory"):
        b, rel = created(rt, {"unified": {"memory.high": "50000000", "pids.max": "33"}})
        assert h.read("memory", rel, "memory.high") == "49999872"  # page-rounded
        assert h.read("pids", rel, "pids.max") == "33"
        return
    # hybrid: only what the cgroup2 mount holds can be written there.
    refused(rt, {"unified": {"memory.high": "50000000"}}, "unified/memory.high", "not on a cgroup v2 hierarchy")
    if h.v2_controllers:
        ctrl = h.v2_controllers[0]
        if ctrl == "hugetlb":
            size = hugepage_size()
            b, rel = created(rt, {"unified": {f"hugetlb.{size}.max": str(4 * MiB)}})
            assert h.read("unified", rel, f"hugetlb.{size}.max") == str(4 * MiB)


def test_unified_bad_key(rt):
    h = host()
    if h.kind == "v1":
        pytest.skip("unified is refused as a whole on v1")
    refused(rt, {"unified": {"../escape": "1"}}, "unified/../escape", "not a cgroup file name")


# ---- devices

def test_device_rules(rt):
    """Deny-all plus the defaults (the default config), rules with an access
    mask, and linux.devices (always usable): enforced by devices.* files on
    v1, by an eBPF program on v2."""
    rule = lambda access: {"allow": True, "type": "c", "major": 1, "minor": 11, "access": access}  # noqa: E731
    assert device_probe(rt, lambda b: None) == "denied"
    assert device_probe(rt, lambda b: b.linux["resources"]["devices"].append(rule("r"))) == "denied"
    assert device_probe(rt, lambda b: b.linux["resources"]["devices"].append(rule("w"))) == "open"
    listed = {"path": "/dev/k", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666}
    assert device_probe(rt, lambda b: b.linux.setdefault("devices", []).append(listed)) == "open"
    deny_after = {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "rw"}
    assert device_probe(rt, lambda b: b.linux["resources"]["devices"].extend([rule("w"), deny_after])) == "denied"


def test_device_rules_v1_files(rt):
    h = host()
    if "devices" not in h.v1:
        pytest.skip("no v1 devices controller (v2 uses eBPF)")
    b, rel = created(rt)
    listing = h.read("devices", rel, "devices.list")
    assert "a *:* rwm" not in listing and "c 1:3 rwm" in listing and "c 136:* rwm" in listing


def test_device_rule_bad_access(rt):
    refused(rt, {"devices": [{"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwx"}]},
            "devices/0/access")


# ---- placement

def test_container_is_in_its_cgroup(rt):
    h = host()
    b, rel = created(rt)
    pid = str(rt.state(b.cid)["pid"])
    dirs = [d for d in h.all_dirs(rel) if os.path.isdir(d)]
    assert dirs
    for d in dirs:
        with open(os.path.join(d, "cgroup.procs")) as f:
            assert pid in f.read().split(), f"init {pid} not in {d}"


def test_cgroup_removed_on_delete(rt):
    h = host()
    b, rel = created(rt, {"memory": {"limit": 64 * MiB}} if h.has("memory") else None, start=True)
    assert any(os.path.isdir(d) for d in h.all_dirs(rel))
    rt.delete(b.cid, "--force")
    assert [d for d in h.all_dirs(rel) if os.path.exists(d)] == []


def test_default_cgroup_path(rt):
    h = host()
    b = rt.bundle(script="sleep 1000", cgroups_path=None)
    rt.create(b)
    rel = f"/pith/{b.cid}"
    assert any(os.path.isdir(d) for d in h.all_dirs(rel))
    rt.delete(b.cid, "--force")
    assert [d for d in h.all_dirs(rel) if os.path.exists(d)] == []


def test_clone_into_cgroup(rt):
    """On v2 the init starts inside its cgroup (CLONE_INTO_CGROUP)."""
    h = host()
    if not h.is_v2:
        pytest.skip("CLONE_INTO_CGROUP is for cgroup v2")
    log = rt.tmp("debug.log")
    b = rt.bundle(script="sleep 1000")
    rt.create(b, global_args=("--debug", "--log", str(log)))
    assert "started inside its cgroup" in log.read_text()
