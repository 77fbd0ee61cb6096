"""Foreground `run` and `exec`: signals sent to the runtime reach the
container's process, and the runtime exits with its status (128+N when
signal N killed it).  Passes against runc as well, but for the one test
that says otherwise."""

import os
import signal
import time

import pytest

from pithtest import wait_for

# Records each signal it gets in /tmp/got (or $OUT), exits 7 on TERM.
TRAPPER = ("for s in HUP INT QUIT USR1 USR2 ALRM CONT WINCH; do trap \"echo $s >> $OUT\" $s; done; "
           "trap 'echo TERM >> $OUT; exit 7' TERM; touch $READY; "
           "while :; do sleep 0.05; done")


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_run_signal_kills_process(rt, sig, code):
    # No pid namespace: `sleep` is not an init, so the default action kills it.
    b = rt.bundle(args=("sleep", "1000"), write=False)
    b.remove_ns("pid")
    b.write()
    rt.register_id(b.cid)
    sp = rt.spawn("run", "--bundle", b.path, b.cid)
    rt.wait_status(b.cid, "running", timeout=10)
    os.kill(sp.pid, sig)
    assert sp.wait(10).rc == code


def test_run_forwards_every_catchable_signal(rt):
    b = rt.bundle(script=TRAPPER.replace("$OUT", "/got").replace("$READY", "/ready"))
    rt.register_id(b.cid)
    sp = rt.spawn("run", "--bundle", b.path, b.cid)
    wait_for(lambda: b.r("ready").exists(), timeout=10, what="container start")
    sent = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
            signal.SIGALRM]
    for sig in sent:
        os.kill(sp.pid, sig)
        name = sig.name[3:]
        wait_for(lambda: name in b.r("got").read_text().split() if b.r("got").exists() else False,
                 timeout=5, what=f"SIG{name} to arrive")
    os.kill(sp.pid, signal.SIGTERM)
    res = sp.wait(10)
    assert res.rc == 7, res
    assert b.r("got").read_text().split()[-1] == "TERM"


def running(rt):
    b = rt.bundle(args=("sleep", "1000"))
    rt.start_detached(b)
    return b


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_exec_signal_reaches_process(rt, sig, code):
    b = running(rt)
    pid_file = rt.tmp("exec.pid")
    sp = rt.spawn("exec", "--pid-file", pid_file, b.cid, "sleep", "1000")
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout=10, what="the pid file")
    pid = int(pid_file.read_text())
    os.kill(sp.pid, sig)
    assert sp.wait(10).rc == code
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] in "ZX"


def test_exec_forwards_signals_to_a_trapping_process(rt):
    b = running(rt)
    script = TRAPPER.replace("$OUT", "/tmp/got").replace("$READY", "/tmp/ready")
    sp = rt.spawn("exec", b.cid, "sh", "-c", script)
    wait_for(lambda: b.r("tmp/ready").exists(), timeout=10, what="exec'd process")
    for sig in (signal.SIGUSR1, signal.SIGHUP, signal.SIGQUIT):
        os.kill(sp.pid, sig)
        name = sig.name[3:]
        wait_for(lambda: b.r("tmp/got").exists() and name in b.r("tmp/got").read_text().split(),
                 timeout=5, what=f"SIG{name} to arrive")
    os.kill(sp.pid, signal.SIGTERM)
    res = sp.wait(10)
    assert res.rc == 7, res


def test_exec_foreground_returns_after_process_exits(rt):
    """pith-specific: the process has pith's own stdio, so a background
    child of it keeps nothing waiting.  (runc relays stdio through pipes
    and waits until the child closes them: this fails there.)"""
    b = running(rt)
    t0 = time.monotonic()
    res = rt.cli("exec", b.cid, "sh", "-c", "sleep 1000 & exit 3")
    assert res.rc == 3
    assert time.monotonic() - t0 < 10
