"""linux.seccomp: every action, operator and flag, checked from inside the
container; errnoRet and defaultErrnoRet; unknown syscall names; precise
errors for bad profiles; Podman's default profile; SCMP_ACT_NOTIFY with an
agent receiving the fd and the container process state; the filter loaded
after all of pith's own steps."""

import errno
import json
import os

import pytest

from pithtest import proc_status_fields
from seccomp_helpers import NR, Agent, install_probe, podman_profile

EXDEV = errno.EXDEV           # the errnoRet the argument tests use: easy to tell apart
SIGSYS_STATUS = 128 + 31      # how sh reports a child killed by SIGSYS


def allow_but(rules, **extra):
    prof = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules}
    prof.update(extra)
    return prof


def run_with(rt, profile, script, probe=False, tweak=None, flags=()):
    def t(b):
        b.linux["seccomp"] = profile
        if probe:
            install_probe(b, rt.session_dir)
        if tweak:
            tweak(b)
    return rt.run_script(script, tweak=t, flags=flags)


# -- actions -----------------------------------------------------------------

def test_errno_defaults_to_eperm(rt):
    prof = allow_but([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    res = run_with(rt, prof, "mkdir /tmp/x; echo rc=$?; grep Seccomp /proc/self/status")
    out = res.ok().out
    assert "rc=1" in out
    assert "Operation not permitted" in res.err
    st = proc_status_fields(out)
    assert st["Seccomp"] == "2" and st["Seccomp_filters"] == "1", "pith loads exactly one filter"


def test_errno_ret(rt):
    prof = allow_but([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSPC}])
    res = run_with(rt, prof, "mkdir /tmp/x; echo rc=$?")
    assert "rc=1" in res.ok().out
    assert "No space left on device" in res.err


def test_default_errno_ret_with_allow_list(rt):
    """defaultAction ERRNO + defaultErrnoRet; SCMP_ACT_ALLOW for the rest of
    Podman's list: mkdir, left out, gets ENOSYS."""
    prof = podman_profile(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
    prof["defaultErrnoRet"] = errno.ENOSYS
    for rule in prof["syscalls"]:
        rule["names"] = [n for n in rule["names"] if n not in ("mkdir", "mkdirat")]
    prof["syscalls"] = [r for r in prof["syscalls"] if r["names"]]
    res = run_with(rt, prof, "echo allowed; mkdir /tmp/x; echo rc=$?")
    assert res.ok().out == "allowed\nrc=1\n"
    assert "Function not implemented" in res.err


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS"])
def test_kill_actions(rt, action):
    prof = allow_but([{"names": ["sched_yield"], "action": action}])
    out = run_with(rt, prof, f"sysprobe {NR['sched_yield']}; echo status=$?", probe=True).ok().out
    assert f"status={SIGSYS_STATUS}" in out, out


def test_kill_thread_spares_the_other_threads(rt):
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_KILL_THREAD"}])
    out = run_with(rt, prof, f"sysprobe -t {NR['sched_yield']}; echo status=$?", probe=True).ok().out
    assert out == "alive\nstatus=0\n", "only the calling thread dies"


def test_kill_process_takes_all_threads(rt):
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_KILL_PROCESS"}])
    out = run_with(rt, prof, f"sysprobe -t {NR['sched_yield']}; echo status=$?", probe=True).ok().out
    assert out == f"status={SIGSYS_STATUS}\n"


def test_trap(rt):
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_TRAP"}])
    out = run_with(rt, prof, f"sysprobe -s {NR['sched_yield']}", probe=True).ok().out
    assert out == f"sigsys {NR['sched_yield']}\n"


def test_trace_without_tracer_is_enosys(rt):
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}])
    out = run_with(rt, prof, f"sysprobe {NR['sched_yield']}", probe=True).ok().out
    assert out == f"errno {errno.ENOSYS}\n"


def test_log_allows(rt):
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_LOG"}])
    out = run_with(rt, prof, f"sysprobe {NR['sched_yield']}", probe=True).ok().out
    assert out.startswith("ok "), out


# -- arguments ---------------------------------------------------------------

OPERATORS = {
    # op: (value, valueTwo, {arg: blocked})
    "SCMP_CMP_NE": (5, None, {4: True, 5: False, 6: True}),
    "SCMP_CMP_LT": (5, None, {4: True, 5: False, 6: False}),
    "SCMP_CMP_LE": (5, None, {4: True, 5: True, 6: False}),
    "SCMP_CMP_EQ": (5, None, {4: False, 5: True, 6: False, 0x100000005: False}),
    "SCMP_CMP_GE": (5, None, {4: False, 5: True, 6: True}),
    "SCMP_CMP_GT": (5, None, {4: False, 5: False, 6: True}),
    "SCMP_CMP_MASKED_EQ": (0xF0, 0x50, {0x55: True, 0x65: False, 0x5F: True}),
}
PROBE_CALLS = ["sched_yield", "getcpu", "times", "sysinfo", "getrusage", "getitimer", "getpriority"]


def test_every_operator(rt):
    """One rule per operator, each on a system call that ignores its
    arguments (the filter still sees them)."""
    rules, lines, want = [], [], []
    for (op, (value, two, cases)), call in zip(OPERATORS.items(), PROBE_CALLS):
        arg = {"index": 0, "value": value, "op": op}
        if two is not None:
            arg["valueTwo"] = two
        rules.append({"names": [call], "action": "SCMP_ACT_ERRNO", "errnoRet": EXDEV, "args": [arg]})
        for a, blocked in cases.items():
            lines.append(f"echo -n '{op} {a}: '; sysprobe {NR[call]} {a}")
            want.append((f"{op} {a}", blocked))
    out = run_with(rt, allow_but(rules), "\n".join(lines), probe=True).ok().out
    got = dict(line.split(": ", 1) for line in out.splitlines())
    for key, blocked in want:
        assert (got[key] == f"errno {EXDEV}") == blocked, f"{key}: {got[key]}"


def test_conditions_on_two_arguments_are_and(rt):
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_ERRNO", "errnoRet": EXDEV,
                       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                                {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}])
    n = NR["sched_yield"]
    out = run_with(rt, prof, f"sysprobe {n} 1 2; sysprobe {n} 1 3; sysprobe {n} 0 2", probe=True).ok().out
    assert out.splitlines()[0] == f"errno {EXDEV}"
    assert out.splitlines()[1].startswith("ok") and out.splitlines()[2].startswith("ok")


def test_two_conditions_on_one_argument_are_or(rt):
    """libseccomp cannot AND two comparisons of one argument: as runc does,
    each becomes a rule of its own."""
    prof = allow_but([{"names": ["sched_yield"], "action": "SCMP_ACT_ERRNO", "errnoRet": EXDEV,
                       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                                {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}])
    n = NR["sched_yield"]
    out = run_with(rt, prof, f"sysprobe {n} 1; sysprobe {n} 2; sysprobe {n} 3", probe=True).ok().out
    lines = out.splitlines()
    assert lines[:2] == [f"errno {EXDEV}"] * 2 and lines[2].startswith("ok")


# -- names, architectures, flags ----------------------------------------------

def test_unknown_syscall_names_are_skipped(rt):
    prof = allow_but([{"names": ["mkdir", "pith_no_such_syscall", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    res = run_with(rt, prof, "mkdir /tmp/x; echo rc=$?", flags=())
    assert "rc=1" in res.ok().out
    b = rt.bundle(script="true", write=False)
    b.linux["seccomp"] = prof
    b.write()
    dbg = rt.cli("--debug", "run", "--bundle", b.path, b.cid).ok()
    assert "syscall `pith_no_such_syscall` is unknown to libseccomp, skipped" in dbg.err


def test_architectures(rt):
    prof = allow_but([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
                     architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    res = run_with(rt, prof, "mkdir /tmp/x; echo rc=$?")
    assert "rc=1" in res.ok().out


@pytest.mark.parametrize("flag", ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
def test_flags(rt, flag):
    prof = allow_but([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}], flags=[flag])
    res = run_with(rt, prof, "mkdir /tmp/x; echo rc=$?; grep Speculation_Store_Bypass /proc/self/status")
    out = res.ok().out
    assert "rc=1" in out
    if flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
        # a filter normally forces the Speculative Store Bypass mitigation on,
        # where the CPU has one; SPEC_ALLOW leaves it as it was
        base = run_with(rt, allow_but([]), "grep Speculation_Store_Bypass /proc/self/status").ok().out
        if "mitigated" in base:
            assert "force mitigated" not in out, "SPEC_ALLOW keeps the SSB mitigation off"
        else:
            print(f"this CPU has no SSB mitigation to force ({base.strip()}): only the load is checked")


def test_features_report_seccomp(rt):
    feats = json.loads(rt.cli("features", root=False).ok().out)["linux"]["seccomp"]
    assert feats["enabled"] is True
    assert set(feats["actions"]) == {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                     "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
                                     "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
    assert len(feats["operators"]) == 7 and "SCMP_ARCH_X86_64" in feats["archs"]
    assert set(feats["supportedFlags"]) <= set(feats["knownFlags"])


def test_unsupported_flag_is_a_clear_error(rt):
    feats = json.loads(rt.cli("features", root=False).ok().out)["linux"]["seccomp"]
    missing = sorted(set(feats["knownFlags"]) - set(feats["supportedFlags"]))
    if not missing:
        pytest.skip("SKIPPED: this kernel supports every seccomp flag of the spec; nothing to refuse")
    prof = allow_but([], flags=[missing[0]])
    res = run_with(rt, prof, "true")
    assert res.rc != 0 and f"{missing[0]} is not supported by this kernel" in res.err


# -- errors --------------------------------------------------------------------

BAD_PROFILES = [
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO"}, {"names": ["b"], "action": "SCMP_ACT_LOG"},
                   {"names": ["c"], "action": "SCMP_ACT_ALLOW"}, {"names": ["d"], "action": "SCMP_ACT_DENY"}]},
     'config.json: /linux/seccomp/syscalls/3/action: unknown action "SCMP_ACT_DENY"'),
    ({"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 1},
     "config.json: /linux/seccomp/defaultErrnoRet: SCMP_ACT_KILL takes no errno return code"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]},
     'config.json: /linux/seccomp/architectures/0: unknown architecture "SCMP_ARCH_PDP11"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_SHEB"]},
     "config.json: /linux/seccomp/architectures/0: SCMP_ARCH_SHEB is not supported by libseccomp"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                    "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]},
     'config.json: /linux/seccomp/syscalls/0/args/0/op: unknown operator "SCMP_CMP_ALMOST"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]},
     'config.json: /linux/seccomp/flags/0: unknown flag "SECCOMP_FILTER_FLAG_FAST"'),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
     "config.json: /linux/seccomp/listenerPath: required when a rule uses SCMP_ACT_NOTIFY"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nowhere/agent.sock",
      "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]},
     "config.json: /linux/seccomp/syscalls/0/names/0: SCMP_ACT_NOTIFY cannot be used for sendmsg"),
]


@pytest.mark.parametrize("profile,message", BAD_PROFILES, ids=[str(i) for i in range(len(BAD_PROFILES))])
def test_bad_profile_fails_precisely_and_leaves_nothing(rt, profile, message):
    b = rt.bundle(script="true", write=False)
    b.linux["seccomp"] = profile
    b.write()
    res = rt.create(b, check=False).failed()
    assert message in res.err, res.err
    assert rt.try_state(b.cid) is None
    rt.assert_nothing_left("after a refused profile")


# -- engines' profiles -----------------------------------------------------------

@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_podman_default_profile(rt, nnp):
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    prof = podman_profile(caps)
    # vmsplice with a bad fd: EBADF without the filter, EPERM with Podman's.
    script = f"uname -m; sysprobe {NR['vmsplice']} -1 0 0 0; grep -E 'Seccomp:|NoNewPrivs|CapEff' /proc/self/status"

    def tweak(b):
        b.process["noNewPrivileges"] = nnp
    out = run_with(rt, prof, script, probe=True, tweak=tweak).ok().out
    lines = out.splitlines()
    assert lines[0] == "x86_64"
    assert lines[1] == f"errno {errno.EPERM}", "vmsplice is blocked by the profile"
    st = proc_status_fields("\n".join(lines[2:]))
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == ("1" if nnp else "0")
    assert int(st["CapEff"], 16) == 0x20000420, "no capability kept for loading the filter is left over"


def test_compiled_program_is_cached(rt):
    prof = podman_profile(["CAP_KILL"])
    outs = []
    for _ in range(2):
        b = rt.bundle(script="true", write=False)
        b.linux["seccomp"] = prof
        b.write()
        outs.append(rt.cli("--debug", "run", "--bundle", b.path, b.cid).ok().err)
    assert "from the cache" not in outs[0] and "compiled program from the cache" in outs[1]
    cache = rt.root / ".seccomp-cache"
    assert (os.stat(cache).st_mode & 0o777) == 0o700


# -- order of the steps ----------------------------------------------------------

PITH_STEPS = ["setgroups", "setresuid", "setresgid", "capset", "capget", "prctl", "umask", "close_range",
              "keyctl", "sethostname", "mount", "umount2", "pivot_root", "mount_setattr", "open_tree",
              "move_mount", "chdir", "setrlimit", "prlimit64"]


def test_filter_loaded_after_pith_steps(rt):
    """A profile that forbids what pith does while setting up (credentials,
    capabilities, mounts, keyring, ...) does not get in its way: the filter
    is loaded just before execve."""
    prof = allow_but([{"names": PITH_STEPS, "action": "SCMP_ACT_ERRNO"}])

    def tweak(b):
        b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [2000]}
    out = run_with(rt, prof, "id -u; mkdir /tmp/ok && echo mkdir-ok; umask 077; echo $?",
                   tweak=tweak).ok().out
    assert out.splitlines()[:2] == ["1000", "mkdir-ok"]


def test_without_nnp_the_kept_capability_is_dropped(rt):
    """Without no_new_privs the filter needs CAP_SYS_ADMIN to load: pith keeps
    it just for that and drops it after; a profile that forbids the drop
    (capset) makes start fail rather than leave it."""
    prof = allow_but([{"names": ["capset"], "action": "SCMP_ACT_ERRNO"}])

    def tweak(b):
        b.process["noNewPrivileges"] = False
    res = run_with(rt, prof, "true", tweak=tweak)
    assert res.rc != 0
    assert "drop the capabilities kept for loading the seccomp filter: Operation not permitted" in res.err
    rt.assert_nothing_left()


def test_without_nnp_caps_are_exact(rt):
    prof = allow_but([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])

    def tweak(b):
        b.process["noNewPrivileges"] = False
    out = run_with(rt, prof, "grep -E 'Cap(Prm|Eff)|NoNewPrivs|Seccomp:' /proc/self/status", tweak=tweak).ok().out
    st = proc_status_fields(out)
    assert st["NoNewPrivs"] == "0" and st["Seccomp"] == "2"
    assert int(st["CapEff"], 16) == int(st["CapPrm"], 16) == 0x20000420


# -- SCMP_ACT_NOTIFY -------------------------------------------------------------

def notify_profile(path, names, **extra):
    prof = allow_but([{"names": names, "action": "SCMP_ACT_NOTIFY"}], listenerPath=str(path),
                     listenerMetadata="bar")
    prof.update(extra)
    return prof


def test_notify_agent_receives_fd_and_state(rt):
    sock = rt.tmp("agent.sock")
    agent = Agent(sock, decide=lambda nr, args: ("errno", errno.ENOMEDIUM)
                  if nr in (NR["mkdir"], NR["mkdirat"]) else ("continue",))
    try:
        b = rt.bundle(script="mkdir /tmp/foo; echo rc=$?; ls /tmp", write=False)
        b.linux["seccomp"] = notify_profile(sock, ["mkdir", "mkdirat"])
        b.config["annotations"] = {"org.example.key": "value"}
        b.write()
        rt.create(b)
        pid = rt.state(b.cid)["pid"]
        rt.start(b.cid)
        rt.wait_status(b.cid, "stopped")
        agent.join()
    finally:
        agent.close()
    st = agent.state
    assert agent.fd_count == 1
    assert st["ociVersion"] and st["fds"] == ["seccompFd"] and st["metadata"] == "bar"
    assert st["pid"] == pid and st["state"]["pid"] == pid
    assert st["state"]["id"] == b.cid and st["state"]["bundle"] == str(b.path)
    assert st["state"]["annotations"] == {"org.example.key": "value"}
    assert NR["mkdir"] in agent.notified or NR["mkdirat"] in agent.notified


def test_notify_answers_reach_the_program(rt):
    sock = rt.tmp("agent.sock")
    agent = Agent(sock, decide=lambda nr, args: ("errno", errno.ENOMEDIUM))
    try:
        res = run_with(rt, notify_profile(sock, ["mkdir", "mkdirat"]), "mkdir /tmp/foo; echo rc=$?; ls -d /tmp/foo")
        agent.join()
    finally:
        agent.close()
    assert "rc=1" in res.out
    assert "No medium found" in res.err


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_notify_on_the_calls_pith_makes_last(rt, nnp):
    """execve and capset run after the filter is loaded; notified, they wait
    for the agent, which already has the fd."""
    sock = rt.tmp("agent.sock")
    agent = Agent(sock)

    def tweak(b):
        b.process["noNewPrivileges"] = nnp
    try:
        names = ["execve", "capset", "openat", "read", "close", "mkdir", "mkdirat"]
        res = run_with(rt, notify_profile(sock, names), "mkdir /tmp/foo && echo made", tweak=tweak)
        agent.join()
    finally:
        agent.close()
    assert res.ok().out == "made\n"
    assert NR["execve"] in agent.notified, "execve was notified"


def test_notify_fd_does_not_reach_the_program(rt):
    sock = rt.tmp("agent.sock")
    agent = Agent(sock)
    try:
        out = run_with(rt, notify_profile(sock, ["mkdir"]), "ls -l /proc/$$/fd; exit 0").ok().out
        agent.join()
    finally:
        agent.close()
    assert "seccomp" not in out and "socket:" not in out, out


def test_notify_without_agent_fails_and_leaves_nothing(rt):
    res = run_with(rt, notify_profile(rt.tmp("nobody.sock"), ["mkdir"]), "true")
    assert res.rc != 0
    assert "listenerPath: no seccomp agent at" in res.err
    rt.assert_nothing_left()


def test_notify_agent_gone_means_enosys(rt):
    sock = rt.tmp("agent.sock")
    agent = Agent(sock, close_after=1)
    try:
        res = run_with(rt, notify_profile(sock, ["mkdir", "mkdirat"]), "mkdir /tmp/foo; echo rc=$?")
        agent.join()
    finally:
        agent.close()
    assert "rc=1" in res.ok().out
    assert "Function not implemented" in res.err


def test_listener_path_without_notify_rules_is_ignored(rt):
    prof = allow_but([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
                     listenerPath=str(rt.tmp("nobody.sock")))
    assert "rc=1" in run_with(rt, prof, "mkdir /tmp/x; echo rc=$?").ok().out
