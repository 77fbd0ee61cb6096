"""Local test images: no registry is reachable, so the engine tests build
their busybox image here.

* ``rootfs_tar(path)``: a tar of a minimal busybox root filesystem, for
  ``podman import``.
* ``oci_archive(path, name)``: the same layer as an OCI image layout in a
  tar (oci-layout, index.json, blobs/sha256/...), for ``ctr image import``.
  The digests are computed here; the index names the image both with
  containerd's ``io.containerd.image.name`` and the OCI ``ref.name``.
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time

BUSYBOX = "/bin/busybox"
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/home:/bin/false\n"
          "tester:x:1000:1000:tester:/home/tester:/bin/sh\n")
GROUP = "root:x:0:\nnobody:x:65534:\ntester:x:1000:\nextra:x:2000:tester\n"


def _applets():
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                         check=True).stdout.split()
    return sorted(a for a in out if a != "busybox")


def _add(tf, name, kind, data=b"", mode=0o644, link=""):
    ti = tarfile.TarInfo(name)
    ti.mtime = int(time.time())
    ti.uid = ti.gid = 0
    ti.mode = mode
    if kind == "dir":
        ti.type = tarfile.DIRTYPE
        tf.addfile(ti)
    elif kind == "sym":
        ti.type = tarfile.SYMTYPE
        ti.linkname = link
        tf.addfile(ti)
    else:
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))


def layer_bytes(extra_files=None):
    """An uncompressed tar of the busybox root filesystem."""
    buf = io.BytesIO()
    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in ("bin", "dev", "etc", "home", "home/tester", "proc", "root",
                  "run", "sys", "var", "mnt"):
            _add(tf, d, "dir", mode=0o755)
        _add(tf, "tmp", "dir", mode=0o1777)
        _add(tf, "bin/busybox", "file", busybox, 0o755)
        for a in _applets():
            _add(tf, "bin/" + a, "sym", link="busybox")
        _add(tf, "etc/passwd", "file", PASSWD.encode())
        _add(tf, "etc/group", "file", GROUP.encode())
        _add(tf, "etc/hosts", "file", b"127.0.0.1 localhost\n")
        # not executable, for the exit code 126 case
        _add(tf, "bin/noexec.sh", "file", b"#!/bin/sh\necho no\n", 0o644)
        for name, data in (extra_files or {}).items():
            _add(tf, name, "file", data, 0o755)
    return buf.getvalue()


def rootfs_tar(path, extra_files=None):
    with open(path, "wb") as f:
        f.write(layer_bytes(extra_files))
    return path


def _blob(tf, data):
    digest = hashlib.sha256(data).hexdigest()
    _add(tf, f"blobs/sha256/{digest}", "file", data)
    return "sha256:" + digest


def oci_archive(path, name, extra_files=None, cmd=("/bin/sh",)):
    """Write an OCI image-layout tar holding one image called `name`."""
    layer = layer_bytes(extra_files)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    gz = gzip.compress(layer, compresslevel=1, mtime=0)
    config = {
        "architecture": {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine,
                                                                   os.uname().machine),
        "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": list(cmd),
                   "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "pith engine tests"}],
    }
    cfg_bytes = json.dumps(config, sort_keys=True).encode()
    with tarfile.open(path, "w") as tf:
        _add(tf, "blobs", "dir", mode=0o755)
        _add(tf, "blobs/sha256", "dir", mode=0o755)
        layer_digest = _blob(tf, gz)
        cfg_digest = _blob(tf, cfg_bytes)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cfg_digest, "size": len(cfg_bytes)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest, "size": len(gz)}],
        }
        man_bytes = json.dumps(manifest, sort_keys=True).encode()
        man_digest = _blob(tf, man_bytes)
        tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
        index = {
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": man_digest, "size": len(man_bytes),
                "annotations": {"io.containerd.image.name": name,
                                "org.opencontainers.image.ref.name": tag},
            }],
        }
        _add(tf, "oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}')
        _add(tf, "index.json", "file", json.dumps(index).encode())
    return path
