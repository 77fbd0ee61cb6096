"""checkpoint and restore, through the criu binary.

Where criu cannot dump on this host (kernel features it does not know, a
missing criu), the round-trip tests skip loudly with criu's own reason, as
pith reports it; the error reporting itself is checked either way.
"""

import json
import os
import re
import shutil
import subprocess
import time

import pytest

from pithtest import cgroup_all_mounts, pid_alive, wait_for

COUNTER = "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done"


def counter(b):
    try:
        return int(b.r("/tmp/count").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def running_counter(rt):
    b = rt.bundle(script=COUNTER)
    rt.cli("run", "--detach", "--bundle", b.path, b.cid).ok()
    wait_for(lambda: counter(b) > 3, what="the counter to count")
    return b


def criu_failure(res):
    """pith's report of a criu failure: (the reason, the log path), or None."""
    m = re.search(r"criu (?:dump|pre-dump|restore) failed \(exit status \d+\): (.*) \(log: (\S+)\)$",
                  res.err.strip().splitlines()[-1] if res.err.strip() else "")
    return (m.group(1), m.group(2)) if m else None


def checkpoint_or_skip(rt, b, images, *flags):
    res = rt.cli("checkpoint", "--image-path", images, *flags, b.cid)
    if res.rc == 0:
        return res
    if shutil.which("criu") is None:
        pytest.skip(f"SKIPPED: criu is not installed: {res.err.strip()}")
    failure = criu_failure(res)
    assert failure, f"checkpoint failed without criu's reason: {res!r}"
    reason, log = failure
    # the report is precise: criu's log is where it says, with that error in it
    assert os.path.isfile(log), res
    for part in reason.split(" ... "):
        assert part in open(log, errors="replace").read(), (part, log)
    # and a failed dump leaves the container as it was
    assert json.loads(rt.cli("state", b.cid).ok().out)["status"] == "running"
    pytest.skip(f"SKIPPED: criu cannot checkpoint on this host: {reason} (see {log})")


def test_checkpoint_and_restore_go_on_counting(rt):
    b = running_counter(rt)
    images = rt.tmp("images")
    checkpoint_or_skip(rt, b, images)
    # the container is gone, its processes too
    res = rt.cli("state", b.cid).failed()
    assert "does not exist" in res.err
    before = counter(b)
    time.sleep(0.3)
    assert counter(b) == before, "the counter went on after the checkpoint"
    rt.cli("restore", "--detach", "--image-path", images, "--bundle", b.path, b.cid).ok()
    st = json.loads(rt.cli("state", b.cid).ok().out)
    assert st["status"] == "running" and pid_alive(st["pid"])
    wait_for(lambda: counter(b) > before + 3, what="the restored counter to go on")
    rt.cli("delete", "--force", b.cid).ok()


def test_checkpoint_leave_running(rt):
    b = running_counter(rt)
    checkpoint_or_skip(rt, b, rt.tmp("images"), "--leave-running")
    assert json.loads(rt.cli("state", b.cid).ok().out)["status"] == "running"
    before = counter(b)
    wait_for(lambda: counter(b) > before, what="the counter to go on")


def test_checkpoint_needs_a_running_container(rt):
    b = rt.bundle(script="sleep 1000")
    rt.create(b)
    res = rt.cli("checkpoint", "--image-path", rt.tmp("images"), b.cid).failed()
    assert f'container "{b.cid}" is not running (it is created)' in res.err, res
    res = rt.cli("checkpoint", "no-such-container").failed()
    assert "does not exist" in res.err


def test_checkpoint_without_criu(rt):
    b = running_counter(rt)
    env = dict(os.environ, PITH_CRIU="/nonexistent/criu")
    res = rt.cli("checkpoint", "--image-path", rt.tmp("images"), b.cid, env=env).failed()
    assert "cannot run criu `/nonexistent/criu`" in res.err, res
    assert json.loads(rt.cli("state", b.cid).ok().out)["status"] == "running"


def test_restore_of_no_checkpoint_leaves_nothing(rt):
    b = rt.bundle(script="true")
    empty = rt.tmp("empty")
    empty.mkdir()
    rt.register_id(b.cid)
    res = rt.cli("restore", "--detach", "--image-path", empty, "--bundle", b.path, b.cid).failed()
    assert f'restore container "{b.cid}": not a checkpoint made by pith' in res.err, res
    res = rt.cli("restore", "--image-path", rt.tmp("missing"), "--bundle", b.path, b.cid).failed()
    assert "images directory" in res.err and "No such file or directory" in res.err, res
    assert not (rt.root / b.cid).exists()
    for mnt in cgroup_all_mounts().values():
        assert not os.path.exists(f"{mnt}/pith-test/{b.cid}"), mnt


@pytest.mark.parametrize("flag", [["--console-socket", "/tmp/x.sock"], ["--no-pivot"]],
                         ids=lambda f: f[0].strip("-"))
def test_restore_refuses_what_it_cannot_do(rt, flag):
    b = rt.bundle(script="true")
    rt.register_id(b.cid)
    res = rt.cli("restore", *flag, "--image-path", rt.tmp("images"), "--bundle", b.path, b.cid).failed()
    assert f"{flag[0]} is not supported" in res.err, res
    assert not (rt.root / b.cid).exists()


def test_checkpoint_flags_are_checked(rt):
    res = rt.cli("checkpoint", "--manage-cgroups-mode", "bogus", "x").failed()
    assert '--manage-cgroups-mode: "bogus" is not soft, full, strict or ignore' in res.err


def test_criu_check_agrees(rt):
    """When `criu check` fails, say so loudly: it is why the tests above skip."""
    if shutil.which("criu") is None:
        pytest.skip("SKIPPED: criu is not installed (apt-get install criu)")
    res = subprocess.run(["criu", "check"], capture_output=True, text=True)
    if res.returncode != 0:
        lines = [l for l in (res.stderr + res.stdout).splitlines() if "Error" in l]
        pytest.skip("SKIPPED: `criu check` fails on this host: " + (lines[0] if lines else res.stderr.strip()))
