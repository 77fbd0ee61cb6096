"""Idmapped bind mounts: per-mount uidMappings/gidMappings, the `idmap` and
`ridmap` options, and `idmap` alone taking the container's user namespace
mapping.  Owners are checked with stat inside the container."""

import os

import pytest


def mapping(container_id, host_id, size=10):
    return [{"containerID": container_id, "hostID": host_id, "size": size}]


@pytest.fixture
def source(rt):
    """A host directory with a file and a directory owned by 1000:1000."""
    src = rt.tmp("idsrc")
    src.mkdir()
    (src / "file").write_text("data\n")
    (src / "dir").mkdir()
    for p in (src, src / "file", src / "dir"):
        os.chown(p, 1000, 1000)
    os.chmod(src, 0o755)
    return src


def owners(rt, script, tweak):
    return rt.run_ok(script, tweak=tweak).split()


def test_mapped_bind(rt, source):
    def tweak(b):
        b.add_mount("/mnt/id", "bind", source, ["bind", "idmap"])
        b.config["mounts"][-1]["uidMappings"] = mapping(1000, 2000)
        b.config["mounts"][-1]["gidMappings"] = mapping(1000, 3000)
    assert owners(rt, "stat -c %u:%g /mnt/id/file /mnt/id/dir", tweak) == ["2000:3000", "2000:3000"]
    assert os.stat(source / "file").st_uid == 1000, "the files themselves are not touched"


def test_mappings_without_option(rt, source):
    def tweak(b):
        b.add_mount("/mnt/id", "bind", source, ["rbind"])
        b.config["mounts"][-1]["uidMappings"] = mapping(1000, 2000)
        b.config["mounts"][-1]["gidMappings"] = mapping(1000, 2000)
    assert owners(rt, "stat -c %u:%g /mnt/id/file", tweak) == ["2000:2000"]


def test_writes_are_mapped_back(rt, source):
    def tweak(b):
        b.add_mount("/mnt/id", "bind", source, ["bind", "idmap"])
        b.config["mounts"][-1]["uidMappings"] = mapping(1000, 2000)
        b.config["mounts"][-1]["gidMappings"] = mapping(1000, 2000)
        b.process["user"] = {"uid": 2000, "gid": 2000}
    rt.run_ok("echo hi > /mnt/id/new", tweak=tweak)
    st = os.stat(source / "new")
    assert (st.st_uid, st.st_gid) == (1000, 1000)


@pytest.mark.parametrize("option,sub_owner", [("ridmap", "2001:2001"), ("idmap", "1001:1001")])
def test_recursive_or_not(rt, source, option, sub_owner):
    """An rbind with a mount below: ridmap maps it too, idmap only the top."""
    other = rt.tmp("idsub")
    other.mkdir()
    (other / "f").write_text("x")
    os.chown(other / "f", 1001, 1001)
    rt.host_mount("--bind", str(other), target=source / "dir")

    def tweak(b):
        b.add_mount("/mnt/id", "bind", source, ["rbind", option])
        b.config["mounts"][-1]["uidMappings"] = mapping(1000, 2000)
        b.config["mounts"][-1]["gidMappings"] = mapping(1000, 2000)
    assert owners(rt, "stat -c %u:%g /mnt/id/file /mnt/id/dir/f", tweak) == ["2000:2000", sub_owner]


def test_idmap_takes_the_user_namespace_mapping(rt):
    """A file of host root seen from a user namespace: nobody through a plain
    bind, root through an idmapped one."""
    src = rt.tmp("rootowned")
    src.mkdir()
    (src / "f").write_text("x")
    os.chmod(src, 0o755)

    def tweak(b):
        b.add_ns("user")
        b.linux["uidMappings"] = mapping(0, 100000, 65536)
        b.linux["gidMappings"] = mapping(0, 100000, 65536)
        b.add_mount("/mnt/plain", "bind", src, ["bind"])
        b.add_mount("/mnt/id", "bind", src, ["bind", "idmap"])
        # the user namespace's root cannot create them in a host-owned rootfs
        b.r("mnt/plain").mkdir(parents=True)
        b.r("mnt/id").mkdir()
    assert owners(rt, "stat -c %u:%g /mnt/plain/f /mnt/id/f", tweak) == ["65534:65534", "0:0"]


def test_idmap_on_tmpfs_is_refused(rt):
    def tweak(b):
        b.add_mount("/mnt/t", "tmpfs", "tmpfs", ["idmap"])
        b.config["mounts"][-1]["uidMappings"] = mapping(0, 1000)
        b.config["mounts"][-1]["gidMappings"] = mapping(0, 1000)
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and "/mounts/" in res.err and "only bind mounts can be idmapped" in res.err
    rt.assert_nothing_left()


def test_idmap_without_any_mapping_is_refused(rt, source):
    def tweak(b):
        b.add_mount("/mnt/id", "bind", source, ["bind", "idmap"])
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0
    assert "idmap without uidMappings/gidMappings takes the mapping of a new user namespace" in res.err


def test_uid_mappings_need_gid_mappings(rt, source):
    def tweak(b):
        b.add_mount("/mnt/id", "bind", source, ["bind"])
        b.config["mounts"][-1]["uidMappings"] = mapping(1000, 2000)
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and "uidMappings and gidMappings go together" in res.err
