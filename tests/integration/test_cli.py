"""Global flags, --version, logging, list, spec, features, default root."""

import json
import os
import re

import pytest

from pithtest import (ALL_NAMESPACES, DEFAULT_STATE_ROOT, RFC3339_RE, cgroup_all_mounts, make_rootfs,
                      pid_alive, wait_for)

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
    ["--cgroup-manager", "cgroupfs"], ["--cgroup-manager", "systemd"], ["--cgroup-manager", "disabled"],
    ["--cgroup-manager=disabled"],
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
# --help

COMMANDS = ["create", "start", "run", "exec", "state", "list", "kill", "delete", "pause",
            "resume", "update", "ps", "events", "spec", "features", "checkpoint", "restore"]

# runc's flags that engines pass: each must be listed (and so accepted)
RUNC_FLAGS = {
    "create": ["--bundle", "--pid-file", "--console-socket", "--preserve-fds", "--no-pivot",
               "--no-new-keyring"],
    "run": ["--bundle", "--detach", "--keep", "--pid-file", "--console-socket"],
    "exec": ["--process", "--tty", "--detach", "--pid-file", "--console-socket", "--cwd", "--env",
             "--user", "--cap", "--preserve-fds", "--cgroup"],
    "kill": ["--all"],
    "delete": ["--force"],
    "list": ["--quiet", "--format"],
    "update": ["--resources", "--memory", "--pids-limit"],
    # Podman probes `checkpoint --help`; these are the flags runc has
    "checkpoint": ["--image-path", "--work-path", "--parent-path", "--leave-running", "--tcp-established",
                   "--ext-unix-sk", "--shell-job", "--file-locks", "--pre-dump", "--manage-cgroups-mode"],
    "restore": ["--image-path", "--work-path", "--tcp-established", "--ext-unix-sk", "--shell-job",
                "--file-locks", "--detach", "--pid-file", "--console-socket", "--bundle", "--no-pivot"],
}


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["help"]], ids=lambda a: a[0])
def test_global_help(rt, argv):
    res = rt.cli(*argv, root=False).ok()
    assert res.out.startswith("usage: pith "), res.out
    assert res.err == ""
    flags = help_flags(res.out)
    for flag in ("--root", "--log", "--log-format", "--debug", "--systemd-cgroup", "--cgroup-manager",
                 "--version", "--help"):
        assert flag in flags, flag
    listed = re.findall(r"^  ([a-z]+) ", res.out.split("commands:", 1)[1], re.M)
    assert set(COMMANDS) <= set(listed), listed


def help_flags(text):
    """The long flags a command's help lists."""
    return re.findall(r"^  (?:-\w, )?\s*(--[\w-]+)", text, re.M)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(rt, cmd):
    res = rt.cli(cmd, "--help").ok()
    assert res.out.startswith(f"usage: pith {cmd}"), res.out
    assert res.err == ""
    flags = help_flags(res.out)
    assert "--help" in flags
    assert len(flags) == len(set(flags)), flags
    for f in RUNC_FLAGS.get(cmd, []):
        assert f in flags, f"{cmd} --help does not list {f}:\n{res.out}"
    # one line per flag, and `pith help CMD` and -h say the same
    assert rt.cli("help", cmd).ok().out == res.out
    assert rt.cli(cmd, "-h").ok().out == res.out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_listed_flags_are_accepted(rt, cmd):
    # the help and the parser come from one table: no listed flag is unknown
    text = rt.cli(cmd, "--help").ok().out
    for f in help_flags(text):
        if f == "--help":
            continue
        res = rt.cli(cmd, f, "x", "y")
        assert "unknown flag" not in res.err, res


def test_help_does_not_run_the_command(rt):
    b = rt.bundle(script="sleep 1000")
    rt.cli("create", "--bundle", b.path, "--help", b.cid).ok()
    assert not (rt.root / b.cid).exists()


@pytest.mark.parametrize("cmd", ["create", "kill", "list", "exec", "update"])
def test_unknown_flag_is_a_usage_error(rt, cmd):
    res = rt.cli(cmd, "--no-such-flag", "x").failed()
    assert res.rc == 1, res   # runc: usage errors exit 1, exec's own failures 255
    assert f"{cmd}: unknown flag `--no-such-flag`" in res.err, res.err
    assert res.out == ""


def test_unknown_global_flag_and_help_topic(rt):
    res = rt.cli("--no-such-flag", "list").failed()
    assert res.rc == 1 and "unknown global flag `--no-such-flag`" in res.err, res
    res = rt.cli("help", "no-such-command").failed()
    assert res.rc == 1 and "unknown command `no-such-command`" in res.err, res


def test_missing_flag_value(rt):
    res = rt.cli("create", "--bundle").failed()
    assert res.rc == 1 and "`--bundle` needs a value" in res.err, res
    res = rt.cli("--root").failed()
    assert res.rc == 1 and "`--root` needs a value" in res.err, res


# --------------------------------------------------------------------------
# --cgroup-manager

def test_cgroup_manager_bad_value(rt):
    res = rt.cli("list", global_args=["--cgroup-manager", "bogus"]).failed()
    assert res.rc == 1
    assert '--cgroup-manager: "bogus" is not cgroupfs, systemd or disabled' in res.err


def cgroup_lines(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return sorted(f.read().splitlines())


def test_cgroup_manager_disabled(rt):
    b = rt.bundle(script="sleep 1000")
    res = rt.cli("run", "--detach", "--bundle", b.path, b.cid,
                 global_args=["--cgroup-manager", "disabled"]).ok()
    # the default config's device rules cannot be enforced: said, not hidden
    assert "/linux/resources/devices: not enforced with --cgroup-manager disabled" in res.err
    pid = json.loads(rt.cli("state", b.cid).ok().out)["pid"]
    # no cgroup of its own: the container stays where pith was started
    assert cgroup_lines(pid) == cgroup_lines("self")
    for mnt in cgroup_all_mounts().values():
        assert not os.path.exists(f"{mnt}/pith-test/{b.cid}"), mnt
    # what needs its cgroup fails, saying so
    for argv in (["pause", b.cid], ["update", "--memory", "64m", b.cid], ["events", "--stats", b.cid],
                 ["ps", "--format", "json", b.cid], ["kill", "--all", b.cid, "KILL"]):
        res = rt.cli(*argv).failed()
        assert "no cgroup" in res.err, res
    assert json.loads(rt.cli("state", b.cid).ok().out)["status"] == "running"
    rt.cli("kill", b.cid, "KILL").ok()
    wait_for(lambda: not pid_alive(pid), what="the container to die")
    rt.cli("delete", b.cid).ok()


def test_cgroup_manager_disabled_refuses_limits(rt):
    b = rt.bundle(script="true")
    b.linux["resources"]["memory"] = {"limit": 64 << 20}
    b.write()
    res = rt.cli("create", "--bundle", b.path, b.cid, global_args=["--cgroup-manager", "disabled"]).failed()
    assert "config.json: /linux/resources/memory: cannot be applied with --cgroup-manager disabled" in res.err
    assert not (rt.root / b.cid).exists()


def test_cgroup_manager_cgroupfs_is_the_default(rt):
    b = rt.bundle(script="sleep 1000")
    rt.cli("run", "--detach", "--bundle", b.path, b.cid, global_args=["--cgroup-manager", "cgroupfs"]).ok()
    pid = json.loads(rt.cli("state", b.cid).ok().out)["pid"]
    assert any(l.endswith(f"/pith-test/{b.cid}") for l in cgroup_lines(pid)), cgroup_lines(pid)
    rt.cli("delete", "--force", b.cid).ok()


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
    assert rows[a.cid][5] == "root", lines


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
    # As runc: the owner of the state directory, by name (tests run as root).
    assert by_id[a.cid]["owner"] == "root", by_id[a.cid]


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
