"""pytest glue for the pith integration suite.

The runtime binary comes from $PITH (a path, or a name looked up in PATH);
without it, `pith` from PATH is used, and the run stops with a clear message
if there is none.

Fixtures:
  rt       a pithtest.Runtime with a private --root, bundle factory, cleanup
           and leak detection (see _leak_guard).
  cgroups  {controller: mountpoint} of the cgroup v1 hierarchies (skips the
           test when there are none).
"""

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

import pithtest


def pytest_configure(config):
    pithtest.configure_runtime(config, "the pith integration tests", fallback="pith")


def pytest_report_header(config):
    return f"runtime under test: {config.pith_binary}"


@pytest.fixture(scope="session")
def pith_binary(pytestconfig):
    return pytestconfig.pith_binary


@pytest.fixture(scope="session")
def session_dir():
    d = Path(tempfile.mkdtemp(prefix="pith-it."))
    os.chmod(d, 0o755)          # user-namespaced containers must traverse it
    yield d
    shutil.rmtree(d, ignore_errors=True)
    for mnt in pithtest.cgroup_all_mounts().values():
        try:
            os.rmdir(os.path.join(mnt, pithtest.TEST_CGROUP_PARENT))
        except OSError:
            pass


@pytest.fixture(autouse=True)
def _leak_guard(request):
    """Fails the test when the runtime left state, cgroups, mounts or
    processes behind.  The `rt` fixture records the leaks (after its final
    `delete --force` of every container) and removes them; this fixture's
    teardown runs after that and turns the record into a failure."""
    record = {"leaks": [], "cleanup_errors": []}
    request.node._pith_leaks = record
    yield
    msgs = []
    if record["leaks"]:
        msgs.append("LEAK: the runtime left these behind after delete --force "
                    "(they have been cleaned up now):\n  " + "\n  ".join(record["leaks"]))
    if record["cleanup_errors"]:
        msgs.append("cleanup problems:\n  " + "\n  ".join(record["cleanup_errors"]))
    if msgs:
        pytest.fail("\n".join(msgs), pytrace=False)


@pytest.fixture
def rt(request, pith_binary, session_dir, _leak_guard):
    token = secrets.token_hex(4)
    safe = "".join(c if c.isalnum() or c in "_-." else "_" for c in request.node.name[:40])
    testdir = session_dir / f"{safe}-{token}"
    testdir.mkdir()
    os.chmod(testdir, 0o755)
    name = request.node.originalname if hasattr(request.node, "originalname") else request.node.name
    name = name[5:] if name.startswith("test_") else name
    r = pithtest.Runtime(pith_binary, testdir, session_dir, name, token)
    yield r
    record = request.node._pith_leaks
    try:
        r.force_delete_all()
        record["leaks"] = r.find_leaks()
    finally:
        record["cleanup_errors"] = r.cleanup()


@pytest.fixture
def cgroups():
    m = pithtest.cgroup_v1_mounts()
    if "memory" not in m:
        pytest.skip("needs cgroup v1 hierarchies (memory, pids, cpu, ...) mounted")
    return m
