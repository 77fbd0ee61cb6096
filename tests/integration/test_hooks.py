"""OCI hooks: when each stage runs, what it receives, timeouts and failures."""

import json
import os
import time

import pytest

from pithtest import BUSYBOX, MARKER_VAR, wait_for

HOST_STAGES = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]

RECORDER = """#!/bin/sh
# rec.sh NAME OUTDIR [EXIT]: record stdin, env and args of one hook call
name=$1
out=$2
cat > "$out/$name.stdin"
env > "$out/$name.env"
printf '%s\\n' "$0" "$@" > "$out/$name.args"
echo "$name" >> "$out/order"
exit "${3:-0}"
"""


class Recorder:
    def __init__(self, rt):
        self.rt = rt
        self.out = rt.tmp("hookout")
        self.out.mkdir()
        os.chmod(self.out, 0o777)
        self.script = rt.tmp("rec.sh")
        self.script.write_text(RECORDER)
        os.chmod(self.script, 0o755)

    def env(self, name):
        return ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"HOOKVAR=value-of-{name}",
                f"{MARKER_VAR}={self.rt.token}"]

    def add(self, b, stage, name=None, exit_code=None, timeout=None):
        name = name or stage
        args = [str(self.script), name, str(self.out)]
        if exit_code is not None:
            args.append(str(exit_code))
        b.add_hook(stage, self.script, args=args, env=self.env(name), timeout=timeout)

    def add_in_container(self, b, stage="startContainer", name=None):
        """A hook whose path resolves inside the container (startContainer)."""
        name = name or stage
        b.r("hookout").mkdir(exist_ok=True)
        b.add_hook(stage, "/bin/sh",
                   args=["sh", "-c", f'cat > /hookout/{name}.stdin; env > /hookout/{name}.env; '
                                     f'echo {name} >> /hookout/order'],
                   env=self.env(name))

    def order(self):
        p = self.out / "order"
        return p.read_text().split() if p.exists() else []

    def ran(self, name):
        return (self.out / f"{name}.stdin").exists()

    def stdin_json(self, name, base=None):
        p = (base or self.out) / f"{name}.stdin"
        return json.loads(p.read_text())

    def env_of(self, name):
        return dict(l.split("=", 1) for l in (self.out / f"{name}.env").read_text().splitlines()
                    if "=" in l)


def bundle_with_all_hooks(rt, rec, script="touch /started; sleep 1000"):
    b = rt.bundle(script=script, write=False)
    for stage in HOST_STAGES:
        rec.add(b, stage)
    rec.add_in_container(b)
    b.write()
    return b


def test_hooks_run_at_lifecycle_points(rt):
    rec = Recorder(rt)
    b = bundle_with_all_hooks(rt, rec)

    rt.create(b)
    order = rec.order()
    assert "createRuntime" in order and "createContainer" in order and "prestart" in order
    assert order.index("createRuntime") < order.index("createContainer")
    assert order.index("prestart") < order.index("createContainer")
    assert "poststart" not in order and "poststop" not in order
    assert not b.r("hookout/startContainer.stdin").exists(), "startContainer ran at create"
    assert not b.r("started").exists()

    rt.start(b.cid)
    assert "poststart" in rec.order(), "poststart had not run when start returned"
    wait_for(lambda: b.r("hookout/startContainer.stdin").exists(), what="startContainer hook")
    wait_for(lambda: b.r("started").exists())
    assert "poststop" not in rec.order()

    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    assert "poststop" not in rec.order()
    rt.delete(b.cid)
    assert rec.order()[-1] == "poststop"
    assert rec.order().count("poststop") == 1


def test_hooks_receive_state_on_stdin(rt):
    rec = Recorder(rt)
    b = bundle_with_all_hooks(rt, rec)
    rt.create(b)
    pid = rt.state(b.cid)["pid"]
    rt.start(b.cid)
    wait_for(lambda: b.r("hookout/startContainer.stdin").exists())
    rt.delete(b.cid, "--force")

    for name in HOST_STAGES:
        st = rec.stdin_json(name)
        assert st["id"] == b.cid, name
        assert st["bundle"] == str(b.path), name
        assert "status" in st, name
        if name != "poststop":              # pid may be left out once stopped
            assert "pid" in st, name
        if name in ("prestart", "createRuntime", "poststart"):
            assert st["pid"] == pid, name        # runs in the runtime namespace
        elif name == "createContainer":
            assert isinstance(st["pid"], int) and st["pid"] > 0
    wait_for(lambda: b.r("hookout/startContainer.stdin").stat().st_size > 0)
    st = rec.stdin_json("startContainer", b.r("hookout"))
    assert st["id"] == b.cid and isinstance(st["pid"], int) and st["pid"] > 0
    assert rec.stdin_json("createRuntime")["status"] == "creating"
    assert rec.stdin_json("poststart")["status"] == "running"
    assert rec.stdin_json("poststop")["status"] == "stopped"


def test_hook_env_and_args(rt):
    rec = Recorder(rt)
    b = rt.bundle(script="true", write=False)
    rec.add(b, "createRuntime", name="cr")
    b.write()
    env = dict(os.environ, PITH_HOST_ONLY="leaked")
    rt.register_id(b.cid)
    rt.cli("create", "--bundle", b.path, b.cid, env=env).ok()
    hook_env = rec.env_of("cr")
    assert hook_env["HOOKVAR"] == "value-of-cr"
    assert "PITH_HOST_ONLY" not in hook_env, "the runtime's environment leaked into the hook"
    args = (rec.out / "cr.args").read_text().splitlines()
    assert args == [str(rec.script), "cr", str(rec.out)]


def test_hook_argv0_is_args0(rt):
    # busybox picks the applet from argv[0]: if args[0] were not passed as
    # argv[0], the hook would not run `sh` at all.
    out = rt.tmp("argv0.txt")
    b = rt.bundle(script="true", write=False)
    b.add_hook("createRuntime", BUSYBOX,
               args=["sh", "-c", f"tr '\\0' ' ' < /proc/$$/cmdline > {out}; exit 0", "my-name"],
               env=["PATH=/bin:/usr/bin"])
    b.write()
    rt.create(b)
    assert out.read_text().split()[0] == "sh"


def test_hooks_of_a_stage_run_in_order(rt):
    rec = Recorder(rt)
    b = rt.bundle(script="true", write=False)
    for name in ("first", "second", "third"):
        rec.add(b, "createRuntime", name=name)
    b.write()
    rt.create(b)
    assert rec.order() == ["first", "second", "third"]


def test_hook_timeout_kills_and_fails(rt):
    b = rt.bundle(script="true", write=False)
    b.add_hook("createRuntime", BUSYBOX, args=["sleep", "30"],
               env=[f"{MARKER_VAR}={rt.token}"], timeout=1)
    b.write()
    rt.register_id(b.cid)
    t0 = time.monotonic()
    rt.cli("create", "--bundle", b.path, b.cid).failed()
    assert time.monotonic() - t0 < 15, "hook timeout not enforced"
    assert not list(rt.root.iterdir())
    rt.assert_nothing_left("after a hook timeout")


@pytest.mark.parametrize("stage", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_create(rt, stage):
    rec = Recorder(rt)
    b = rt.bundle(script="touch /started; sleep 1000", write=False)
    rec.add(b, stage, exit_code=3)
    b.write()
    rt.register_id(b.cid)
    res = rt.cli("create", "--bundle", b.path, b.cid).failed()
    assert rec.ran(stage)
    assert rt.cli("state", b.cid).rc != 0
    assert not list(rt.root.iterdir()), "state dir left after a failed hook"
    assert not b.r("started").exists()
    rt.assert_nothing_left(f"after a failing {stage} hook")
    assert res.err.strip()


def test_failing_poststart_is_only_a_warning(rt):
    rec = Recorder(rt)
    b = rt.bundle(script="touch /started; sleep 1000", write=False)
    rec.add(b, "poststart", exit_code=4)
    b.write()
    rt.create(b)
    res = rt.start(b.cid, check=False)
    assert res.rc == 0, res
    assert rec.ran("poststart")
    assert rt.status(b.cid) == "running"
    wait_for(lambda: b.r("started").exists())


def test_failing_poststop_is_only_a_warning(rt):
    rec = Recorder(rt)
    b = rt.bundle(script="true", write=False)
    rec.add(b, "poststop", exit_code=5)
    b.write()
    rt.run(b, "--keep").ok()
    res = rt.delete(b.cid, check=False)
    assert res.rc == 0, res
    assert rec.ran("poststop")
    assert rt.cli("state", b.cid).rc != 0
    rt.assert_nothing_left("after delete with a failing poststop hook")


def test_poststop_runs_after_foreground_run(rt):
    rec = Recorder(rt)
    b = rt.bundle(script="exit 0", write=False)
    rec.add(b, "poststart")
    rec.add(b, "poststop")
    b.write()
    rt.run(b).ok()
    assert rec.order() == ["poststart", "poststop"]


def test_start_container_hook_runs_in_container(rt):
    rec = Recorder(rt)
    b = rt.bundle(script="touch /started; sleep 1000", write=False)
    b.config["hostname"] = "hooked"
    b.r("hookout").mkdir()
    b.add_hook("startContainer", "/bin/sh",
               args=["sh", "-c", "hostname > /hookout/host; echo $$ > /hookout/pid; "
                                 "readlink /proc/self/ns/mnt > /hookout/mnt"],
               env=rec.env("sc"))
    b.write()
    rt.start_detached(b)
    wait_for(lambda: b.r("hookout/mnt").exists() and b.r("hookout/mnt").read_text())
    assert b.r("hookout/host").read_text().strip() == "hooked"
    assert b.r("hookout/mnt").read_text() != os.readlink("/proc/self/ns/mnt") + "\n"
