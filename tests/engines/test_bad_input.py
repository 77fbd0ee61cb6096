"""A config the runtime must refuse, sent through an engine: the user sees the
runtime's own message (Podman: stderr, from the runtime's JSON log;
containerd: the last error line of the runtime's JSON log, in ctr's error),
and nothing is left behind: the fixtures fail the case on a leftover
container, runtime state dir, cgroup, mount or process.
"""

import os

import pytest

import engines


def runtime_named(rt, err):
    """Podman and containerd prefix the runtime's message with its path (or
    name); the message itself follows."""
    return rt.path in err or rt.name in err


def test_podman_bad_sysctl(podman, rt):
    # Podman accepts any net.* key (it cannot know which exist): the runtime
    # is the one that finds out, when it writes /proc/sys/net/ipv4/...
    res = podman.run("--sysctl", "net.ipv4.pith_no_such_key=1", "--", "true")
    assert res.rc != 0
    assert "pith_no_such_key" in res.err, res
    assert runtime_named(rt, res.err), res
    assert podman.container_ids() == set()


def test_podman_bad_bind_mount(podman, rt, base, new_id):
    # a file bound onto a directory of the image: only the runtime can tell
    f = base / new_id("file")
    f.write_text("x")
    res = podman.run("--mount", f"type=bind,src={f},dst=/bin", "--", "true")
    assert res.rc != 0
    assert runtime_named(rt, res.err), res
    assert "/bin" in res.err, res
    assert podman.container_ids() == set()


def test_podman_bad_security_opt(podman, rt):
    # an unknown capability gets past Podman only when dropping it; adding one
    # Podman does not know is Podman's own error.  What must hold either way:
    # the message reaches the user and nothing is created.
    res = podman.run("--cap-add", "CAP_PITH_NO_SUCH", "--", "true")
    assert res.rc != 0
    assert "CAP_PITH_NO_SUCH" in res.err, res
    assert podman.container_ids() == set()


def test_podman_detached_failure_leaves_nothing(podman, rt, new_id):
    name = new_id()
    res = podman.run("-d", "--name", name, "--sysctl", "net.ipv4.pith_no_such_key=1",
                     "--", "sleep", "100", rm=False)
    try:
        assert res.rc != 0
        assert "pith_no_such_key" in res.err
        state = podman.inspect(name, "{{.State.Status}}")
        assert state in ("created", "configured", "exited", "stopped"), state
    finally:
        podman("rm", "--force", "--time", "0", name)


def test_ctr_bad_bind_mount(ctr, rt):
    cid = ctr.new_id()
    missing = f"/pith-no-such-dir-{cid}"
    try:
        res = ctr.run(cid, "--mount", f"type=bind,src={missing},dst=/data,options=rbind:rw",
                      "--", "true")
        assert res.rc != 0
        # containerd quotes the last `level=error` line of the runtime's log
        assert missing in res.err, res
        assert "OCI runtime create failed" in res.err or runtime_named(rt, res.err), res
        assert cid not in ctr.tasks()
        assert cid not in ctr.runtime_state_dirs()
        assert not engines.cgroup_dirs_named(f"{ctr.ns}/{cid}")
    finally:
        ctr.remove_all({cid})


def test_ctr_missing_program(ctr):
    cid = ctr.new_id()
    try:
        res = ctr.run(cid, "--", "/no/such/program")
        assert res.rc != 0
        assert "/no/such/program" in res.err, res
        assert "not found" in res.err or "no such file" in res.err.lower(), res
        assert cid not in ctr.tasks()
        assert not engines.cgroup_dirs_named(f"{ctr.ns}/{cid}")
    finally:
        ctr.remove_all({cid})


def test_ctr_error_in_runtime_log(ctr, rt):
    """The shim reads <bundle>/log.json: the runtime must write it as JSON with
    level "error" and the message in "msg" (--log-format json)."""
    cid = ctr.new_id()
    try:
        res = ctr.run(cid, "--", "/no/such/program")
        assert res.rc != 0
        # a runtime that did not write the JSON log leaves containerd with
        # only a generic "exit status 1"
        assert "exit status 1: " not in res.err.replace("\n", " ")[-40:], res
        assert len(res.err.strip()) > 40
    finally:
        ctr.remove_all({cid})
    assert not os.path.exists(f"/run/containerd/runc/{ctr.ns}/{cid}")


def test_podman_failed_create_is_quiet(podman, rt):
    """After a failed create Podman runs `RUNTIME delete --force ID` for a
    container the runtime never made; runc exits 0 there, so the user sees
    only the real error.  A runtime that fails that delete adds its own
    "does not exist" line to Podman's output."""
    res = podman.run("--sysctl", "net.ipv4.pith_no_such_key=1", "--", "true")
    assert res.rc != 0
    res2 = engines.run_cmd([rt.path, "delete", "--force", "pith-engines-no-such-container"])
    assert res2.rc == 0, res2.err
    assert "does not exist" not in res.err
