"""AppArmor and SELinux labels.

This host has neither enabled, so what is tested is the behaviour there:
an AppArmor profile makes the container fail, as runc 1.1 does; SELinux
labels are skipped with a debug message, as crun does.  The enabled paths
(the attr writes at exec, context= on mounts, keycreate) need a host with
the LSM on: those tests skip, saying so."""

import os

import pytest

from seccomp_helpers import fs_mounted


def apparmor_enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return os.path.exists("/sys/kernel/security/apparmor") and f.read().startswith("Y")
    except OSError:
        return False


def selinux_enabled():
    return fs_mounted("selinuxfs")


def test_apparmor_profile_without_apparmor_fails(rt):
    if apparmor_enabled():
        pytest.skip("SKIPPED: AppArmor is enabled here; the disabled-host behaviour cannot be shown")

    def tweak(b):
        b.process["apparmorProfile"] = "pith-test-profile"
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0
    assert ('config.json: /process/apparmorProfile: cannot apply AppArmor profile "pith-test-profile": '
            "AppArmor is not enabled on this host") in res.err
    rt.assert_nothing_left()


def test_empty_apparmor_profile_is_no_profile(rt):
    def tweak(b):
        b.process["apparmorProfile"] = ""
    assert rt.run_ok("echo ok", tweak=tweak) == "ok\n"


def test_apparmor_profile_applied(rt):
    if not apparmor_enabled():
        pytest.skip("SKIPPED: AppArmor is not enabled on this host: cannot check the profile at exec")

    def tweak(b):
        b.process["apparmorProfile"] = "unconfined"
    assert "unconfined" in rt.run_ok("cat /proc/self/attr/current", tweak=tweak)


def test_selinux_labels_skipped_when_disabled(rt):
    if selinux_enabled():
        pytest.skip("SKIPPED: SELinux is enabled here; the disabled-host behaviour cannot be shown")
    b = rt.bundle(script="echo ok; grep -c context= /proc/self/mountinfo; exit 0", write=False)
    b.process["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2"
    b.linux["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
    b.write()
    res = rt.cli("--debug", "run", "--bundle", b.path, b.cid).ok()
    assert res.out.splitlines() == ["ok", "0"], "no context= option on any mount"
    assert "SELinux is disabled on this host: selinuxLabel and mountLabel not applied" in res.err


def test_selinux_labels_applied(rt):
    if not selinux_enabled():
        pytest.skip("SKIPPED: SELinux is not enabled on this host: labels at exec, on mounts and on the "
                    "keyring cannot be checked")
    label = open("/proc/self/attr/current").read().strip("\0\n")

    def tweak(b):
        b.process["selinuxLabel"] = label
    assert rt.run_ok("cat /proc/self/attr/current", tweak=tweak).strip("\0\n") == label


def test_invalid_selinux_label_on_enabled_host(rt):
    if not selinux_enabled():
        pytest.skip("SKIPPED: SELinux is not enabled on this host: an invalid label is only an error there")

    def tweak(b):
        b.process["selinuxLabel"] = "not_a:valid:label"
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and "/process/selinuxLabel" in res.err and "not a valid SELinux context" in res.err
