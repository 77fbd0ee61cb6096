"""process.*: args, env, cwd, user, umask, rlimits, capabilities,
noNewPrivileges, oomScoreAdj, linux.sysctl, --preserve-fds."""

import os

import pytest

import sockact
from pithtest import CAPS, cap_mask, ns_inode, proc_status_fields


def host_has_cap(name):
    bnd = int(proc_status_fields(open("/proc/self/status").read())["CapBnd"], 16)
    return bool(bnd & (1 << CAPS[name]))


def status_of_shell(rt, tweak=None):
    """/proc/<pid>/status of the container's own shell (not of a child)."""
    # `; exit 0` keeps busybox sh from exec-ing cat in its own place
    return proc_status_fields(rt.run_ok("cat /proc/$$/status; exit 0", tweak=tweak))


def test_args_are_passed_verbatim(rt):
    b = rt.bundle(args=["sh", "-c", 'for a in "$@"; do echo "[$a]"; done; echo "0=$0"',
                        "zero", "a b", "c'd", "", "*", "--flag"])
    out = rt.run(b).ok().out
    assert out.splitlines() == ["[a b]", "[c'd]", "[]", "[*]", "[--flag]", "0=zero"]


def test_absolute_executable_path(rt):
    b = rt.bundle(args=["/bin/busybox", "echo", "absolute"])
    assert rt.run(b).ok().out == "absolute\n"


def test_env(rt):
    def tweak(b):
        b.set_env("FOO", "bar")
        b.set_env("EMPTY", "")
        b.set_env("WITH_EQ", "a=b=c")
    env = dict(os.environ, PITH_HOST_ONLY="leaked")
    b = rt.bundle(args=["env"], write=False)
    tweak(b)
    b.write()
    res = rt.run(b, env=env).ok()
    lines = res.out.splitlines()
    assert "FOO=bar" in lines and "EMPTY=" in lines and "WITH_EQ=a=b=c" in lines
    assert not any(l.startswith("PITH_HOST_ONLY=") for l in lines), "host env leaked"


def test_path_lookup_uses_container_env(rt):
    def tweak(b):
        b.r("opt/bin").mkdir(parents=True)
        b.r("opt/bin/myprog").write_text("#!/bin/sh\necho from-opt \"$@\"\n")
        os.chmod(b.r("opt/bin/myprog"), 0o755)
        b.set_env("PATH", "/opt/bin:/bin")
        b.set_args("myprog", "x")
    assert rt.run_script("", tweak=tweak).ok().out == "from-opt x\n"


def test_cwd(rt):
    def tweak(b):
        b.process["cwd"] = "/etc"
    assert rt.run_ok("pwd", tweak=tweak) == "/etc\n"


def test_cwd_created_if_missing(rt):
    b = rt.bundle(script="pwd", write=False)
    b.process["cwd"] = "/work/sub/dir"
    b.write()
    assert rt.run(b).ok().out == "/work/sub/dir\n"
    assert b.r("work/sub/dir").is_dir()


def test_user_uid_gid_additional_gids(rt):
    def tweak(b):
        b.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 3000]}
    out = rt.run_ok("id -u; id -g; cat /proc/$$/status", tweak=tweak)
    lines = out.splitlines()
    assert lines[0] == "1000" and lines[1] == "1001"
    st = proc_status_fields("\n".join(lines[2:]))
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1001"] * 4
    groups = set(st["Groups"].split())
    assert {"2000", "3000"} <= groups <= {"1001", "2000", "3000"}, groups


def test_umask(rt):
    def tweak(b):
        b.process["user"]["umask"] = 0o027
    out = rt.run_ok("umask; touch /tmp/f; stat -c %a /tmp/f", tweak=tweak)
    assert out.split() == ["0027", "640"]


def test_rlimits(rt):
    def tweak(b):
        b.process["rlimits"] = [
            {"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 2345},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
        ]
    out = rt.run_ok("ulimit -n; cat /proc/$$/limits", tweak=tweak)
    lines = out.splitlines()
    assert lines[0] == "1234"
    limits = {l[:26].strip(): l[26:].split() for l in lines[2:]}
    assert limits["Max open files"][:2] == ["1234", "2345"]
    assert limits["Max core file size"][:2] == ["0", "4096"]


def test_capabilities_root_all_sets(rt):
    caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"]
    st = status_of_shell(rt, tweak=lambda b: b.set_caps(caps))
    want = cap_mask(caps)
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(st[key], 16) == want, f"{key}={st[key]} want {want:016x}"


def test_capabilities_each_set_non_root(rt):
    # For a non-root user after execve: permitted = effective = ambient.
    sets = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "inheritable": ["CAP_KILL", "CAP_NET_RAW"],
        "ambient": ["CAP_KILL", "CAP_NET_RAW"],
    }

    def tweak(b):
        b.process["user"] = {"uid": 1000, "gid": 1000}
        b.process["capabilities"] = sets
    st = status_of_shell(rt, tweak)
    assert int(st["CapBnd"], 16) == cap_mask(sets["bounding"])
    assert int(st["CapInh"], 16) == cap_mask(sets["inheritable"])
    assert int(st["CapAmb"], 16) == cap_mask(sets["ambient"])
    assert int(st["CapPrm"], 16) == cap_mask(sets["ambient"])
    assert int(st["CapEff"], 16) == cap_mask(sets["ambient"])


@pytest.mark.parametrize("with_chown", [True, False], ids=["with-CAP_CHOWN", "without"])
def test_capability_is_enforced(rt, with_chown):
    caps = ["CAP_KILL"] + (["CAP_CHOWN"] if with_chown else [])
    out = rt.run_ok("touch /tmp/f; chown 123 /tmp/f 2>&1 && echo chown-ok || echo chown-denied",
                    tweak=lambda b: b.set_caps(caps))
    assert ("chown-ok" if with_chown else "chown-denied") in out


def test_no_capabilities(rt):
    def tweak(b):
        b.process["capabilities"] = {}
    st = status_of_shell(rt, tweak)
    assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(rt, nnp):
    def tweak(b):
        b.process["noNewPrivileges"] = nnp
    assert status_of_shell(rt, tweak)["NoNewPrivs"] == ("1" if nnp else "0")


@pytest.mark.parametrize("adj", [500, -300])
def test_oom_score_adj(rt, adj):
    if adj < int(open("/proc/self/oom_score_adj").read()) and not host_has_cap("CAP_SYS_RESOURCE"):
        pytest.skip("lowering oom_score_adj needs CAP_SYS_RESOURCE, which this host lacks")
    def tweak(b):
        b.process["oomScoreAdj"] = adj
    assert rt.run_ok("cat /proc/$$/oom_score_adj", tweak=tweak).strip() == str(adj)


def test_sysctl(rt):
    host_fwd = open("/proc/sys/net/ipv4/ip_forward").read().strip()
    host_shmmax = open("/proc/sys/kernel/shmmax").read().strip()
    want_fwd = "0" if host_fwd == "1" else "1"

    def tweak(b):
        b.linux["sysctl"] = {"net.ipv4.ip_forward": want_fwd, "kernel.shmmax": "123456789"}
    out = rt.run_ok("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax", tweak=tweak)
    assert out.split() == [want_fwd, "123456789"]
    assert open("/proc/sys/net/ipv4/ip_forward").read().strip() == host_fwd
    assert open("/proc/sys/kernel/shmmax").read().strip() == host_shmmax


def test_preserve_fds(rt):
    b = rt.bundle(script="readlink /proc/$$/fd/3; readlink /proc/$$/fd/4; "
                         "echo hello-over-fd4 >&4; "
                         "[ -e /proc/$$/fd/5 ] && echo fd5-open || echo fd5-closed")
    rt.register_id(b.cid)
    out_path, err_path = rt.tmp("sockact.out"), rt.tmp("sockact.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        res = sockact.run_with_fds(rt.argv("run", "--preserve-fds", "2", "--bundle", b.path, b.cid),
                                   rt.tmp("activation.sock"), stdout=out, stderr=err)
    stdout = out_path.read_text()
    assert res["rc"] == 0, f"rc={res['rc']} stderr={err_path.read_text()}"
    lines = stdout.splitlines()
    assert lines[0].startswith("socket:") and ns_inode(lines[0]) == res["listen_inode"]
    assert lines[1].startswith("socket:") and ns_inode(lines[1]) == res["pair_inode"]
    assert lines[2] == "fd5-closed", "an fd beyond --preserve-fds reached the container"
    assert res["received"] == "hello-over-fd4\n"


def test_only_stdio_without_preserve_fds(rt):
    r, w = os.pipe()
    try:
        b = rt.bundle(script="ls /proc/$$/fd; exit 0")   # exit: keep sh from exec-ing ls
        rt.register_id(b.cid)
        sp = rt.spawn("run", "--bundle", b.path, b.cid, pass_fds=(r, w))
        res = sp.wait()
    finally:
        os.close(r)
        os.close(w)
    assert res.rc == 0, res
    assert sorted(res.out.split()) == ["0", "1", "2"]


def test_capability_names_cover_config(rt):
    # Every capability this kernel knows can be granted by name.
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    names = [n for n, v in CAPS.items() if v <= last and host_has_cap(n)]
    st = status_of_shell(rt, tweak=lambda b: b.set_caps(names))
    assert int(st["CapBnd"], 16) == cap_mask(names)
