"""The engine configuration shipped in contrib/ parses, and says what the
README promises.  (The Podman snippet is also what every Podman case runs
with: see engines.Podman.containers_conf.)"""

import shutil
import tomllib

import pytest

import engines

CONTRIB = engines.CONTRIB


def load(rel):
    with open(CONTRIB / rel, "rb") as f:
        return tomllib.load(f)


def test_podman_snippet():
    conf = load("podman/containers.conf")
    eng = conf["engine"]
    assert "pith" in eng["runtime_supports_json"]
    assert "pith" in eng["runtime_supports_nocgroups"]
    # the built-in lists are replaced, not extended: keep the usual runtimes
    assert {"crun", "runc"} <= set(eng["runtime_supports_json"])
    assert "crun" in eng["runtime_supports_nocgroups"]
    # Podman 4.x reads the singular key: both must say the same
    assert eng["runtime_supports_nocgroup"] == eng["runtime_supports_nocgroups"]
    assert any(p.endswith("/pith") for p in eng["runtimes"]["pith"])


def test_containerd_entry_loads(base):
    if not shutil.which("containerd"):
        pytest.skip("containerd is not installed")
    conf = load("containerd/config.toml")
    rt = conf["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["pith"]
    assert rt["runtime_type"] == "io.containerd.runc.v2"
    assert rt["options"]["BinaryName"].endswith("/pith")
    # and containerd itself takes it, imported from a main config
    main = base / "containerd-import.toml"
    main.write_text(f'version = 2\nroot = "{base}/cdump/root"\nstate = "{base}/cdump/state"\n'
                    f'imports = ["{CONTRIB}/containerd/config.toml"]\n')
    res = engines.run_cmd(["containerd", "--config", main, "config", "dump"]).ok()
    assert '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.pith.options]' in res.out
    assert 'BinaryName = "/usr/local/bin/pith"' in res.out


def test_crio_handler():
    conf = load("cri-o/pith.conf")
    h = conf["crio"]["runtime"]["runtimes"]["pith"]
    assert h["runtime_path"].endswith("/pith")
    assert h["runtime_type"] == "oci"
    assert h["runtime_root"].startswith("/run/")
