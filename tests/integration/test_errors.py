"""Bad input: every case must fail with a clear message on stderr and leave
nothing behind (no state dir, no cgroup, no process, no mount)."""

import json
import os
import shutil

import pytest


def create_fails(rt, b, *flags, cmd="create"):
    """Run create (or run) on a bad bundle; check failure + nothing left."""
    rt.register_id(b.cid)
    res = rt.cli(cmd, "--bundle", b.path, *flags, b.cid).failed()
    assert rt.cli("state", b.cid).rc != 0, "a failed create left a container"
    assert not list(rt.root.iterdir()), f"state root not empty: {list(rt.root.iterdir())}"
    rt.assert_nothing_left(f"after a failed {cmd}")
    return res


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_malformed_json(rt, cmd):
    b = rt.bundle(script="true")
    b.config_path.write_text('{"ociVersion": "1.0.2", "process": {')
    res = create_fails(rt, b, cmd=cmd)
    assert "config.json: " in res.err
    assert "invalid json" in res.err.lower()


def test_wrong_type_deep_path(rt):
    b = rt.bundle(script="true", write=False)
    b.linux["resources"]["memory"] = {"limit": "64m"}
    b.write()
    res = create_fails(rt, b)
    assert "config.json: /linux/resources/memory/limit: expected integer, got string" in res.err


def test_wrong_type_names_json_path(rt):
    b = rt.bundle(script="true", write=False)
    b.process["user"]["uid"] = "zero"
    b.write()
    res = create_fails(rt, b)
    assert "config.json" in res.err and "/process/user/uid" in res.err


def test_missing_rootfs(rt):
    b = rt.bundle(script="true")
    shutil.rmtree(b.rootfs)
    res = create_fails(rt, b)
    assert str(b.rootfs) in res.err


def test_missing_config_json(rt):
    b = rt.bundle(script="true")
    b.config_path.unlink()
    res = create_fails(rt, b)
    assert str(b.path) in res.err and "config.json" in res.err


def test_missing_bundle_dir(rt):
    b = rt.bundle(script="true")
    b.path = rt.dir / "no-such-bundle"
    res = create_fails(rt, b)
    assert str(b.path) in res.err


def test_unknown_namespace_type(rt):
    b = rt.bundle(script="true", write=False)
    b.linux["namespaces"].append({"type": "bogusns"})
    b.write()
    res = create_fails(rt, b)
    assert "bogusns" in res.err


def test_missing_process_cwd(rt):
    b = rt.bundle(script="true", write=False)
    del b.process["cwd"]
    b.write()
    res = create_fails(rt, b)
    assert "cwd" in res.err.lower()


def test_unknown_capability(rt):
    b = rt.bundle(script="true", write=False)
    b.process["capabilities"]["bounding"].append("CAP_BOGUS")
    b.write()
    res = create_fails(rt, b)
    assert "CAP_BOGUS" in res.err


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_nonexistent_executable(rt, cmd):
    b = rt.bundle(args=["no-such-program", "x"])
    res = create_fails(rt, b, cmd=cmd)
    assert "executable file not found" in res.err


def test_non_executable_file(rt):
    b = rt.bundle(args=["/notexec"])
    b.r("notexec").write_text("#!/bin/sh\necho hi\n")
    os.chmod(b.r("notexec"), 0o644)
    res = create_fails(rt, b)
    assert "permission denied" in res.err


def test_hook_path_missing(rt):
    b = rt.bundle(script="true", write=False)
    b.add_hook("createRuntime", "/nonexistent/pith-hook")
    b.write()
    res = create_fails(rt, b)
    assert "/nonexistent/pith-hook" in res.err


def test_not_an_object(rt):
    b = rt.bundle(script="true")
    b.config_path.write_text(json.dumps(["not", "an", "object"]))
    res = create_fails(rt, b)
    assert "config.json" in res.err


# One scenario per kind of error: the message is `pith: ...` on stderr.
def _missing(rt):
    return rt.cli("state", rt.new_id("missing"))


def _malformed(rt):
    b = rt.bundle(script="true")
    b.config_path.write_text("{")
    rt.register_id(b.cid)
    return rt.cli("create", "--bundle", b.path, b.cid)


def _duplicate(rt):
    b = rt.bundle(script="sleep 100")
    rt.create(b)
    return rt.cli("create", "--bundle", b.path, b.cid)


def _bad_exec(rt):
    b = rt.bundle(args=["no-such-program"])
    rt.register_id(b.cid)
    return rt.cli("create", "--bundle", b.path, b.cid)


@pytest.mark.parametrize("scenario", [_missing, _malformed, _duplicate, _bad_exec],
                         ids=["missing", "malformed", "duplicate", "bad-exec"])
def test_error_message_prefix(rt, scenario):
    res = scenario(rt)
    assert res.rc == 1, res
    lines = [l for l in res.err.splitlines() if l.strip()]
    assert lines and lines[-1].startswith("pith: "), res.err
