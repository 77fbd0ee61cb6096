"""/dev contents: default devices, links, linux.devices, devices cgroup."""

import os

import pytest

from pithtest import wait_for

DEFAULT_DEVICES = {
    "null": (1, 3), "zero": (1, 5), "full": (1, 7),
    "random": (1, 8), "urandom": (1, 9), "tty": (5, 0),
}


def stat_lines(out):
    res = {}
    for line in out.splitlines():
        if " " in line:
            name, rest = line.split(" ", 1)
            res[name] = rest
    return res


def test_default_devices(rt):
    script = "; ".join(f"echo /dev/{d} $(stat -c '%F|%t|%T|%a' /dev/{d})"
                       for d in DEFAULT_DEVICES)
    got = stat_lines(rt.run_ok(script))
    for name, (major, minor) in DEFAULT_DEVICES.items():
        want = f"character special file|{major:x}|{minor:x}|666"
        assert got[f"/dev/{name}"] == want, f"/dev/{name}: {got[f'/dev/{name}']}"


def test_dev_links(rt):
    out = rt.run_ok("for l in ptmx fd stdin stdout stderr; do "
                    "echo $l $(readlink /dev/$l); done")
    links = stat_lines(out)
    assert links["ptmx"] in ("pts/ptmx", "/dev/pts/ptmx")
    assert links["fd"] == "/proc/self/fd"
    assert links["stdin"] == "/proc/self/fd/0"
    assert links["stdout"] == "/proc/self/fd/1"
    assert links["stderr"] == "/proc/self/fd/2"


def test_dev_pts_and_shm(rt):
    out = rt.run_ok("[ -c /dev/pts/ptmx ] && echo ptmx-ok; "
                    "echo data > /dev/shm/f && cat /dev/shm/f; "
                    "[ -d /dev/mqueue ] && echo mqueue-ok")
    assert out.split() == ["ptmx-ok", "data", "mqueue-ok"]


def test_default_devices_behave(rt):
    out = rt.run_ok("echo x > /dev/null && echo null-ok; "
                    "head -c 4 /dev/zero | od -An -tx1; "
                    "(echo x > /dev/full) 2>&1 || echo full-failed; "
                    "head -c 16 /dev/urandom | wc -c; head -c 16 /dev/random | wc -c")
    lines = [l.strip() for l in out.splitlines()]
    assert lines[0] == "null-ok"
    assert lines[1].split() == ["00"] * 4
    assert "No space left on device" in out and "full-failed" in out
    assert lines[-2:] == ["16", "16"]


def test_linux_devices_created(rt):
    def tweak(b):
        b.linux["devices"] = [
            {"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3,
             "fileMode": 0o640, "uid": 1000, "gid": 1001},
            {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
             "fileMode": 0o666, "uid": 0, "gid": 0},
            {"path": "/dev/sub/myblk", "type": "b", "major": 7, "minor": 0,
             "fileMode": 0o600, "uid": 0, "gid": 0},
        ]
    out = rt.run_ok("for d in mydev mynull sub/myblk; do "
                    "echo /dev/$d $(stat -c '%F|%t|%T|%a|%u|%g' /dev/$d); done; "
                    "echo x > /dev/mynull && echo write-ok", tweak=tweak)
    got = stat_lines(out)
    assert got["/dev/mydev"] == "character special file|1|3|640|1000|1001"
    assert got["/dev/mynull"] == "character special file|1|3|666|0|0"
    assert got["/dev/sub/myblk"] == "block special file|7|0|600|0|0"
    assert "write-ok" in out


def test_devices_cgroup_denies_unlisted(rt, cgroups):
    """The default config denies all devices; only the defaults and
    linux.devices may be opened, whatever nodes the container makes."""
    if "devices" not in cgroups:
        pytest.skip("no devices cgroup v1 hierarchy")
    if not os.path.exists("/dev/loop-control"):
        pytest.skip("needs a harmless char device to probe (/dev/loop-control, 10:237)")
    b = rt.bundle(script="{ mknod /tmp/allowed c 1 3 && (exec 3</tmp/allowed) && echo allowed-ok; "
                         "mknod /tmp/denied c 10 237; "
                         "(exec 3</tmp/denied) && echo open-ok || echo open-denied; "
                         "} > /result 2>&1; touch /started; sleep 1000", write=False)
    b.set_caps(["CAP_MKNOD"])
    b.write()
    rt.start_detached(b)
    wait_for(lambda: b.r("started").exists())
    out = b.r("result").read_text()
    assert "allowed-ok" in out and "open-denied" in out and "open-ok" not in out, out
    assert "Operation not permitted" in out, out
    devlist = open(os.path.join(cgroups["devices"], "pith-test", b.cid, "devices.list")).read()
    assert "a *:* rwm" not in devlist
    assert "c 1:3 rwm" in devlist and "c 1:5 rwm" in devlist
    assert "c 10:237" not in devlist
