"""mounts, root.readonly, maskedPaths, readonlyPaths, mount propagation."""

import os
import shutil

import pytest

from pithtest import BUSYBOX, MASKED_PATHS, mountinfo_lines, wait_for


def mount_line(out, dest):
    """The mountinfo line (as printed inside the container) for dest."""
    lines = [l for l in out.splitlines() if len(l.split()) > 4 and l.split()[4] == dest]
    assert lines, f"{dest} is not a mount point inside the container:\n{out}"
    return lines[-1]


def mount_opts(line):
    left, right = line.split(" - ", 1)
    per_mount = set(left.split()[5].split(","))
    fstype, _src, super_opts = right.split()[:3]
    return per_mount, fstype, set(super_opts.split(","))


def host_dir(rt, name, files=None):
    d = rt.tmp(name)
    d.mkdir()
    os.chmod(d, 0o755)
    for fname, content in (files or {}).items():
        (d / fname).write_text(content)
    return d


def test_proc_mounted(rt):
    out = rt.run_ok("cat /proc/self/mountinfo; cat /proc/self/comm")
    _opts, fstype, _ = mount_opts(mount_line(out, "/proc"))
    assert fstype == "proc"
    assert out.splitlines()[-1] == "cat"


def test_sysfs_readonly(rt):
    out = rt.run_ok("cat /proc/self/mountinfo; ls /sys/class >/dev/null && echo class-ok; "
                    "mkdir /sys/x 2>&1 || echo mkdir-failed")
    opts, fstype, _ = mount_opts(mount_line(out, "/sys"))
    assert fstype == "sysfs"
    assert {"ro", "nosuid", "nodev", "noexec"} <= opts
    assert "class-ok" in out and "mkdir-failed" in out


def test_dev_submounts(rt):
    out = rt.run_ok("cat /proc/self/mountinfo")
    assert mount_opts(mount_line(out, "/dev"))[1] == "tmpfs"
    assert mount_opts(mount_line(out, "/dev/pts"))[1] == "devpts"
    assert mount_opts(mount_line(out, "/dev/shm"))[1] == "tmpfs"
    assert mount_opts(mount_line(out, "/dev/mqueue"))[1] == "mqueue"


def test_tmpfs_size_and_mode(rt):
    out = rt.run_ok("stat -c %a /scratch; cat /proc/self/mountinfo",
                    tweak=lambda b: b.add_mount("/scratch", "tmpfs", "tmpfs",
                                                ["nosuid", "nodev", "size=2m", "mode=1770"]))
    assert out.splitlines()[0] == "1770"
    opts, fstype, sopts = mount_opts(mount_line(out, "/scratch"))
    assert fstype == "tmpfs"
    assert "size=2048k" in sopts and "mode=1770" in sopts
    assert {"nosuid", "nodev"} <= opts


def test_refused_fs_option_names_it(rt):
    """A file system option the kernel refuses is reported with the file
    system's own words and the mount's JSON path, and nothing is left."""
    b = rt.bundle(write=False)
    b.add_mount("/scratch", "tmpfs", "tmpfs", ["size=lots"])
    b.write()
    res = rt.run(b)
    assert res.rc != 0, res
    assert "tmpfs: Bad value for 'size'" in res.err, res
    assert "/mounts/" in res.err and "`/scratch`" in res.err, res
    assert rt.state_leftovers() == [], "no container is left behind"


def test_mount_destination_created(rt):
    b_out = rt.run_ok("cat /proc/self/mountinfo",
                      tweak=lambda b: b.add_mount("/new/deep/dir", "tmpfs", "tmpfs", []))
    assert mount_opts(mount_line(b_out, "/new/deep/dir"))[1] == "tmpfs"


def test_bind_readonly(rt):
    d = host_dir(rt, "data", {"file": "hello\n"})
    out = rt.run_ok("cat /data/file; touch /data/new 2>&1 || echo write-failed",
                    tweak=lambda b: b.add_mount("/data", "bind", d, ["rbind", "ro"]))
    assert out.splitlines()[0] == "hello"
    assert "Read-only file system" in out and "write-failed" in out
    assert not (d / "new").exists()


def test_bind_readwrite_visible_on_host(rt):
    d = host_dir(rt, "data")
    rt.run_ok("echo from-container > /data/out",
              tweak=lambda b: b.add_mount("/data", "bind", d, ["bind", "rw"]))
    assert (d / "out").read_text() == "from-container\n"


def test_bind_single_file(rt):
    d = host_dir(rt, "files", {"conf": "value=1\n"})
    out = rt.run_ok("cat /etc/my.conf",
                    tweak=lambda b: b.add_mount("/etc/my.conf", "bind", d / "conf", ["bind", "ro"]))
    assert out == "value=1\n"


@pytest.mark.parametrize("flag", ["nosuid", "nodev", "noexec"])
def test_bind_mount_flags(rt, flag):
    d = host_dir(rt, "data")
    out = rt.run_ok("cat /proc/self/mountinfo",
                    tweak=lambda b: b.add_mount("/data", "bind", d, ["rbind", flag]))
    opts, _, _ = mount_opts(mount_line(out, "/data"))
    assert flag in opts


def test_noexec_prevents_exec(rt):
    d = host_dir(rt, "bin")
    shutil.copy2(BUSYBOX, d / "bb")
    out = rt.run_ok("/data/bb true 2>&1 && echo exec-ok || echo exec-failed; "
                    "/bin/busybox true && echo rootfs-exec-ok",
                    tweak=lambda b: b.add_mount("/data", "bind", d, ["rbind", "noexec"]))
    assert "exec-failed" in out and "Permission denied" in out
    assert "rootfs-exec-ok" in out


@pytest.mark.parametrize("propagation,expected", [("rslave", "seen"), ("rprivate", "unseen")])
def test_bind_propagation(rt, propagation, expected):
    shared = host_dir(rt, "shared")
    (shared / "sub").mkdir()
    rt.host_bind_self(shared, "shared")
    b = rt.bundle(script="touch /started; while [ ! -e /go ]; do sleep 0.05; done; "
                         "if [ -e /shared/sub/marker ]; then echo seen; else echo unseen; fi "
                         "> /result", write=False)
    b.linux["rootfsPropagation"] = "rslave"
    b.add_mount("/shared", "bind", shared, ["rbind", propagation])
    b.write()
    rt.start_detached(b)
    wait_for(lambda: b.r("started").exists(), what="container start")
    rt.host_mount("-t", "tmpfs", "tmpfs", target=shared / "sub")
    (shared / "sub" / "marker").write_text("x")
    b.r("go").write_text("")
    wait_for(lambda: b.r("result").exists() and b.r("result").read_text(), what="result")
    assert b.r("result").read_text().strip() == expected


def test_recursive_readonly_rro(rt):
    d = host_dir(rt, "data")
    (d / "sub").mkdir()
    rt.host_mount("-t", "tmpfs", "tmpfs", target=d / "sub")
    out = rt.run_ok("touch /data/x 2>&1; touch /data/sub/x 2>&1; "
                    "echo top=$([ -e /data/x ] && echo w || echo ro); "
                    "echo sub=$([ -e /data/sub/x ] && echo w || echo ro)",
                    tweak=lambda b: b.add_mount("/data", "bind", d, ["rbind", "rro"]))
    assert "top=ro" in out and "sub=ro" in out, out
    assert "Read-only file system" in out


def test_root_readonly(rt):
    def tweak(b):
        b.config["root"]["readonly"] = True
    out = rt.run_ok("touch /newfile 2>&1 || echo write-failed; cat /proc/self/mountinfo; "
                    "echo ok > /dev/shm/f && echo shm-writable", tweak=tweak)
    assert "write-failed" in out and "Read-only file system" in out
    opts, _, _ = mount_opts(mount_line(out, "/"))
    assert "ro" in opts
    assert "shm-writable" in out


def test_root_writable_by_default(rt):
    b = rt.bundle(script="echo data > /newfile")
    rt.run(b).ok()
    assert b.r("newfile").read_text() == "data\n"


def test_masked_paths_file_and_dir(rt):
    def tweak(b):
        b.r("secret.txt").write_text("secret\n")
        b.r("secretdir").mkdir()
        (b.r("secretdir") / "inner").write_text("inner\n")
        b.linux["maskedPaths"] += ["/secret.txt", "/secretdir"]
    b = rt.bundle(script="echo \"[$(cat /secret.txt 2>/dev/null)]\"; "
                         "echo \"[$(ls -A /secretdir 2>/dev/null)]\"", write=False)
    tweak(b)
    b.write()
    lines = rt.run(b).ok().out.splitlines()
    assert lines == ["[]", "[]"]
    assert b.r("secret.txt").read_text() == "secret\n", "masking changed the host file"


def test_masked_proc_paths(rt):
    present = [p for p in MASKED_PATHS if os.path.exists(p)]
    if not present:
        pytest.skip("none of the default masked paths exist on this host")
    script = "; ".join(
        f'if [ -d {p} ]; then echo "{p} $(ls -A {p} | wc -l)"; '
        f'else echo "{p} $(cat {p} 2>/dev/null | wc -c)"; fi' for p in present)
    out = rt.run_ok(script)
    for line in out.splitlines():
        path, size = line.rsplit(" ", 1)
        assert size == "0", f"{path} is not masked: {size} bytes/entries visible"


def test_masked_proc_kcore(rt):
    if not os.path.exists("/proc/kcore"):
        pytest.skip("/proc/kcore does not exist on this kernel (CONFIG_PROC_KCORE off)")
    out = rt.run_ok("head -c 16 /proc/kcore 2>/dev/null | wc -c")
    assert out.strip() == "0"


def test_readonly_paths(rt):
    def tweak(b):
        b.r("rodir").mkdir()
        b.r("rwdir").mkdir()
        b.linux["readonlyPaths"] += ["/rodir"]
    out = rt.run_ok("(echo foo > /proc/sys/kernel/hostname) 2>&1 || echo procsys-failed; "
                    "touch /rodir/x 2>&1 || echo rodir-failed; touch /rwdir/x && echo rwdir-ok",
                    tweak=tweak)
    assert "procsys-failed" in out and "rodir-failed" in out and "rwdir-ok" in out
    assert out.count("Read-only file system") >= 2


def test_container_mounts_invisible_on_host(rt):
    d = host_dir(rt, "data")
    b = rt.bundle(script="touch /started; sleep 1000", write=False)
    b.add_mount("/data", "bind", d, ["rbind"])
    b.write()
    rt.start_detached(b)
    wait_for(lambda: b.r("started").exists())
    leaked = [l for l in mountinfo_lines() if str(rt.dir) in l]
    assert not leaked, "container mounts visible in the host mount namespace:\n" + "\n".join(leaked)
