"""pytest glue for the engine tests (Podman and containerd driving the runtime).

The runtime comes from $PITH (a path, or a name in PATH, e.g. PITH=runc to
check the tests themselves).  $PITH_CHECK may name the static checker from
tests/conformance (the build puts it at tests/conformance/pith-check); it is
copied into the test image as /bin/pith-check (used to send sd_notify
messages).

Fixtures:
  rt        the RuntimeUnderTest (path, probed features)
  podman    a Podman driver with private storage and config; after each test
            it removes what is left and fails the test on a leak
  ctr       a containerd driver (private daemon for the session); same checks
  new_id    unique container names for this test
"""

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import engines
import images


def pytest_configure(config):
    engines.configure_runtime(config, "the engine tests")


def pytest_report_header(config):
    return f"runtime under test: {config.pith_binary}"


@pytest.fixture(scope="session")
def rt(pytestconfig):
    return engines.RuntimeUnderTest(pytestconfig.pith_binary)


@pytest.fixture(scope="session")
def base():
    snap = engines.HostSnapshot()
    d = Path(tempfile.mkdtemp(prefix="pith-engines."))
    os.chmod(d, 0o755)
    yield d
    errors = []
    engines.umount_all_under(d, errors)
    shutil.rmtree(d, ignore_errors=True)
    snap.restore()
    if errors:
        print("session cleanup problems:", errors)


def _extra_files():
    chk = os.environ.get("PITH_CHECK")
    if chk and os.path.isfile(chk):
        return {"bin/pith-check": Path(chk).read_bytes()}
    return {}


@pytest.fixture
def new_id(request):
    base_name = "".join(c if c.isalnum() else "-" for c in request.node.name[5:])[:20].strip("-")
    n = [0]

    def make(tag=""):
        n[0] += 1
        return f"{base_name}{'-' + tag if tag else ''}-{secrets.token_hex(3)}{n[0]}"
    return make


# --------------------------------------------------------------------------
# Podman

@pytest.fixture(scope="session")
def podman_session(rt, base):
    for tool in ("podman", "conmon"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/libexec/podman/{tool}") \
                and not os.path.exists(f"/usr/bin/{tool}"):
            pytest.skip(f"{tool} is not installed (apt-get install podman conmon)")
    parent = f"/pith-engines-{secrets.token_hex(3)}"
    p = engines.Podman(base / "podman", rt, parent)
    tar = images.rootfs_tar(base / "busybox-rootfs.tar", _extra_files())
    p.ok("import", "--change", 'CMD ["/bin/sh"]', "--change", "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin",
         tar, p.image)
    yield p
    errors = []
    p("rm", "--all", "--force", "--time", "0")
    p("rmi", "--all", "--force")
    engines.kill_pids(engines.pids_matching("conmon", str(p.base)))
    engines.kill_pids(engines.pids_matching(str(p.base)))
    engines.umount_all_under(p.base, errors)
    for d in engines.cgroup_dirs_named(parent):
        engines.remove_cgroup_tree(d, errors)
    if errors:
        print("podman session cleanup problems:", errors)


@pytest.fixture
def podman(podman_session, rt):
    p = podman_session
    before = rt.state_dirs()
    yield p
    leaks = []
    # a detached --rm container is removed by conmon's exit command: give it time
    try:
        engines.wait_for(lambda: not p.container_ids(), 10, 0.2, "podman containers to go")
    except AssertionError:
        ids = p.container_ids()
        leaks.append(f"podman containers left: {sorted(ids)}")
        p("rm", "--all", "--force", "--time", "0")
    try:
        engines.wait_for(lambda: not engines.pids_matching("conmon", str(p.base)), 10, 0.1,
                         "conmon to exit")
    except AssertionError:
        left = engines.pids_matching("conmon", str(p.base))
        leaks.append(f"conmon processes left: {left}")
        engines.kill_pids(left)
    # only podman's container ids (64 hex digits): the default root is shared
    # with whatever else runs on the host
    new_state = {d for d in rt.state_dirs() - before
                 if len(d) == 64 and all(c in "0123456789abcdef" for c in d)}
    if new_state:
        leaks.append(f"runtime state left in {rt.state_root}: {sorted(new_state)}")
        for s in new_state:
            rt_delete(rt, s)
    for d in engines.cgroup_dirs_named(p.cgroup_parent):
        for entry in sorted(os.listdir(d)):
            sub = os.path.join(d, entry)
            if os.path.isdir(sub) and entry != "conmon":
                leaks.append(f"cgroup left: {sub}")
                engines.remove_cgroup_tree(sub, [])
    mounts = [m for m in engines.mounts_under(p.base)]
    if mounts:
        leaks.append(f"mounts left: {mounts}")
        engines.umount_all_under(p.base, [])
    if leaks:
        pytest.fail("LEAK after the test (cleaned up now):\n  " + "\n  ".join(leaks),
                    pytrace=False)


def rt_delete(rt, cid):
    engines.run_cmd([rt.path, "delete", "--force", cid], timeout=15)
    shutil.rmtree(os.path.join(rt.state_root, cid), ignore_errors=True)


# --------------------------------------------------------------------------
# containerd

@pytest.fixture(scope="session")
def ctr_session(rt, base):
    for tool in ("containerd", "ctr", "containerd-shim-runc-v2"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (apt-get install containerd)")
    c = engines.Containerd(base / "containerd", rt)
    c.start()
    try:
        arch = images.oci_archive(base / "busybox-oci.tar", c.image, _extra_files())
        c.ok("images", "import", arch)
    except BaseException:
        c.stop()
        raise
    yield c
    errors = []
    try:
        c.remove_all()
        c.ctr("images", "rm", c.image)
        c.ctr("namespaces", "rm", c.ns)
    finally:
        c.stop()
        engines.kill_pids(engines.pids_matching("containerd-shim", c.ns))
        engines.umount_all_under(c.base, errors)
        for d in engines.cgroup_dirs_named(c.ns):
            engines.remove_cgroup_tree(d, errors)
        shutil.rmtree(Path("/run/containerd/runc") / c.ns, ignore_errors=True)
        for d in ("/run/containerd/runc", "/run/containerd/fifo", "/run/containerd/s",
                  "/run/containerd"):
            try:
                os.rmdir(d)
            except OSError:
                pass
    if errors:
        print("containerd session cleanup problems:", errors)


class CtrTest:
    """Per-test view of the session containerd: remembers the ids used."""

    def __init__(self, c, new_id):
        self.c = c
        self.ids = []
        self._new_id = new_id

    def __call__(self, *args, **kw):
        return self.c.ctr(*args, **kw)

    def __getattr__(self, name):
        return getattr(self.c, name)

    def new_id(self, tag=""):
        cid = self._new_id(tag)
        self.ids.append(cid)
        return cid


@pytest.fixture
def ctr(ctr_session, new_id):
    t = CtrTest(ctr_session, new_id)
    yield t
    c = ctr_session
    leaks = []
    ids = set(t.ids)
    left_tasks = {k: v for k, v in c.tasks().items() if k in ids}
    left_ctrs = c.containers() & ids
    if left_tasks or left_ctrs:
        leaks.append(f"containerd tasks/containers left: {left_tasks} {sorted(left_ctrs)}")
        c.remove_all(ids)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
            engines.pids_matching("containerd-shim", f"-id {i} ") for i in ids):
        time.sleep(0.1)
    for i in ids:
        shims = engines.pids_matching("containerd-shim", f"-id {i} ")
        if shims:
            leaks.append(f"shim left: {shims}")
            engines.kill_pids(shims)
    state = c.runtime_state_dirs() & ids
    if state:
        leaks.append(f"runtime state left: {sorted(state)}")
        for s in state:
            engines.run_cmd([c.rt.path, "--root", f"/run/containerd/runc/{c.ns}", "delete",
                             "--force", s], timeout=15)
            shutil.rmtree(f"/run/containerd/runc/{c.ns}/{s}", ignore_errors=True)
    for i in ids:
        for d in engines.cgroup_dirs_named(f"{c.ns}/{i}"):
            leaks.append(f"cgroup left: {d}")
            engines.remove_cgroup_tree(d, [])
        for m in engines.mounts_under(c.base):
            if f"/{i}/" in m + "/":
                leaks.append(f"mount left: {m}")
                engines.umount_all_under(m, [])
    if leaks:
        pytest.fail("LEAK after the test (cleaned up now):\n  " + "\n  ".join(leaks),
                    pytrace=False)
