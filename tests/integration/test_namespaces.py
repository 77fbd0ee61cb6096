"""Namespaces: new ones, shared ones, joined ones, user and time namespaces."""

import os
import socket

import pytest

from pithtest import NS_PROC_NAME, host_ns_inode, ns_inode, wait_for


def inside_ns_inodes(out):
    """Parse lines of `readlink /proc/$$/ns/X` output into {name: inode}."""
    res = {}
    for line in out.split():
        name = line.split(":", 1)[0]
        res[name] = ns_inode(line)
    return res


def readlink_script(types):
    return "; ".join(f"readlink /proc/$$/ns/{NS_PROC_NAME[t]}" for t in types)


@pytest.mark.parametrize("ns", ["pid", "network", "ipc", "uts", "mount", "cgroup"])
def test_namespace_is_new(rt, ns):
    out = rt.run_ok(readlink_script([ns]), tweak=lambda b: b.add_ns(ns))
    inside = inside_ns_inodes(out)[NS_PROC_NAME[ns]]
    assert inside != host_ns_inode(ns)


@pytest.mark.parametrize("ns", ["pid", "network", "ipc", "uts", "cgroup", "user"])
def test_unlisted_namespace_is_shared(rt, ns):
    def tweak(b):
        b.remove_ns(ns)
        if ns == "uts":
            b.config.pop("hostname", None)
    out = rt.run_ok(readlink_script([ns]), tweak=tweak)
    assert inside_ns_inodes(out)[NS_PROC_NAME[ns]] == host_ns_inode(ns)


def test_pid_namespace_init_is_1(rt):
    out = rt.run_ok("echo $$; ls /proc | grep -c '^[0-9]'")
    pid, nprocs = out.split()
    assert pid == "1"
    assert int(nprocs) <= 3, "processes of the host are visible"


def test_uts_hostname_and_domainname(rt):
    host_before = socket.gethostname()

    def tweak(b):
        b.config["hostname"] = "box-one"
        b.config["domainname"] = "example.test"
    out = rt.run_ok("hostname; cat /proc/sys/kernel/domainname", tweak=tweak)
    assert out.split() == ["box-one", "example.test"]
    assert socket.gethostname() == host_before


def test_network_namespace_has_only_lo(rt):
    out = rt.run_ok("tail -n +3 /proc/net/dev | cut -d: -f1")
    assert out.split() == ["lo"]


def test_cgroup_namespace_root(rt):
    out = rt.run_ok("cat /proc/self/cgroup", tweak=lambda b: b.add_ns("cgroup"))
    for line in out.splitlines():
        assert line.split(":", 2)[2] == "/", f"cgroup namespace not rooted: {line}"


def test_mount_namespace_private(rt):
    out = rt.run_ok("mkdir -p /m && mount -t tmpfs tmpfs /m && grep ' /m ' /proc/self/mountinfo",
                    tweak=lambda b: b.set_caps(["CAP_SYS_ADMIN"]))
    assert "tmpfs" in out
    rt.assert_nothing_left()


def test_user_namespace_mappings(rt):
    try:
        if int(open("/proc/sys/user/max_user_namespaces").read()) == 0:
            pytest.skip("user namespaces are disabled (user.max_user_namespaces=0)")
    except FileNotFoundError:
        pytest.skip("kernel without user namespaces")
    def tweak(b):
        b.add_ns("user")
        b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b = rt.bundle(script="cat /proc/self/uid_map /proc/self/gid_map > /tmp/maps.txt; "
                         "id -u >> /tmp/maps.txt; sleep 1000", write=False)
    tweak(b)
    os.chmod(b.r("tmp"), 0o1777)
    b.write()
    st = rt.start_detached(b)
    wait_for(lambda: b.r("tmp/maps.txt").exists() and
             len(b.r("tmp/maps.txt").read_text().splitlines()) == 3,
             what="maps output")
    lines = [l.split() for l in b.r("tmp/maps.txt").read_text().splitlines()]
    assert lines == [["0", "100000", "65536"], ["0", "200000", "65536"], ["0"]]
    status = open(f"/proc/{st['pid']}/status").read()
    uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
    gid_line = [l for l in status.splitlines() if l.startswith("Gid:")][0]
    assert uid_line.split()[1:] == ["100000"] * 4
    assert gid_line.split()[1:] == ["200000"] * 4
    assert host_ns_inode("user", st["pid"]) != host_ns_inode("user")


def test_time_namespace_offsets(rt):
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("kernel without time namespaces (CONFIG_TIME_NS)")
    offset = 10 * 86400

    def tweak(b):
        b.add_ns("time")
        b.linux["timeOffsets"] = {"boottime": {"secs": offset, "nanosecs": 0},
                                  "monotonic": {"secs": offset, "nanosecs": 0}}
    host_uptime = float(open("/proc/uptime").read().split()[0])
    out = rt.run_ok("cat /proc/uptime; readlink /proc/$$/ns/time", tweak=tweak)
    lines = out.split("\n")
    inside = float(lines[0].split()[0])
    assert offset + host_uptime - 5 <= inside <= offset + host_uptime + 60, \
        f"uptime inside {inside}, host {host_uptime}"
    assert ns_inode(lines[1]) != host_ns_inode("time")


def test_join_network_namespace_by_path(rt):
    _name, path = rt.make_netns()
    out = rt.run_ok("readlink /proc/$$/ns/net", tweak=lambda b: b.add_ns("network", path))
    assert ns_inode(out) == os.stat(path).st_ino


def test_join_namespaces_of_another_container(rt):
    a = rt.bundle(script="sleep 1000", write=False)
    a.config["hostname"] = "ctr-a"
    a.write()
    rt.create(a)
    apid = rt.state(a.cid)["pid"]

    def tweak(b):
        for ns in ("network", "ipc", "uts"):
            b.add_ns(ns, f"/proc/{apid}/ns/{NS_PROC_NAME[ns]}")
        b.config.pop("hostname", None)
    out = rt.run_ok(readlink_script(["network", "ipc", "uts", "pid"]) + "; hostname",
                    tweak=tweak)
    *links, hostname = out.split()
    inside = inside_ns_inodes("\n".join(links))
    for ns in ("network", "ipc", "uts"):
        assert inside[NS_PROC_NAME[ns]] == host_ns_inode(ns, apid), ns
    assert inside["pid"] != host_ns_inode("pid", apid)
    assert hostname == "ctr-a"


def test_new_pid_namespace_inside_joined_user_namespace(rt):
    """Joining a user namespace by path with a new pid namespace (Podman pods with
    --userns): the pid namespace must belong to the joined user namespace, or
    mounting /proc inside fails, and the program must be its pid 1."""
    if int(open("/proc/sys/user/max_user_namespaces").read()) == 0:
        pytest.skip("user namespaces are disabled (user.max_user_namespaces=0)")
    a = rt.bundle(script="sleep 1000", write=False)
    a.add_ns("user")
    a.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    a.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    a.write()
    rt.create(a)
    apid = rt.state(a.cid)["pid"]

    def tweak(b):
        b.add_ns("user", f"/proc/{apid}/ns/user")
        b.add_ns("pid")
    out = rt.run_ok("echo $$; " + readlink_script(["user", "pid"]), tweak=tweak)
    pid1, *links = out.split()
    inside = inside_ns_inodes("\n".join(links))
    assert pid1 == "1"
    assert inside["user"] == host_ns_inode("user", apid)
    assert inside["pid"] not in (host_ns_inode("pid", apid), host_ns_inode("pid"))
