"""Global flags, --version, logging, list, spec, features, default root."""

import json
import os
import re

import pytest

from pithtest import ALL_NAMESPACES, DEFAULT_STATE_ROOT, RFC3339_RE, make_rootfs, wait_for

LEVELS = {"error", "warning", "info", "debug"}


def test_version(rt):
    res = rt.cli("--version", root=False).ok()
    lines = res.out.splitlines()
    assert len(lines) == 3, res.out
    assert re.fullmatch(r"pith version \d+\.\d+\.\d+[-+.\w]*", lines[0]), lines[0]
    assert re.fullmatch(r"commit: \S+", lines[1]), lines[1]
    assert lines[2] == "spec: 1.3.0"


@pytest.mark.parametrize("flags", [
    ["--debug"], ["--systemd-cgroup"], ["--rootless", "true"], ["--rootless", "false"],
    ["--rootless", "auto"], ["--log-format", "text"], ["--log-format", "json"],
], ids=lambda f: "_".join(f).strip("-"))
def test_global_flags_accepted(rt, flags):
    res = rt.cli("list", "-q", global_args=flags).ok()
    assert res.out == ""


def test_log_file_json_on_error(rt):
    log = rt.tmp("log.json")
    cid = rt.new_id("missing")
    res = rt.cli("state", cid, global_args=["--log", log, "--log-format", "json"]).failed()
    assert res.rc == 1
    entries = [json.loads(l) for l in log.read_text().splitlines() if l.strip()]
    assert entries, "nothing logged"
    for e in entries:
        assert {"level", "msg", "time"} <= set(e), e
        assert e["level"] in LEVELS, e
        assert RFC3339_RE.match(e["time"]), e
    errors = [e for e in entries if e["level"] == "error"]
    assert errors, entries
    assert f'container "{cid}" does not exist' in errors[-1]["msg"]


def test_log_file_text_on_error(rt):
    log = rt.tmp("log.txt")
    cid = rt.new_id("missing")
    rt.cli("delete", cid, global_args=["--log", log]).failed()
    text = log.read_text()
    assert "does not exist" in text and cid in text


def test_debug_logs_debug_lines(rt):
    log = rt.tmp("debug.json")
    b = rt.bundle(script="exit 0")
    rt.register_id(b.cid)
    rt.cli("run", "--bundle", b.path, b.cid,
           global_args=["--debug", "--log", log, "--log-format", "json"]).ok()
    levels = [json.loads(l)["level"] for l in log.read_text().splitlines() if l.strip()]
    assert "debug" in levels


def test_unknown_command_fails(rt):
    rt.cli("no-such-command").failed()


# --------------------------------------------------------------------------
# list

def two_containers(rt):
    a = rt.bundle(script="sleep 1000")
    b = rt.bundle(script="sleep 1000")
    rt.create(a)
    rt.start_detached(b)
    return a, b


def test_list_table(rt):
    a, b = two_containers(rt)
    lines = rt.cli("list").ok().out.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    rows = {l.split()[0]: l.split() for l in lines[1:] if l.strip()}
    assert set(rows) == {a.cid, b.cid}
    assert rows[a.cid][2] == "created" and rows[b.cid][2] == "running"
    assert rows[a.cid][1] == str(rt.state(a.cid)["pid"])
    assert rows[a.cid][3] == str(a.path)


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_list_quiet(rt, flag):
    a, b = two_containers(rt)
    out = rt.cli("list", flag).ok().out
    assert sorted(out.split()) == sorted([a.cid, b.cid])


@pytest.mark.parametrize("flags", [["--format", "json"], ["-f", "json"]])
def test_list_json(rt, flags):
    a, b = two_containers(rt)
    data = json.loads(rt.cli("list", *flags).ok().out)
    assert isinstance(data, list)
    by_id = {s["id"]: s for s in data}
    assert set(by_id) == {a.cid, b.cid}
    assert by_id[a.cid]["status"] == "created" and by_id[b.cid]["status"] == "running"
    assert by_id[b.cid]["bundle"] == str(b.path)
    assert by_id[b.cid]["pid"] == rt.state(b.cid)["pid"]


def test_list_table_format_flag(rt):
    a, _ = two_containers(rt)
    out = rt.cli("list", "--format", "table").ok().out
    assert out.splitlines()[0].split()[0] == "ID" and a.cid in out


def test_list_empty(rt):
    assert rt.cli("list", "-q").ok().out == ""
    assert json.loads(rt.cli("list", "--format", "json").ok().out) == []


# --------------------------------------------------------------------------
# spec

def test_spec_default(rt):
    d = rt.tmp("specdir")
    d.mkdir()
    rt.cli("spec", "--bundle", d, root=False).ok()
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["process"]["args"] == ["sh"]
    assert cfg["process"]["terminal"] is True
    assert cfg["root"]["path"] == "rootfs"
    assert "ociVersion" in cfg
    types = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "network", "ipc", "uts", "mount"} <= types
    dests = {m["destination"] for m in cfg["mounts"]}
    assert {"/proc", "/dev", "/dev/pts", "/sys"} <= dests


def test_spec_in_current_directory_short_flag(rt):
    d = rt.tmp("specdir")
    d.mkdir()
    rt.cli("spec", root=False, cwd=d).ok()
    assert json.loads((d / "config.json").read_text())["process"]["args"] == ["sh"]
    d2 = rt.tmp("specdir2")
    d2.mkdir()
    rt.cli("spec", "-b", d2, root=False).ok()
    assert (d2 / "config.json").exists()


def test_spec_refuses_existing(rt):
    d = rt.tmp("specdir")
    d.mkdir()
    (d / "config.json").write_text('{"keep": "me"}')
    rt.cli("spec", "--bundle", d, root=False).failed()
    assert (d / "config.json").read_text() == '{"keep": "me"}'


def test_spec_rootless(rt):
    d = rt.tmp("specdir")
    d.mkdir()
    rt.cli("spec", "--rootless", "--bundle", d, root=False).ok()
    cfg = json.loads((d / "config.json").read_text())
    assert "user" in {n["type"] for n in cfg["linux"]["namespaces"]}
    assert cfg["linux"].get("uidMappings") and cfg["linux"].get("gidMappings")


def test_spec_output_runs(rt):
    d = rt.tmp("specbundle")
    d.mkdir()
    os.chmod(d, 0o755)
    rt.cli("spec", "--bundle", d, root=False).ok()
    (d / "rootfs").mkdir()
    make_rootfs(d / "rootfs", rt.session_dir)
    cfg = json.loads((d / "config.json").read_text())
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["sh", "-c", "echo spec-ok; exit 3"]
    cfg["process"]["env"] = cfg["process"].get("env", []) + [f"PITH_TEST_MARKER={rt.token}"]
    (d / "config.json").write_text(json.dumps(cfg))
    cid = rt.new_id()
    res = rt.cli("run", "--bundle", d, cid)
    assert res.rc == 3 and res.out == "spec-ok\n", res


# --------------------------------------------------------------------------
# features

def test_features(rt):
    feat = json.loads(rt.cli("features", root=False).ok().out)
    assert "ociVersionMin" in feat
    assert feat["ociVersionMax"] == "1.3.0"
    assert set(feat["hooks"]) >= {"prestart", "createRuntime", "createContainer",
                                  "startContainer", "poststart", "poststop"}
    assert {"ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "rro",
            "rprivate", "rslave", "rshared"} <= set(feat["mountOptions"])
    linux = feat["linux"]
    assert set(linux["namespaces"]) == set(ALL_NAMESPACES)
    assert {"CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_KILL"} <= set(linux["capabilities"])
    assert "cgroup" in linux and linux["cgroup"].get("v1") is True


# --------------------------------------------------------------------------
# default state root

def test_default_root_is_run_pith(rt):
    b = rt.bundle(script="sleep 1000")
    rt.register_id(b.cid, default_root=True)
    rt.cli("create", "--bundle", b.path, b.cid, root=False).ok()
    state_file = os.path.join(DEFAULT_STATE_ROOT, b.cid, "state.json")
    assert os.path.isfile(state_file)
    st = json.loads(rt.cli("state", b.cid, root=False).ok().out)
    assert st["status"] == "created"
    assert not list(rt.root.iterdir()), "used the test root without --root"
    rt.cli("delete", "--force", b.cid, root=False).ok()
    wait_for(lambda: not os.path.exists(os.path.join(DEFAULT_STATE_ROOT, b.cid)))
