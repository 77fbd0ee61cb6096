"""`exec`: a new process in a running container, in the flag form and with
--process (process.json, as containerd and Podman send it).

Against runc 1.1 (PITH=runc) everything here passes but LISTEN_FDS for
exec (runc ignores it there) and time namespaces (runc has them from 1.2);
those tests say so.
"""

import json
import os
import time
from pathlib import Path

import pytest

import sockact
from pithtest import (CAPS, DEFAULT_CAPS, NS_PROC_NAME, cap_mask, ns_inode,
                      proc_status_fields, wait_for)

EXEC_FAILED = 255   # runc's exit status when exec itself fails


def running(rt, tweak=None):
    """A detached container whose init sleeps; returns (bundle, init pid)."""
    b = rt.bundle(args=("sleep", "1000"), write=False)
    if tweak:
        tweak(b)
    b.write()
    st = rt.start_detached(b)
    return b, st["pid"]


def status_fields(out):
    return proc_status_fields(out)


# -- where the process runs

def test_exec_joins_every_namespace_of_the_init(rt):
    b, init = running(rt, tweak=lambda b: b.add_ns("cgroup"))
    kinds = [k for k in ("pid", "network", "ipc", "uts", "mount", "cgroup")]
    script = "; ".join(f"readlink /proc/self/ns/{NS_PROC_NAME[k]}" for k in kinds)
    out = rt.cli("exec", b.cid, "sh", "-c", script).ok().out.split()
    for kind, link in zip(kinds, out):
        want = ns_inode(os.readlink(f"/proc/{init}/ns/{NS_PROC_NAME[kind]}"))
        assert ns_inode(link) == want, f"{kind}: exec is in {link}, the init in {want}"


def userns_enabled():
    try:
        return int(open("/proc/sys/user/max_user_namespaces").read()) > 0
    except FileNotFoundError:
        return False


def test_exec_into_user_namespace(rt):
    if not userns_enabled():
        pytest.skip("SKIPPED: user namespaces are disabled or missing")

    def tweak(b):
        b.add_ns("user")
        b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        os.chmod(b.r("tmp"), 0o1777)
    b, init = running(rt, tweak=tweak)
    out = rt.cli("exec", b.cid, "sh", "-c", "readlink /proc/self/ns/user; id -u; touch /tmp/by-root")
    lines = out.ok().out.splitlines()
    assert ns_inode(lines[0]) == ns_inode(os.readlink(f"/proc/{init}/ns/user"))
    assert lines[1] == "0"
    assert b.r("tmp/by-root").stat().st_uid == 100000


def test_exec_into_user_and_time_namespaces(rt):
    """Both at once (runc before 1.2 has no time namespaces)."""
    if not userns_enabled():
        pytest.skip("SKIPPED: user namespaces are disabled or missing")
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("SKIPPED: kernel without time namespaces (CONFIG_TIME_NS)")
    offset = 10 * 86400

    def tweak(b):
        b.add_ns("user")
        b.add_ns("time")
        b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        b.linux["timeOffsets"] = {"boottime": {"secs": offset, "nanosecs": 0},
                                  "monotonic": {"secs": offset, "nanosecs": 0}}
        os.chmod(b.r("tmp"), 0o1777)
    b, init = running(rt, tweak=tweak)
    host_uptime = float(open("/proc/uptime").read().split()[0])
    pid_file = rt.tmp("exec.pid")
    out = rt.cli("exec", "--pid-file", pid_file, "-u", "1000:1000", b.cid, "sh", "-c",
                 "readlink /proc/self/ns/user; readlink /proc/self/ns/time; cat /proc/uptime; "
                 "cat /proc/self/uid_map; id -u; touch /tmp/made-by-exec; stat -c %u /tmp/made-by-exec")
    lines = out.ok().out.splitlines()
    assert ns_inode(lines[0]) == ns_inode(os.readlink(f"/proc/{init}/ns/user"))
    assert ns_inode(lines[1]) == ns_inode(os.readlink(f"/proc/{init}/ns/time"))
    inside = float(lines[2].split()[0])
    assert offset + host_uptime - 5 <= inside <= offset + host_uptime + 60
    assert lines[3].split() == ["0", "100000", "65536"]
    assert lines[4:] == ["1000", "1000"]
    # On the host the file belongs to the mapped uid.
    assert b.r("tmp/made-by-exec").stat().st_uid == 101000


def test_exec_sees_the_container_pid_namespace_and_root(rt):
    b, _ = running(rt)
    out = rt.cli("exec", b.cid, "sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; ls /")
    lines = out.ok().out.splitlines()
    assert lines[0] != "1" and int(lines[0]) < 100
    assert lines[1].strip() == "sleep 1000"
    assert lines[2] == "pith-test"
    assert "bin" in lines[3:] and "proc" in lines[3:]


def test_exec_joins_the_container_cgroup(rt, cgroups):
    b, init = running(rt)
    out = rt.cli("exec", b.cid, "cat", "/proc/self/cgroup").ok().out
    mine = {line.split(":")[1]: line.split(":", 2)[2] for line in out.splitlines()}
    with open(f"/proc/{init}/cgroup") as f:
        theirs = {line.split(":")[1]: line.split(":", 2)[2] for line in f.read().splitlines()}
    assert mine["memory"] == theirs["memory"] == f"/pith-test/{b.cid}"
    assert mine == theirs


def test_exec_into_a_sub_cgroup(rt, cgroups):
    b, _ = running(rt)
    sub = os.path.join(cgroups["memory"], "pith-test", b.cid, "sub")
    os.mkdir(sub)
    try:
        out = rt.cli("exec", "--cgroup", "memory:sub", b.cid, "cat", "/proc/self/cgroup").ok().out
        memory = [line for line in out.splitlines() if line.split(":")[1] == "memory"]
        assert len(memory) == 1 and memory[0].endswith(f":/pith-test/{b.cid}/sub")
        # Other hierarchies stay in the container's own cgroup.
        pids = [line for line in out.splitlines() if line.split(":")[1] == "pids"]
        assert pids[0].endswith(f"/pith-test/{b.cid}")
        res = rt.cli("exec", "--cgroup", "memory:nonexistent", b.cid, "true")
        assert res.rc == EXEC_FAILED and res.err.strip(), res
    finally:
        wait_for(lambda: not Path(sub, "cgroup.procs").read_text().strip(), what="sub-cgroup to empty")
        os.rmdir(sub)


# -- exit codes and failures

def test_exec_exit_status(rt):
    b, _ = running(rt)
    assert rt.cli("exec", b.cid, "sh", "-c", "exit 7").rc == 7
    assert rt.cli("exec", b.cid, "true").rc == 0


def test_exec_killed_by_signal_gives_128_plus_n(rt):
    b, _ = running(rt)
    assert rt.cli("exec", b.cid, "sh", "-c", "kill -TERM $$").rc == 143
    assert rt.cli("exec", b.cid, "sh", "-c", "kill -KILL $$").rc == 137


def test_exec_missing_binary(rt):
    # runc: exit 255 and Go's "executable file not found in $PATH", which
    # Podman turns into 127 for the user.
    b, _ = running(rt)
    res = rt.cli("exec", b.cid, "no-such-program")
    assert res.rc == EXEC_FAILED, res
    assert "executable file not found" in res.err
    res = rt.cli("exec", b.cid, "/no/such/path")
    assert res.rc == EXEC_FAILED, res
    assert "no such file or directory" in res.err


def test_exec_not_executable(rt):
    # Podman maps "permission denied" to 126.
    b, _ = running(rt)
    for path in ("/etc/passwd", "/etc"):
        res = rt.cli("exec", b.cid, path)
        assert res.rc == EXEC_FAILED, res
        assert "permission denied" in res.err


def test_exec_into_missing_container(rt):
    res = rt.cli("exec", "no-such-container-" + rt.token, "true")
    assert res.rc == EXEC_FAILED
    assert "does not exist" in res.err


def test_exec_into_stopped_container(rt):
    b, _ = running(rt)
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    res = rt.cli("exec", b.cid, "true")
    assert res.rc == EXEC_FAILED, res
    # runc: "cannot exec in a stopped container"; pith: "... is not running (it is stopped)"
    assert "stopped" in res.err


def test_exec_into_created_container(rt):
    # runc allows it: the namespaces exist, the init waits for start.
    b = rt.bundle(args=("sleep", "1000"))
    rt.create(b)
    out = rt.cli("exec", b.cid, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '").ok().out
    assert rt.status(b.cid) == "created"
    assert out.strip()


def pause_supported(rt, cid):
    res = rt.cli("pause", cid)
    if res.rc != 0 and ("unknown command" in res.err or "No help topic" in res.err):
        pytest.skip("SKIPPED: this runtime has no `pause` command")
    return res.ok()


def test_exec_into_paused_container(rt, cgroups):
    b, _ = running(rt)
    pause_supported(rt, b.cid)
    try:
        res = rt.cli("exec", b.cid, "true")
        assert res.rc == EXEC_FAILED, res
        assert "paused" in res.err
        # With --ignore-paused the process starts frozen and runs on resume.
        sp = rt.spawn("exec", "--ignore-paused", b.cid, "echo", "ran-after-resume")
        time.sleep(0.5)
        assert sp.popen.poll() is None, "exec into a frozen container returned before resume"
    finally:
        rt.cli("resume", b.cid).ok()
    res = sp.wait()
    assert res.rc == 0, res
    assert res.out == "ran-after-resume\n"


# -- the flags

def test_exec_env_cwd_user_groups(rt):
    b, _ = running(rt)
    res = rt.cli("exec", "-e", "FOO=bar", "-e", "PATH=/bin:/usr/bin", "--cwd", "/tmp",
                 "--user", "1000:1001", "-g", "5", "-g", "6",
                 b.cid, "sh", "-c", "id -u; id -g; id -G; pwd; echo $FOO; echo $PATH")
    lines = res.ok().out.splitlines()
    assert lines[0] == "1000" and lines[1] == "1001"
    assert set(lines[2].split()) == {"1001", "5", "6"}
    assert lines[3:] == ["/tmp", "bar", "/bin:/usr/bin"]


def test_exec_env_replaces_a_config_variable(rt):
    b, _ = running(rt)
    out = rt.cli("exec", "--env", "TERM=dumb", b.cid, "sh", "-c", "env | grep '^TERM='").ok().out
    assert out == "TERM=dumb\n"


def test_exec_uid_alone_keeps_the_config_gid(rt):
    b = rt.bundle(args=("sleep", "1000"), write=False)
    b.process["user"] = {"uid": 0, "gid": 42}
    b.write()
    rt.start_detached(b)
    out = rt.cli("exec", "-u", "1000", b.cid, "sh", "-c", "id -u; id -g").ok().out
    assert out.split() == ["1000", "42"]


def test_exec_bad_user_and_gids(rt):
    b, _ = running(rt)
    for flags in (("-u", "abc"), ("-u", "1:x"), ("-g", "-1")):
        res = rt.cli("exec", *flags, b.cid, "true")
        assert res.rc != 0 and res.err.strip(), res


def test_exec_inherits_config_caps_rlimits_env(rt):
    b, _ = running(rt)
    out = rt.cli("exec", b.cid, "sh", "-c", "cat /proc/self/status; ulimit -n; echo $TERM").ok().out
    lines = out.splitlines()
    st = status_fields("\n".join(lines[:-2]))
    assert int(st["CapBnd"], 16) == cap_mask(DEFAULT_CAPS)
    assert int(st["CapEff"], 16) == cap_mask(DEFAULT_CAPS)
    assert st["NoNewPrivs"] == "1"
    assert lines[-2:] == ["1024", "xterm"]


def test_exec_cap_adds_a_capability(rt):
    b, _ = running(rt)
    st = status_fields(rt.cli("exec", "--cap", "CAP_SYS_ADMIN", b.cid, "cat", "/proc/self/status").ok().out)
    want = cap_mask(DEFAULT_CAPS + ["CAP_SYS_ADMIN"])
    assert int(st["CapBnd"], 16) == want
    assert int(st["CapEff"], 16) == want
    assert int(st["CapPrm"], 16) == want
    # Not inheritable in the config: not ambient either.
    assert not int(st["CapAmb"], 16) & (1 << CAPS["CAP_SYS_ADMIN"])


def test_exec_no_new_privs(rt):
    def tweak(b):
        b.process["noNewPrivileges"] = False
    b, _ = running(rt, tweak=tweak)
    plain = status_fields(rt.cli("exec", b.cid, "cat", "/proc/self/status").ok().out)
    flagged = status_fields(rt.cli("exec", "--no-new-privs", b.cid, "cat", "/proc/self/status").ok().out)
    assert plain["NoNewPrivs"] == "0"
    assert flagged["NoNewPrivs"] == "1"


def test_exec_apparmor_without_apparmor_fails(rt):
    if os.path.exists("/sys/kernel/security/apparmor"):
        pytest.skip("SKIPPED: AppArmor is enabled here; this checks a host without it")
    b, _ = running(rt)
    res = rt.cli("exec", "--apparmor", "some-profile", b.cid, "true")
    assert res.rc == EXEC_FAILED and "apparmor" in res.err.lower(), res


def test_exec_process_label_is_understood(rt):
    # runc refuses a label when SELinux is off; pith (like crun) skips it.
    # Either way the flag is known and the answer is clear.
    b, _ = running(rt)
    res = rt.cli("exec", "--process-label", "system_u:system_r:container_t:s0", b.cid, "true")
    assert "unknown flag" not in res.err and "flag provided but not defined" not in res.err
    assert res.rc == 0 or "selinux" in res.err.lower(), res


def test_exec_flags_stop_at_the_container_id(rt):
    b, _ = running(rt)
    out = rt.cli("exec", b.cid, "sh", "-c", 'printf "%s\\n" "$*"', "sh", "-e", "--tty", "-d").ok().out
    assert out == "-e --tty -d\n"


def test_exec_without_command_fails(rt):
    b, _ = running(rt)
    res = rt.cli("exec", b.cid)
    assert res.rc != 0 and res.err.strip()


# -- process.json

def write_process(rt, proc, name="process.json"):
    path = rt.tmp(name)
    path.write_text(json.dumps(proc))
    return path


def test_exec_process_json(rt):
    b, _ = running(rt)
    path = write_process(rt, {
        "terminal": False,
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [7]},
        "args": ["sh", "-c", "id -u; id -G; pwd; echo $FOO; grep -e CapBnd -e NoNewPrivs /proc/self/status"],
        "env": ["PATH=/bin", "FOO=from-json"],
        "cwd": "/tmp",
    })
    lines = rt.cli("exec", "--process", path, b.cid).ok().out.splitlines()
    assert lines[0] == "1000"
    assert set(lines[1].split()) == {"1000", "7"}
    assert lines[2:4] == ["/tmp", "from-json"]
    st = status_fields("\n".join(lines[4:]))
    # Capabilities left out of process.json are the container's (runc).
    assert int(st["CapBnd"], 16) == cap_mask(DEFAULT_CAPS)


def test_exec_process_json_with_own_capabilities(rt):
    b, _ = running(rt)
    caps = ["CAP_CHOWN", "CAP_KILL"]
    path = write_process(rt, {
        "args": ["cat", "/proc/self/status"], "cwd": "/", "env": ["PATH=/bin"],
        "user": {"uid": 0, "gid": 0},
        "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
    })
    st = status_fields(rt.cli("exec", "-p", path, b.cid).ok().out)
    assert int(st["CapBnd"], 16) == cap_mask(caps)
    assert int(st["CapEff"], 16) == cap_mask(caps)


def test_exec_process_json_errors(rt):
    b, _ = running(rt)
    bad = write_process(rt, {"args": ["true"], "env": ["PATH=/bin"]}, "nocwd.json")
    res = rt.cli("exec", "--process", bad, b.cid)
    assert res.rc == EXEC_FAILED and "cwd" in res.err.lower(), res
    res = rt.cli("exec", "--process", rt.tmp("missing.json"), b.cid)
    assert res.rc == EXEC_FAILED and res.err.strip(), res
    empty = write_process(rt, {"args": [], "cwd": "/"}, "noargs.json")
    res = rt.cli("exec", "--process", empty, b.cid)
    assert res.rc == EXEC_FAILED and "args" in res.err, res


# -- detached, pid file, fds

def test_exec_detach_writes_host_pid(rt):
    b, init = running(rt)
    pid_file = rt.tmp("exec.pid")
    t0 = time.monotonic()
    rt.cli("exec", "--detach", "--pid-file", pid_file, b.cid, "sleep", "1000").ok()
    assert time.monotonic() - t0 < 10
    pid = int(pid_file.read_text())
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"1000"]
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink(f"/proc/{init}/ns/mnt")


def test_exec_foreground_pid_file(rt):
    b, _ = running(rt)
    pid_file = rt.tmp("fg.pid")
    out = rt.cli("exec", "--pid-file", pid_file, b.cid, "sh", "-c", "echo $$").ok().out
    pid = int(pid_file.read_text())
    assert pid > 0 and out.strip()


def test_exec_preserve_fds(rt):
    b, _ = running(rt)
    out_path, err_path = rt.tmp("sockact.out"), rt.tmp("sockact.err")
    script = ("readlink /proc/$$/fd/3; readlink /proc/$$/fd/4; echo hello-over-fd4 >&4; "
              "[ -e /proc/$$/fd/5 ] && echo fd5-open || echo fd5-closed")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        res = sockact.run_with_fds(rt.argv("exec", "--preserve-fds", "2", b.cid, "sh", "-c", script),
                                   rt.tmp("activation.sock"), stdout=out, stderr=err)
    assert res["rc"] == 0, f"rc={res['rc']} stderr={err_path.read_text()}"
    lines = out_path.read_text().splitlines()
    assert ns_inode(lines[0]) == res["listen_inode"]
    assert ns_inode(lines[1]) == res["pair_inode"]
    assert lines[2] == "fd5-closed"
    assert res["received"] == "hello-over-fd4\n"


def test_exec_passes_listen_fds(rt):
    """pith-specific: socket activation of `pith exec` itself (runc ignores
    LISTEN_FDS for exec).  The process gets LISTEN_PID = its own pid."""
    b, _ = running(rt)
    script = ('echo "$LISTEN_FDS $LISTEN_PID $$"; readlink /proc/$$/fd/3; '
              "[ -e /proc/$$/fd/4 ] && echo fd4-open || echo fd4-closed")
    wrapper = ["sh", "-c", 'LISTEN_FDS=1 LISTEN_PID=$$ exec "$@"', "sh",
               *rt.argv("exec", b.cid, "sh", "-c", script)]
    out_path, err_path = rt.tmp("la.out"), rt.tmp("la.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        res = sockact.run_with_fds(wrapper, rt.tmp("listen.sock"), stdout=out, stderr=err)
    assert res["rc"] == 0, err_path.read_text()
    lines = out_path.read_text().splitlines()
    fds, listen_pid, pid = lines[0].split()
    assert fds == "1" and listen_pid == pid
    assert ns_inode(lines[1]) == res["listen_inode"]
    assert lines[2] == "fd4-closed"
