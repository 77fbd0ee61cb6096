"""create / start / state / kill / delete / run, and the errors of the lifecycle."""

import datetime
import os
import signal
import time

import pytest

from pithtest import RFC3339_RE, pid_alive, proc_status_fields, wait_for

# Marks /started when the user program runs, /got-term on SIGTERM (then exits 0).
SLEEPER = "touch /started; trap 'touch /got-term; exit 0' TERM; sleep 1000 & wait"


def parse_rfc3339(s):
    assert RFC3339_RE.match(s), f"not an RFC 3339 timestamp: {s!r}"
    s = s.replace("Z", "+00:00")
    if "." in s:        # python wants at most 6 fractional digits
        head, rest = s.split(".", 1)
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        s = f"{head}.{rest[:i][:6].ljust(6, '0')}{rest[i:]}"
    return datetime.datetime.fromisoformat(s)


# --------------------------------------------------------------------------
# the normal path

def test_full_lifecycle(rt):
    b = rt.bundle(script=SLEEPER)
    pidfile = rt.tmp("init.pid")
    rt.create(b, "--pid-file", pidfile)

    st = rt.state(b.cid)
    assert st["status"] == "created"
    pid = int(pidfile.read_text().strip())
    assert st["pid"] == pid and pid_alive(pid)
    time.sleep(0.3)
    assert not b.r("started").exists(), "user program ran before `start`"

    rt.start(b.cid)
    wait_for(lambda: b.r("started").exists(), what="the program to start")
    st = rt.state(b.cid)
    assert st["status"] == "running" and st["pid"] == pid

    rt.kill(b.cid)                                   # default signal: SIGTERM
    rt.wait_status(b.cid, "stopped")
    assert b.r("got-term").exists(), "default kill signal was not SIGTERM"
    assert rt.state(b.cid)["pid"] == 0

    rt.delete(b.cid)
    assert rt.cli("state", b.cid).rc != 0
    assert not pid_alive(pid)
    rt.assert_nothing_left("after delete")


def test_state_fields(rt):
    b = rt.bundle(script=SLEEPER, write=False)
    b.config["annotations"] = {"org.pith.test": "yes", "other": "2"}
    b.write()
    before = datetime.datetime.now(datetime.timezone.utc)
    rt.create(b)
    st = rt.state(b.cid)
    assert st["id"] == b.cid
    assert st["status"] == "created"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert st["bundle"] == str(b.path) and os.path.isabs(st["bundle"])
    assert st["rootfs"] == str(b.rootfs) and os.path.isabs(st["rootfs"])
    created = parse_rfc3339(st["created"])
    assert abs((created - before).total_seconds()) < 60
    assert "owner" in st
    assert st["annotations"] == {"org.pith.test": "yes", "other": "2"}
    assert "ociVersion" in st


def test_state_oci_version(rt):
    b = rt.bundle(script=SLEEPER)
    rt.create(b)
    assert rt.state(b.cid)["ociVersion"] == "1.3.0"


def test_pid_file_holds_host_pid_of_init(rt):
    b = rt.bundle(script=SLEEPER)
    pidfile = rt.tmp("p")
    rt.create(b, "--pid-file", pidfile)
    pid = int(pidfile.read_text())
    status = proc_status_fields(open(f"/proc/{pid}/status").read())
    nspid = status["NSpid"].split()
    assert nspid[0] == str(pid) and nspid[-1] == "1", f"NSpid: {nspid}"
    assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")


def test_program_runs_only_after_start(rt):
    b = rt.bundle(script="echo ran > /side-effect; sleep 1000")
    rt.create(b)
    time.sleep(0.5)
    assert not b.r("side-effect").exists()
    rt.start(b.cid)
    # The shell creates the file before it writes: wait for the whole line.
    wait_for(lambda: b.r("side-effect").exists() and b.r("side-effect").read_text() == "ran\n",
             what="side effect after start")


def test_stopped_after_program_exits(rt):
    b = rt.bundle(script="exit 0")
    rt.create(b)
    rt.start(b.cid)
    rt.wait_status(b.cid, "stopped")
    assert rt.state(b.cid)["pid"] == 0
    rt.delete(b.cid)
    rt.assert_nothing_left()


def test_create_bundle_defaults_to_cwd(rt):
    b = rt.bundle(script=SLEEPER)
    rt.register_id(b.cid)
    rt.cli("create", b.cid, cwd=b.path).ok()
    st = rt.state(b.cid)
    assert st["bundle"] == str(b.path)
    assert st["rootfs"] == str(b.rootfs)


def test_create_relative_bundle_short_flag(rt):
    b = rt.bundle(script=SLEEPER)
    rt.register_id(b.cid)
    rt.cli("create", "-b", b.path.name, b.cid, cwd=b.path.parent).ok()
    assert rt.state(b.cid)["bundle"] == str(b.path)


def test_two_containers_are_independent(rt):
    b1 = rt.bundle(script=SLEEPER)
    b2 = rt.bundle(script=SLEEPER)
    rt.start_detached(b1)
    rt.create(b2)
    assert rt.status(b1.cid) == "running"
    assert rt.status(b2.cid) == "created"
    rt.delete(b1.cid, "--force")
    assert rt.status(b2.cid) == "created"
    rt.delete(b2.cid)
    rt.assert_nothing_left()


# --------------------------------------------------------------------------
# run

@pytest.mark.parametrize("code", [0, 3])
def test_run_exit_code(rt, code):
    res = rt.run_script(f"echo out; exit {code}")
    assert res.rc == code, res
    assert res.out == "out\n"


@pytest.mark.parametrize("sig,code", [(signal.SIGKILL, 137), (signal.SIGTERM, 143)])
def test_run_exit_code_when_killed_by_signal(rt, sig, code):
    # Without a pid namespace sh is not an init and can kill itself.
    res = rt.run_script(f"kill -{int(sig)} $$; sleep 5",
                        tweak=lambda b: b.remove_ns("pid"))
    assert res.rc == code, res


def test_run_killed_from_outside(rt):
    b = rt.bundle(script="touch /started; sleep 1000")
    sp = rt.spawn("run", "--bundle", b.path, b.cid)
    rt.register_id(b.cid)
    wait_for(lambda: b.r("started").exists(), what="container start")
    rt.kill(b.cid, "KILL")
    res = sp.wait(10)
    assert res.rc == 137, res


def test_run_forwards_sigterm(rt):
    b = rt.bundle(script="trap 'echo got-term; exit 42' TERM; touch /started; "
                         "sleep 1000 & wait")
    rt.register_id(b.cid)
    sp = rt.spawn("run", "--bundle", b.path, b.cid)
    wait_for(lambda: b.r("started").exists(), what="container start")
    time.sleep(0.1)     # let the shell get into `wait`
    os.kill(sp.pid, signal.SIGTERM)
    res = sp.wait(10)
    assert res.rc == 42, res
    assert "got-term" in res.out


def test_run_deletes_container_afterwards(rt):
    b = rt.bundle(script="exit 0")
    rt.run(b).ok()
    assert rt.cli("state", b.cid).rc != 0
    assert not any(rt.root.iterdir())
    rt.assert_nothing_left("after run")


def test_run_keep(rt):
    b = rt.bundle(script="exit 5")
    res = rt.run(b, "--keep")
    assert res.rc == 5, res
    assert rt.status(b.cid) == "stopped"
    rt.delete(b.cid)
    rt.assert_nothing_left()


def test_run_detach(rt):
    b = rt.bundle(script=SLEEPER)
    t0 = time.monotonic()
    rt.run(b, "--detach").ok()
    assert time.monotonic() - t0 < 10
    wait_for(lambda: b.r("started").exists(), what="detached program")
    assert rt.status(b.cid) == "running"
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    rt.delete(b.cid)
    rt.assert_nothing_left()


def test_run_detach_short_flag_and_pid_file(rt):
    b = rt.bundle(script=SLEEPER)
    pidfile = rt.tmp("pid")
    rt.run(b, "-d", "--pid-file", pidfile).ok()
    assert int(pidfile.read_text()) == rt.state(b.cid)["pid"]


def test_run_no_subreaper(rt):
    b = rt.bundle(script="echo hi; exit 7")
    res = rt.run(b, "--no-subreaper")
    assert res.rc == 7 and res.out == "hi\n", res


def test_run_no_pivot(rt):
    b = rt.bundle(script="echo $$; cat /proc/self/cgroup >/dev/null; ls /bin/busybox")
    res = rt.run(b, "--no-pivot").ok()
    assert res.out.split() == ["1", "/bin/busybox"]


def test_create_no_new_keyring(rt):
    b = rt.bundle(script=SLEEPER)
    rt.create(b, "--no-new-keyring")
    rt.start(b.cid)
    wait_for(lambda: b.r("started").exists(), what="program start")


# --------------------------------------------------------------------------
# kill

@pytest.mark.parametrize("sig", ["KILL", "SIGKILL", "9"])
def test_kill_signal_forms(rt, sig):
    b = rt.bundle(script="sleep 1000")
    rt.start_detached(b)
    rt.kill(b.cid, sig)
    rt.wait_status(b.cid, "stopped")


@pytest.mark.parametrize("sig", ["USR1", "SIGUSR1", "10"])
def test_kill_delivers_named_signal(rt, sig):
    b = rt.bundle(script="trap 'touch /got-usr1' USR1; touch /started; "
                         "while :; do sleep 0.05; done")
    rt.start_detached(b)
    wait_for(lambda: b.r("started").exists())
    rt.kill(b.cid, sig)
    wait_for(lambda: b.r("got-usr1").exists(), what="SIGUSR1 in the container")
    assert rt.status(b.cid) == "running"


def test_kill_invalid_signal(rt):
    b = rt.bundle(script="sleep 1000")
    rt.start_detached(b)
    rt.kill(b.cid, "NOTASIGNAL", check=False).failed()
    assert rt.status(b.cid) == "running"


@pytest.mark.parametrize("flag", ["--all", "-a"])
def test_kill_all(rt, cgroups, flag):
    # No pid namespace: killing the init alone would leave its children.
    b = rt.bundle(script="sleep 1000 & sleep 1000 & sleep 1000 & touch /started; wait",
                  write=False)
    b.remove_ns("pid").write()
    rt.start_detached(b)
    procs = os.path.join(cgroups["pids"], "pith-test", b.cid, "cgroup.procs")
    # The shell and its three sleeps; `touch` may still be on its way out.
    wait_for(lambda: b.r("started").exists() and len(open(procs).read().split()) == 4,
             what="the shell and its three sleeps, alone in the cgroup")
    rt.cli("kill", flag, b.cid, "KILL").ok()
    wait_for(lambda: not open(procs).read().split(), what="all container processes to die")
    rt.wait_status(b.cid, "stopped")


# --------------------------------------------------------------------------
# delete

def test_delete_created_without_force(rt):
    b = rt.bundle(script=SLEEPER)
    rt.create(b)
    pid = rt.state(b.cid)["pid"]
    rt.delete(b.cid)
    wait_for(lambda: not pid_alive(pid), what="init of the deleted container to exit")
    assert not b.r("started").exists()
    rt.assert_nothing_left()


def test_delete_stopped_without_force(rt):
    b = rt.bundle(script="exit 0")
    rt.run(b, "--keep").ok()
    rt.delete(b.cid)
    rt.assert_nothing_left()


@pytest.mark.parametrize("flag", ["--force", "-f"])
def test_delete_force_running(rt, flag):
    b = rt.bundle(script=SLEEPER)
    st = rt.start_detached(b)
    rt.delete(b.cid, flag)
    assert not pid_alive(st["pid"])
    assert rt.cli("state", b.cid).rc != 0
    rt.assert_nothing_left()


def test_delete_running_without_force_fails(rt):
    b = rt.bundle(script=SLEEPER)
    st = rt.start_detached(b)
    res = rt.delete(b.cid, check=False).failed()
    assert rt.status(b.cid) == "running" and pid_alive(st["pid"])
    assert "is not stopped" in res.err


# --------------------------------------------------------------------------
# lifecycle errors

def test_duplicate_id(rt):
    b = rt.bundle(script=SLEEPER)
    rt.create(b)
    pid = rt.state(b.cid)["pid"]
    b2 = rt.bundle(script=SLEEPER, cid=b.cid)
    res = rt.create(b2, check=False).failed()
    st = rt.state(b.cid)
    assert st["status"] == "created" and st["pid"] == pid and st["bundle"] == str(b.path)
    assert f'container "{b.cid}" already exists' in res.err


def test_start_running_fails(rt):
    b = rt.bundle(script=SLEEPER)
    rt.start_detached(b)
    res = rt.start(b.cid, check=False).failed()
    assert rt.status(b.cid) == "running"
    assert "not created" in res.err


def test_start_stopped_fails(rt):
    b = rt.bundle(script="exit 0")
    rt.run(b, "--keep").ok()
    res = rt.start(b.cid, check=False).failed()
    assert rt.status(b.cid) == "stopped"
    assert "not created" in res.err


def test_kill_stopped_fails(rt):
    b = rt.bundle(script="exit 0")
    rt.run(b, "--keep").ok()
    res = rt.kill(b.cid, "KILL", check=False).failed()
    assert f'container "{b.cid}" is not running' in res.err


@pytest.mark.parametrize("cmd", ["state", "start", "kill", "delete"])
def test_missing_container(rt, cmd):
    cid = rt.new_id("missing")
    res = rt.cli(cmd, cid).failed()
    assert not any(rt.root.iterdir())
    assert f'container "{cid}" does not exist' in res.err


@pytest.mark.parametrize("cid", ["../x", "a/b", ""], ids=["dotdot", "slash", "empty"])
def test_invalid_id(rt, cid):
    b = rt.bundle(script=SLEEPER)
    res = rt.cli("create", "--bundle", b.path, cid)
    res.failed()
    assert not (rt.dir / "x").exists(), "id escaped the state root"
    assert not list(rt.root.iterdir()), f"state root not empty: {list(rt.root.iterdir())}"
    rt.assert_nothing_left()
