"""containerd driving the runtime under test through the runc v2 shim:
`ctr run --runtime io.containerd.runc.v2 --runc-binary $PITH ...`, which is
what a config.toml runtime entry with BinaryName does for CRI clients.

A private containerd runs for the session (conftest.py); the fixture fails a
case that leaves a task, a shim, runtime state, a cgroup or a mount behind.
"""

import contextlib
import os
import time

import engines
from engines import need


@contextlib.contextmanager
def detached(ctr, *flags, cmd=("sleep", "1000")):
    """A detached task with a new id (yielded), removed at the end."""
    cid = ctr.new_id()
    try:
        ctr.run(cid, "-d", *flags, "--", *cmd, rm=False).ok()
        yield cid
    finally:
        ctr.remove_all({cid})


def test_run_echo(ctr):
    res = ctr.run(ctr.new_id(), "--", "echo", "hi").ok()
    assert res.out == "hi\n"


def test_exit_code(ctr):
    res = ctr.run(ctr.new_id(), "--", "sh", "-c", "exit 7")
    assert res.rc == 7, res


def test_env_and_cwd(ctr):
    res = ctr.run(ctr.new_id(), "--env", "FOO=bar", "--env", "TWO=a b", "--cwd", "/home/tester",
                  "--", "sh", "-c", 'echo "$FOO|$TWO|$(pwd)"').ok()
    assert res.out == "bar|a b|/home/tester\n"


def test_read_only(ctr):
    res = ctr.run(ctr.new_id(), "--read-only", "--", "sh", "-c",
                  "touch /etc/x 2>&1; echo rc=$?; grep ' / ' /proc/self/mountinfo").ok()
    assert "Read-only file system" in res.out and "rc=1" in res.out
    root_line = [l for l in res.out.splitlines() if " / / " in l][0]
    assert root_line.split()[5].startswith("ro"), root_line


def test_memory_limit(ctr):
    with detached(ctr, "--memory-limit", str(48 * 1024 * 1024)) as cid:
        dirs = [d for d in engines.cgroup_dirs_named(f"{ctr.ns}/{cid}")
                if "/memory/" in d]
        assert dirs, "no memory cgroup for the task"
        with open(os.path.join(dirs[0], "memory.limit_in_bytes")) as f:
            assert f.read().strip() == str(48 * 1024 * 1024)
        with open(os.path.join(dirs[0], "cgroup.procs")) as f:
            assert f.read().split(), "the task is not in its cgroup"


def test_bind_mount(ctr, base):
    d = base / ctr.new_id("bind")
    d.mkdir()
    (d / "in").write_text("from host\n")
    res = ctr.run(ctr.new_id(), "--mount", f"type=bind,src={d},dst=/data,options=rbind:rw",
                  "--", "sh", "-c", "cat /data/in; echo out > /data/out").ok()
    assert res.out == "from host\n"
    assert (d / "out").read_text() == "out\n"
    res = ctr.run(ctr.new_id(), "--mount", f"type=bind,src={d},dst=/data,options=rbind:ro",
                  "--", "sh", "-c", "touch /data/x 2>&1; echo rc=$?").ok()
    assert "Read-only file system" in res.out and "rc=1" in res.out


def test_tty(ctr):
    cid = ctr.new_id()
    rc, out = engines.run_in_pty(
        ctr.argv("run", "--rm", "-t", *ctr.runtime_flags(), ctr.image, cid,
                 # ctr sizes the console once the task runs: give it a moment
                 "sh", "-c", "tty; sleep 0.5; stty size; echo done"), rows=33, cols=99)
    assert rc == 0, out
    assert "/dev/pts/0" in out
    assert "33 99" in out and "done" in out


def test_detached_task_lifecycle(ctr, rt):
    with detached(ctr, cmd=("sh", "-c", "trap 'echo term; exit 9' TERM; "
                            "while :; do sleep 0.1; done")) as cid:
        assert ctr.tasks().get(cid) == "RUNNING"
        # the runtime sees the container, in the shim's state root
        assert cid in ctr.runtime_state_dirs()
        if rt.has_command("exec"):
            res = ctr.ok("tasks", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo exec-$((6*7))")
            assert res.out == "exec-42\n"
            res = ctr("tasks", "exec", "--exec-id", "e2", cid, "sh", "-c", "exit 4")
            assert res.rc == 4
        if rt.has_command("pause"):
            ctr.ok("tasks", "pause", cid)
            assert ctr.tasks().get(cid) == "PAUSED"
            ctr.ok("tasks", "resume", cid)
            assert ctr.tasks().get(cid) == "RUNNING"
        ctr.ok("tasks", "kill", "--signal", "SIGTERM", cid)
        engines.wait_for(lambda: ctr.tasks().get(cid) == "STOPPED", 10, 0.1, "the task to stop")
        res = ctr.ok("tasks", "delete", cid)
        assert "9" in res.out or res.out == "", res        # ctr prints the exit status
        assert cid not in ctr.tasks()
        ctr.ok("containers", "delete", cid)
        assert cid not in ctr.containers()
        assert cid not in ctr.runtime_state_dirs()


def test_exec(ctr, rt):
    need(rt, "`exec`", rt.has_command("exec"))
    with detached(ctr) as cid:
        res = ctr.ok("tasks", "exec", "--exec-id", "e1", "--cwd", "/tmp",
                     cid, "sh", "-c", 'echo "$(pwd) $PATH"')
        assert res.out == "/tmp /usr/sbin:/usr/bin:/sbin:/bin\n"
        res = ctr("tasks", "exec", "--exec-id", "e2", cid, "/no/such")
        assert res.rc != 0


def test_exec_tty(ctr, rt):
    need(rt, "`exec`", rt.has_command("exec"))
    with detached(ctr) as cid:
        rc, out = engines.run_in_pty(ctr.argv("tasks", "exec", "-t", "--exec-id", "t1", cid,
                                              "sh", "-c", "tty; test -t 0 && echo on-tty"))
        assert rc == 0, out
        assert "/dev/pts/" in out and "on-tty" in out


def test_pause_resume(ctr, rt):
    need(rt, "`pause`", rt.has_command("pause"))
    with detached(ctr) as cid:
        ctr.ok("tasks", "pause", cid)
        assert ctr.tasks().get(cid) == "PAUSED"
        freezer = [d for d in engines.cgroup_dirs_named(f"{ctr.ns}/{cid}") if "/freezer/" in d]
        if freezer:
            with open(os.path.join(freezer[0], "freezer.state")) as f:
                assert f.read().strip() == "FROZEN"
        ctr.ok("tasks", "resume", cid)
        assert ctr.tasks().get(cid) == "RUNNING"


def test_kill_and_delete(ctr):
    with detached(ctr) as cid:
        t0 = time.monotonic()
        ctr.ok("tasks", "kill", "--signal", "SIGKILL", cid)
        engines.wait_for(lambda: ctr.tasks().get(cid) == "STOPPED", 10, 0.1, "the task to stop")
        assert time.monotonic() - t0 < 5
        ctr.ok("tasks", "delete", cid)
        ctr.ok("containers", "delete", cid)
        assert not engines.cgroup_dirs_named(f"{ctr.ns}/{cid}")


def test_delete_force_running(ctr):
    with detached(ctr) as cid:
        ctr.ok("tasks", "delete", "--force", cid)
        assert cid not in ctr.tasks()
        assert cid not in ctr.runtime_state_dirs()
        ctr.ok("containers", "delete", cid)
