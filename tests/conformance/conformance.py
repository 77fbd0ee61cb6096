#!/usr/bin/env python3
"""pith's runtime-spec conformance suite.

Two parts, both counted per spec area:

1. Generated configs.  N config.json files (seeded random combinations of
   namespaces, hostname, mounts and their options, read-only root, masked and
   read-only paths, devices, user/groups/umask, cwd, env, rlimits,
   capabilities, no_new_privs, oom_score_adj, sysctls, seccomp, cgroup
   limits) are run through the runtime.  The process of each container is
   the static checker `pith-check verify`, which reads the same config.json
   (copied into the rootfs as /conformance/config.json) and checks from the
   inside that it was applied; each of its result lines names the area and,
   on failure, the spec sentence (see pith-check.c).

2. Lifecycle and state (runtime.md, and the hooks of config.md): the error
   cases of each operation, hook order, timing and state on stdin, kill and
   delete in each state.  Each check quotes the sentence it tests.

After every container the runtime must have left nothing behind (state dir,
cgroup, mount, process): that is counted in the area "cleanup".

    conformance.py [--runtime PATH] [--checker PATH] [-n N] [--seed S] [-v]

PITH (or --runtime) picks the runtime; PITH=runc checks the suite itself.
Exit status: 0 when every check passed, 1 when some failed, 77 when not root,
99 on a setup error.  The last line reads `conformance: N passed, N failed,
N skipped`.
"""

import argparse
import contextlib
import io
import json
import os
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
import pithtest  # noqa: E402  (the integration suite's bundle builder and runtime driver)

ANN = "org.pith.conformance/"

# Spec sentences quoted by the lifecycle checks (runtime-spec runtime.md and
# config.md; quoted briefly).
S_STATE_PROPS = 'runtime.md: "The state of a container MUST include, at least, the following properties"'
S_STATE_NOID = 'runtime.md: "Attempting to query a container that does not exist MUST generate an error."'
S_STATE_ARGS = 'runtime.md (state): "This operation MUST generate an error if it is not provided the ID of a container."'
S_CREATE_ARGS = ('runtime.md (create): "This operation MUST generate an error if it is not provided a path '
                 'to the bundle and the container ID"')
S_CREATE_DUP = ('runtime.md: "If the ID provided is not unique across all containers within the scope of the '
                'runtime, or is not valid in any other way, the implementation MUST generate an error and a new '
                'container MUST not be created."')
S_CREATE_NORUN = 'runtime.md: "the user-specified code MUST NOT be run at this time."'
S_CREATE_STATUS = 'runtime.md: "Upon successful completion of this operation the `status` property of this container MUST be `created`."'
S_CREATE_CHANGES = ('runtime.md: "Any changes made to the `config.json` file after this operation will not have '
                    'an effect on the container."')
S_CREATE_ENV = ('runtime.md: "If the runtime is unable to create the environment specified in the config.json, '
                'it MUST generate an error."')
S_ERRORS = ('runtime.md: "generating an error MUST leave the state of the environment as if the operation were '
            'never attempted"')
S_START_ARGS = 'runtime.md (start): "This operation MUST generate an error if it is not provided the container ID."'
S_START_NOID = 'runtime.md: "Attempting to start a container that does not exist MUST generate an error."'
S_START_TWICE = ('runtime.md: "Attempting to start an already started container MUST have no effect on the '
                 'container and MUST generate an error."')
S_START_RUN = 'runtime.md: "This operation MUST run the user-specified code as specified by `process`."'
S_START_STATUS = 'runtime.md: "Upon successful completion of this operation the `status` property of this container MUST be `running`."'
S_KILL_ARGS = 'runtime.md (kill): "This operation MUST generate an error if it is not provided the container ID."'
S_KILL_NOTRUNNING = ('runtime.md: "Attempting to send a signal to a container that is not running MUST have no '
                     'effect on the container and MUST generate an error."')
S_KILL_SEND = 'runtime.md: "This operation MUST send the specified signal to the process in the container."'
S_KILL_STOPPED = ('runtime.md: "When the process in the container is stopped, irrespective of it being as a result '
                  'of a `kill` operation or any other reason, the `status` property of this container MUST be `stopped`."')
S_DELETE_ARGS = 'runtime.md (delete): "This operation MUST generate an error if it is not provided the container ID."'
S_DELETE_NOID = 'runtime.md: "Attempting to delete a container that does not exist MUST generate an error."'
S_DELETE_RUNNING = 'runtime.md: "Attempting to delete a container whose process is still running MUST generate an error."'
S_DELETE_RES = 'runtime.md: "Deleting a container MUST delete the resources that were created during the `create` step."'
S_DELETE_NOTOURS = ('runtime.md: "Note that resources associated with the container, but not created by this '
                    'container, MUST NOT be deleted."')
S_DELETE_REUSE = 'runtime.md: "Once a container is deleted its ID MAY be used by a subsequent container."'
S_HOOK_ORDER = 'config.md: "Hooks MUST be called in the listed order."'
S_HOOK_STDIN = ('config.md: "The state of the container MUST be passed to hooks over stdin so that they may do '
                'work appropriate to the current state of the container."')
S_HOOK_LIFECYCLE = ('runtime.md (lifecycle): prestart, createRuntime and createContainer hooks "MUST be invoked by '
                    'the runtime" during create; startContainer hooks at start, before the user-specified program')
S_HOOK_POSTSTART = ('runtime.md: "The poststart hooks MUST be invoked by the runtime." (after the user-specified '
                    'process is executed, before start returns)')
S_HOOK_POSTSTOP = 'runtime.md: "The poststop hooks MUST be invoked by the runtime." (after the container is deleted)'
S_HOOK_FAIL = ('runtime.md: "If any createRuntime hook fails, the runtime MUST generate an error, stop the '
               'container, and continue the lifecycle at step" (destroy)')
S_HOOK_WARN = ('runtime.md: "If any poststart hook fails, the runtime MUST log a warning, but the remaining hooks '
               'and lifecycle continue as if the hook had succeeded."')
S_HOOK_WARN_STOP = ('runtime.md: "If any poststop hook fails, the runtime MUST log a warning, but the remaining '
                    'hooks and lifecycle continue as if the hook had succeeded."')
S_HOOK_TIMEOUT = 'config.md: "timeout (int, OPTIONAL) is the number of seconds before aborting the hook."'
S_HOOK_NS = ('config.md: createRuntime hooks are "called in the Runtime Namespace"; createContainer and '
             'startContainer hooks "in the Container Namespace"')
S_HOOK_ARGS = ('config.md: hook "args (array of strings, OPTIONAL) with the same semantics as IEEE Std '
               '1003.1-2008 execv\'s argv" / "env ... with the same semantics as ... environ"')
S_CLEANUP = ('runtime.md: "The container MUST be destroyed by undoing the steps performed during create phase '
             '(step 2)."')


# --------------------------------------------------------------------------
# known failures: runtime bugs found by the suite and reported.  A failing
# check that matches (area, all the substrings) is counted as "known", not
# "failed", so CI stays usable until the fix lands; an entry that no longer
# matches anything is reported, to be removed.

KNOWN = {
    "pith": [],
    "runc": [
        ("create", ["create with an unknown capability fails"],
         "runc 1.1 only warns about an unknown capability"),
        ("hooks", ["poststart"], "runc 1.1 runs poststart hooks during create"),
        ("mounts", ["tmpfs mode="], "runc 1.1 ignores a tmpfs mode= inside a user namespace"),
    ],
}


# --------------------------------------------------------------------------
# counting

class Tally:
    def __init__(self, verbose=False, known=()):
        self.areas = {}
        self.failures = []
        self.verbose = verbose
        self.known = list(known)
        self.known_hits = [0] * len(self.known)
        self.full_run = True

    def _known(self, area, what):
        for i, (k_area, needles, _why) in enumerate(self.known):
            if k_area == area and all(n in what for n in needles):
                self.known_hits[i] += 1
                return True
        return False

    def add(self, area, result, what, cite="", log=""):
        a = self.areas.setdefault(area, {"ok": 0, "fail": 0, "skip": 0, "known": 0})
        if result == "fail" and self._known(area, what):
            a["known"] += 1
            if self.verbose:
                print(f"known {area}: {what}", file=sys.__stdout__, flush=True)
            return
        a[result] += 1
        if result == "fail":
            self.failures.append((area, what, cite, log))
            # sys.__stdout__: scenarios run with stdout captured for their log
            print(f"FAIL {area}: {what}\n     [{cite}]", file=sys.__stdout__, flush=True)
        elif self.verbose:
            print(f"{result} {area}: {what}", file=sys.__stdout__, flush=True)

    def totals(self):
        t = {"ok": 0, "fail": 0, "skip": 0, "known": 0}
        for a in self.areas.values():
            for k in t:
                t[k] += a[k]
        return t

    def summary(self):
        lines = ["", "conformance results per spec area:"]
        width = max([len(a) for a in self.areas] + [10])
        for area in sorted(self.areas):
            a = self.areas[area]
            lines.append(f"  {area:<{width}}  {a['ok']:5d} ok  {a['fail']:4d} failed  {a['skip']:4d} skipped"
                         + (f"  {a['known']:4d} known bugs" if a["known"] else ""))
        t = self.totals()
        lines.append("")
        for (area, _n, why), hits in zip(self.known, self.known_hits):
            if hits:
                lines.append(f"known bug ({area}, {hits} checks): {why}")
            elif self.full_run:
                lines.append(f"note: the known bug \"{why}\" did not show up: remove it from KNOWN")
        lines.append("areas: " + ", ".join(f"{k} {v['ok']}/{v['ok'] + v['fail']}"
                                           for k, v in sorted(self.areas.items())))
        lines.append(f"conformance: {t['ok']} passed, {t['fail']} failed, {t['skip']} skipped")
        return "\n".join(lines)


class Checker:
    """check(cond, what) for one area and spec sentence."""

    def __init__(self, tally, area, log):
        self.tally, self.area, self.log = tally, area, log

    def __call__(self, cond, what, cite):
        self.tally.add(self.area, "ok" if cond else "fail", what, cite, self.log.getvalue()[-3000:])
        return cond


# --------------------------------------------------------------------------
# the session: runtime binary, checker, helper namespaces

class Session:
    def __init__(self, runtime, checker, tally):
        self.runtime = runtime
        self.checker = checker
        self.tally = tally
        self.dir = Path(tempfile.mkdtemp(prefix="pith-conformance."))
        os.chmod(self.dir, 0o755)
        self.n = 0
        self.host_ns = {t: str(pithtest.host_ns_inode(t)) for t in pithtest.ALL_NAMESPACES
                        if os.path.exists(f"/proc/self/ns/{pithtest.NS_PROC_NAME[t]}")}
        self.oom = Path("/proc/self/oom_score_adj").read_text().strip()
        with open("/proc/self/status") as f:
            self.host_bnd = int(pithtest.proc_status_fields(f.read())["CapBnd"], 16)
        # a process holding namespaces to join by path
        self.holder = subprocess.Popen(["unshare", "--uts", "--ipc", "--net", "sleep", "3600"],
                                       stdin=subprocess.DEVNULL)
        pithtest.wait_for(lambda: os.readlink(f"/proc/{self.holder.pid}/ns/uts") !=
                          os.readlink("/proc/self/ns/uts"), 5, 0.01, "the namespace holder")
        self.features = {}
        res = subprocess.run([runtime, "features"], capture_output=True, text=True)
        if res.returncode == 0:
            try:
                self.features = json.loads(res.stdout)
            except ValueError:
                pass
        self.is_runc = os.path.basename(runtime) == "runc"
        self.namespaces = set(self.features.get("linux", {}).get("namespaces") or
                              ["pid", "network", "ipc", "uts", "mount", "cgroup", "user"])

    @property
    def seccomp(self):
        return self.is_runc or bool(self.features.get("linux", {}).get("seccomp", {}).get("enabled"))

    def holder_ns(self, ns_type):
        return f"/proc/{self.holder.pid}/ns/{pithtest.NS_PROC_NAME[ns_type]}"

    def new_runtime(self, name):
        self.n += 1
        token = secrets.token_hex(4)
        d = self.dir / f"{name[:30]}-{self.n}"
        d.mkdir()
        os.chmod(d, 0o755)
        return pithtest.Runtime(self.runtime, d, self.dir, name, token)

    def finish(self, rt, log):
        """delete --force everything, count leftovers in area cleanup, remove."""
        try:
            rt.force_delete_all()
            leaks = rt.find_leaks()
        except Exception as e:  # noqa: BLE001 (the runtime binary may be gone, ...)
            leaks = [f"cleanup error: {e}"]
        self.tally.add("cleanup", "fail" if leaks else "ok",
                       f"{rt.name}: nothing left after delete" + (": " + "; ".join(leaks) if leaks else ""),
                       S_CLEANUP, log.getvalue()[-3000:])
        errs = rt.cleanup()
        if errs:
            print(f"cleanup problems in {rt.name}: {errs}")

    def close(self):
        self.holder.kill()
        self.holder.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        for mnt in pithtest.cgroup_all_mounts().values():
            try:
                os.rmdir(os.path.join(mnt, pithtest.TEST_CGROUP_PARENT))
            except OSError:
                pass


# --------------------------------------------------------------------------
# part 1: generated configs

CHECKER_ARGS = ["/conformance/pith-check", "verify", "/conformance/config.json"]
CAP_NAMES = sorted(pithtest.CAPS, key=pithtest.CAPS.get)


def pick(rng, seq, k_min=0, k_max=None):
    seq = list(seq)
    k_max = len(seq) if k_max is None else min(k_max, len(seq))
    return rng.sample(seq, rng.randint(min(k_min, k_max), k_max))


def gen_config(s, rng, b):
    """Randomise bundle b's config (the process is the checker)."""
    cfg = b.config
    proc = cfg["process"]
    linux = cfg["linux"]
    ann = {}
    userns = rng.random() < 0.15 and "user" in s.namespaces

    # namespaces: pid and mount always; the others new, joined by path or
    # inherited
    ns = [{"type": "pid"}, {"type": "mount"}]
    for t in ("network", "ipc", "uts", "cgroup", "time"):
        if t not in s.namespaces:
            continue
        r = rng.random()
        if userns and t in ("network", "ipc"):
            r = 0.0     # sysfs and mqueue need namespaces owned by the user namespace
        if r < 0.5:
            ns.append({"type": t})
        elif r < 0.65 and t in ("network", "ipc", "uts") and not userns:
            ns.append({"type": t, "path": s.holder_ns(t)})
            ann[f"path-ns/{t}"] = str(pithtest.ns_inode(os.readlink(s.holder_ns(t))))
    if userns:
        ns.append({"type": "user"})
        linux["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    rng.shuffle(ns)
    linux["namespaces"] = ns
    types = {n["type"]: n for n in ns}
    for t, ino in s.host_ns.items():
        ann[f"host-ns/{t}"] = ino
    ann["host-oom-score-adj"] = s.oom

    new_uts = "uts" in types and "path" not in types["uts"]
    if new_uts:
        cfg["hostname"] = rng.choice(["conf-a", "conformance-host", "h" * 40, "x"])
        if rng.random() < 0.5 and not s.is_runc:     # runc 1.1 has no domainname
            cfg["domainname"] = rng.choice(["example.org", "pith.test"])
    else:
        cfg.pop("hostname", None)

    # root and mounts
    cfg["root"]["readonly"] = rng.random() < 0.3
    if "network" not in types or "path" in types.get("network", {}):
        # sysfs needs a network namespace of the container's own
        cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/sys"]
        cfg["mounts"].append({"destination": "/sys", "type": "bind", "source": "/sys",
                              "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
    if "ipc" not in types or "path" in types.get("ipc", {}):
        cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/dev/mqueue"]
    # inside a user namespace the runtime cannot create mount points or the
    # cwd in a rootfs owned by the host's root: make them here
    if userns:
        for i in range(3):
            (b.rootfs / "mnt" / f"t{i}").mkdir(parents=True, exist_ok=True)
            (b.rootfs / "mnt" / f"b{i}").mkdir(parents=True, exist_ok=True)
        (b.rootfs / "var/lib/conformance/new").mkdir(parents=True, exist_ok=True)
    for i in range(rng.randint(0, 3)):
        opts = pick(rng, ["nosuid", "nodev", "noexec", "ro", "noatime", "strictatime"], 0, 3)
        if "noatime" in opts and "strictatime" in opts:
            opts.remove("strictatime")
        opts.append(f"size={rng.choice([64, 512, 4096])}k")
        opts.append(f"mode={rng.choice(['755', '1777', '700', '750'])}")
        cfg["mounts"].append({"destination": f"/mnt/t{i}", "type": "tmpfs", "source": "tmpfs",
                              "options": opts})
    for i in range(rng.randint(0, 2)):
        src = b.path / f"bindsrc{i}"
        src.mkdir()
        (src / "file").write_text("bound\n")
        opts = ["rbind" if rng.random() < 0.5 else "bind"] + pick(rng, ["ro", "nosuid", "nodev", "noexec"], 0, 2)
        cfg["mounts"].append({"destination": f"/mnt/b{i}", "type": "bind", "source": str(src),
                              "options": opts})
    cgroup_mount = not userns and rng.random() < 0.7
    if cgroup_mount:
        cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                              "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})

    # masked and read-only paths
    (b.rootfs / "etc" / "secret").write_text("secret\n")
    (b.rootfs / "secretdir").mkdir()
    (b.rootfs / "secretdir" / "f").write_text("x\n")
    (b.rootfs / "var" / "ro").mkdir(parents=True)
    linux["maskedPaths"] = pick(rng, pithtest.MASKED_PATHS + ["/etc/secret", "/secretdir"], 0)
    linux["readonlyPaths"] = pick(rng, pithtest.READONLY_PATHS + ["/var/ro"], 0)

    # devices (mknod is not possible in a user namespace: only the defaults)
    devs = []
    if not userns:
        for i, (typ, maj, mnr) in enumerate(pick(rng, [("c", 1, 3), ("c", 1, 5), ("c", 1, 7),
                                                       ("c", 1, 9), ("b", 7, 0), ("p", 0, 0)], 0, 3)):
            d = {"path": f"/dev/conf{i}", "type": typ}
            if typ != "p":
                d["major"], d["minor"] = maj, mnr
            if rng.random() < 0.7:
                d["fileMode"] = rng.choice([0o600, 0o640, 0o666, 0o644])
            if rng.random() < 0.5:
                d["uid"] = rng.choice([0, 1000, 65534])
            if rng.random() < 0.5:
                d["gid"] = rng.choice([0, 1000, 65534])
            devs.append(d)
    linux["devices"] = devs
    # engines allow the devices they add in the device cgroup; mostly do the
    # same (the rest checks that the nodes are made whatever the cgroup says)
    dev_rules = [{"allow": False, "access": "rwm"}]
    if rng.random() < 0.7:
        dev_rules += [{"allow": True, "type": d["type"] if d["type"] != "p" else "c",
                       "major": d.get("major", 0), "minor": d.get("minor", 0), "access": "rwm"}
                      for d in devs if d["type"] != "p"]

    # process
    uid = rng.choice([0, 0, 1000, 65534])
    user = {"uid": uid, "gid": rng.choice([0, 1000, 2000])}
    if rng.random() < 0.6:
        user["additionalGids"] = pick(rng, [5, 100, 1000, 3000, 65534], 0, 3)
    if rng.random() < 0.6:
        user["umask"] = rng.choice([0o022, 0o077, 0o002, 0o027])
    proc["user"] = user
    proc["cwd"] = rng.choice(["/", "/tmp", "/var/lib/conformance/new", "/mnt"])
    env = ["PATH=" + pithtest.DEFAULT_PATH, f"{pithtest.MARKER_VAR}={b.cid}"]
    for i in range(rng.randint(0, 4)):
        env.append(f"CONF_VAR_{i}=" + rng.choice(["v", "with space", "a=b=c", "", "ünïcode"]))
    proc["env"] = env
    proc["args"] = list(CHECKER_ARGS)

    rl = []
    mib = 1 << 20
    for name, res, choices in (
            ("RLIMIT_NOFILE", resource.RLIMIT_NOFILE, [64, 1024, None]),
            ("RLIMIT_NPROC", resource.RLIMIT_NPROC, [512, 4096, None]),
            ("RLIMIT_CORE", resource.RLIMIT_CORE, [0, mib, None]),
            ("RLIMIT_MSGQUEUE", resource.RLIMIT_MSGQUEUE, [0, 819200, None]),
            ("RLIMIT_STACK", resource.RLIMIT_STACK, [8 * mib, 16 * mib, None])):
        if rng.random() < 0.5 and name != "RLIMIT_NOFILE":
            continue
        # a hard limit can only go down without CAP_SYS_RESOURCE: stay under
        # the one this process has (None: that limit itself)
        top = resource.getrlimit(res)[1]
        top = (1 << 64) - 1 if top == resource.RLIM_INFINITY else top
        hard = min(rng.choice([c if c is not None else top for c in choices]), top)
        soft = rng.choice([hard, min(hard, choices[0])])
        rl.append({"type": name, "hard": hard, "soft": soft})
    proc["rlimits"] = rl

    host_caps = [c for c in CAP_NAMES if s.host_bnd & (1 << pithtest.CAPS[c])]
    bnd = pick(rng, host_caps, 1)
    perm = pick(rng, bnd, 0)
    inh = pick(rng, perm, 0)
    amb = pick(rng, inh, 0, 4)
    eff = pick(rng, perm, 0)
    proc["capabilities"] = {"bounding": bnd, "permitted": perm, "inheritable": inh,
                            "ambient": amb, "effective": eff}
    proc["noNewPrivileges"] = rng.random() < 0.5
    if rng.random() < 0.5:
        proc["oomScoreAdj"] = rng.choice([int(s.oom), 100, 500, 1000])
    else:
        proc.pop("oomScoreAdj", None)

    sysctl = {}
    if not userns:
        if "network" in types and "path" not in types["network"]:
            if rng.random() < 0.5:
                sysctl["net.ipv4.ip_forward"] = rng.choice(["0", "1"])
            if rng.random() < 0.4:
                sysctl["net.ipv4.ip_local_port_range"] = rng.choice(["1024 65000", "20000 30000"])
        if "ipc" in types and "path" not in types["ipc"]:
            if rng.random() < 0.5:
                sysctl["kernel.shm_rmid_forced"] = rng.choice(["0", "1"])
            if rng.random() < 0.4:
                sysctl["kernel.msgmax"] = str(rng.choice([4096, 8192, 16384]))
    linux["sysctl"] = sysctl

    if s.seccomp and rng.random() < 0.35:
        linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                            "syscalls": [{"names": ["kexec_load", "open_by_handle_at"],
                                          "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    res = {"devices": dev_rules}
    if rng.random() < 0.6:
        res["memory"] = {"limit": rng.choice([32, 64, 100, 256]) * 1024 * 1024}
    if rng.random() < 0.6:
        res["pids"] = {"limit": rng.choice([16, 64, 1000])}
    cpu = {}
    if rng.random() < 0.5:
        cpu["shares"] = rng.choice([2, 512, 1024, 4096])
    if rng.random() < 0.4:
        cpu["period"] = rng.choice([50000, 100000])
        cpu["quota"] = rng.choice([20000, 50000, 200000])
    if rng.random() < 0.4:
        cpu["cpus"] = rng.choice(["0", f"0-{os.cpu_count() - 1}" if os.cpu_count() > 1 else "0"])
        cpu["mems"] = "0"
    if cpu:
        res["cpu"] = cpu
    linux["resources"] = res
    cfg["annotations"] = {ANN + k: v for k, v in ann.items()}
    cfg["annotations"][ANN + "seed"] = str(s.seed_of.get(b.cid, ""))


def run_generated(s, idx, seed):
    rng = random.Random(seed)
    log = io.StringIO()
    rt = s.new_runtime(f"gen{idx}")
    try:
        with contextlib.redirect_stdout(log):
            b = rt.bundle(args=CHECKER_ARGS, write=False)
            s.seed_of[b.cid] = seed
            gen_config(s, rng, b)
            conf = b.rootfs / "conformance"
            conf.mkdir()
            shutil.copy2(s.checker, conf / "pith-check")
            os.chmod(conf / "pith-check", 0o755)
            b.write()
            shutil.copy2(b.config_path, conf / "config.json")
            os.chmod(conf / "config.json", 0o644)
            res = rt.run(b, timeout=30)
        lines = res.out.splitlines()
        if res.rc != 0 or not lines or not lines[-1].startswith("done "):
            s.tally.add("create", "fail",
                        f"config #{idx} (seed {seed}) did not run the checker: rc={res.rc} "
                        f"{res.err.strip()[-600:]}", S_CREATE_ENV, log.getvalue()[-2000:])
            dump_config(s, idx, b)
        else:
            failed = False
            for line in lines[:-1]:
                f = line.split("\t")
                if len(f) < 3 or f[0] not in ("ok", "fail", "skip"):
                    continue
                s.tally.add(f[1], f[0], f"config #{idx} (seed {seed}): {f[2]}",
                            f[3].strip("[]") if len(f) > 3 else "")
                failed |= f[0] == "fail"
            if failed:
                dump_config(s, idx, b)
    except Exception:  # noqa: BLE001
        s.tally.add("create", "fail", f"config #{idx} (seed {seed}): driver error "
                    f"{traceback.format_exc()[-800:]}", S_CREATE_ENV)
    finally:
        with contextlib.redirect_stdout(log):
            s.finish(rt, log)


def dump_config(s, idx, b):
    out = os.environ.get("CONFORMANCE_KEEP")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy2(b.config_path, Path(out) / f"config-{idx}.json")


# --------------------------------------------------------------------------
# part 2: lifecycle, state, hooks

SCENARIOS = []


def scenario(area):
    def deco(fn):
        SCENARIOS.append((area, fn))
        return fn
    return deco


def unchanged(rt, cid, before):
    st = rt.try_state(cid)
    return st is not None and st.get("status") == before.get("status") and st.get("pid") == before.get("pid")


def succeeds(fn, *args):
    """fn(*args) returns rather than fail an assertion (a wait that ends in
    time)."""
    try:
        fn(*args)
        return True
    except AssertionError:
        return False


def check_id_errors(rt, check, cmd, noid_spec, args_spec, *after_id):
    """`CMD <id that does not exist> AFTER_ID...` and `CMD` without an id fail."""
    res = rt.cli(cmd, f"no-such-{rt.token}", *after_id)
    check(res.rc != 0, f"{cmd} of a container that does not exist fails", noid_spec)
    res = rt.cli(cmd)
    check(res.rc != 0, f"{cmd} without an id fails", args_spec)


def bundle_with_marker(rt, script="sleep 1000", before=""):
    """A bundle whose program runs `before`, touches /shared/started (host:
    b.path/shared), then runs `script`."""
    b = rt.bundle(script=f"{before}touch /shared/started; {script}", write=False)
    shared = b.path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    b.add_mount("/shared", "bind", shared, ["rbind", "rw"])
    b.write()
    return b, shared


@scenario("state")
def sc_state(rt, check):
    b = rt.bundle(write=False)
    b.config["annotations"] = {"org.example/key": "value", "other": "x"}
    b.write()
    rt.create(b)
    st = rt.state(b.cid)
    for k in ("ociVersion", "id", "status", "pid", "bundle"):
        check(k in st, f"state has `{k}`", S_STATE_PROPS)
    check(st.get("id") == b.cid, "state id is the container's id", S_STATE_PROPS)
    check(st.get("status") == "created", "status after create is created", S_CREATE_STATUS)
    check(isinstance(st.get("pid"), int) and st["pid"] > 0 and pithtest.pid_alive(st["pid"]),
          "pid is the live host pid of the container process", S_STATE_PROPS)
    check(st.get("bundle") == str(b.path) and os.path.isabs(st.get("bundle", "")),
          "bundle is the absolute bundle path", S_STATE_PROPS)
    check(st.get("annotations") == b.config["annotations"], "annotations are the config's", S_STATE_PROPS)
    rt.start(b.cid)
    check(rt.status(b.cid) == "running", "status after start is running", S_START_STATUS)
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    check(rt.status(b.cid) == "stopped", "status once the process died is stopped", S_KILL_STOPPED)


@scenario("state")
def sc_state_errors(rt, check):
    check_id_errors(rt, check, "state", S_STATE_NOID, S_STATE_ARGS)


@scenario("create")
def sc_create_errors(rt, check):
    b = rt.bundle()
    res = rt.cli("create", "--bundle", b.path)
    check(res.rc != 0, "create without an id fails", S_CREATE_ARGS)
    check(not rt.state_leftovers(), "... and creates nothing", S_ERRORS)
    empty = rt.tmp("empty-bundle")
    empty.mkdir()
    res = rt.cli("create", "--bundle", empty, rt.new_id("nocfg"))
    check(res.rc != 0, "create with a bundle that has no config.json fails", S_CREATE_ARGS)
    check(not rt.state_leftovers(), "... and creates nothing", S_ERRORS)
    rt.create(b)
    before = rt.state(b.cid)
    b2 = rt.bundle(cid=b.cid)
    res = rt.create(b2, check=False)
    check(res.rc != 0, "create with an id in use fails", S_CREATE_DUP)
    check(unchanged(rt, b.cid, before) and rt.state(b.cid)["bundle"] == str(b.path),
          "... and the first container is untouched", S_CREATE_DUP)
    res = rt.cli("create", "--bundle", b.path, "../escape")
    check(res.rc != 0, "create with an invalid id (../escape) fails", S_CREATE_DUP)


@scenario("create")
def sc_create_bad_config(rt, check):
    for what, tweak in (
            ("an unknown capability", lambda b: b.set_caps(["CAP_NO_SUCH_THING"])),
            ("a missing root filesystem", lambda b: b.config["root"].update(path="no-such-rootfs")),
            ("a program that does not exist", lambda b: b.process.update(args=["/no/such/program"])),
            ("a mount of a missing source", lambda b: b.add_mount("/x", "bind", "/no/such/src", ["bind"])),
            ("a duplicate namespace", lambda b: b.linux["namespaces"].append({"type": "pid"}))):
        b = rt.bundle(write=False)
        tweak(b)
        b.write()
        res = rt.create(b, check=False)
        if check(res.rc != 0, f"create with {what} fails", S_CREATE_ENV):
            check(rt.try_state(b.cid) is None and not (rt.root / b.cid).exists(),
                  f"... and leaves no container ({what})", S_ERRORS)
            check(not cgroups_of(b.cid), f"... and no cgroup ({what})", S_ERRORS)
        else:
            rt.delete(b.cid, "--force", check=False)


def cgroups_of(cid):
    return [os.path.join(m, pithtest.TEST_CGROUP_PARENT, cid)
            for m in pithtest.cgroup_all_mounts().values()
            if os.path.isdir(os.path.join(m, pithtest.TEST_CGROUP_PARENT, cid))]


@scenario("create")
def sc_create_does_not_run(rt, check):
    b, shared = bundle_with_marker(rt)
    rt.create(b)
    time.sleep(0.3)
    check(not (shared / "started").exists(), "the program has not run after create", S_CREATE_NORUN)
    # changes to config.json after create have no effect
    b.process["args"] = ["sh", "-c", "touch /shared/changed; sleep 1000"]
    b.write()
    rt.start(b.cid)
    ok = succeeds(pithtest.wait_for, lambda: (shared / "started").exists(), 5, 0.02, "the program")
    check(ok, "start runs the program", S_START_RUN)
    check(not (shared / "changed").exists(), "config.json edited after create is not used",
          S_CREATE_CHANGES)


@scenario("start")
def sc_start_errors(rt, check):
    check_id_errors(rt, check, "start", S_START_NOID, S_START_ARGS)
    b, shared = bundle_with_marker(rt)
    rt.create(b)
    rt.start(b.cid)
    pithtest.wait_for(lambda: (shared / "started").exists(), 5, 0.02, "the program")
    before = rt.state(b.cid)
    (shared / "started").unlink()
    res = rt.start(b.cid, check=False)
    check(res.rc != 0, "start of a running container fails", S_START_TWICE)
    time.sleep(0.2)
    check(unchanged(rt, b.cid, before) and not (shared / "started").exists(),
          "... and has no effect (same pid, program not run again)", S_START_TWICE)
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    res = rt.start(b.cid, check=False)
    check(res.rc != 0, "start of a stopped container fails", S_START_TWICE)
    check(rt.status(b.cid) == "stopped", "... and it stays stopped", S_START_TWICE)


@scenario("kill")
def sc_kill(rt, check):
    check_id_errors(rt, check, "kill", S_KILL_NOTRUNNING, S_KILL_ARGS, "KILL")
    # the trap first: pid 1 of a pid namespace ignores signals it has no handler for
    b, shared = bundle_with_marker(rt, "while :; do sleep 0.05; done",
                                   before="trap 'echo usr1 > /shared/got; exit 3' USR1; ")
    rt.create(b)
    rt.start(b.cid)
    pithtest.wait_for(lambda: (shared / "started").exists(), 5, 0.02, "the program")
    rt.kill(b.cid, "USR1")
    ok = succeeds(pithtest.wait_for, lambda: (shared / "got").exists(), 5, 0.02, "the signal")
    check(ok, "kill USR1 reaches the container process", S_KILL_SEND)
    ok = succeeds(rt.wait_status, b.cid, "stopped")
    check(ok, "the process exited: status is stopped", S_KILL_STOPPED)
    res = rt.kill(b.cid, "KILL", check=False)
    check(res.rc != 0, "kill of a stopped container fails", S_KILL_NOTRUNNING)
    check(rt.status(b.cid) == "stopped", "... and it stays stopped", S_KILL_NOTRUNNING)


@scenario("delete")
def sc_delete(rt, check):
    check_id_errors(rt, check, "delete", S_DELETE_NOID, S_DELETE_ARGS)
    netns_name, netns_path = rt.make_netns()
    b, shared = bundle_with_marker(rt)
    b.add_ns("network", netns_path)
    b.write()
    rt.create(b)
    rt.start(b.cid)
    before = rt.state(b.cid)
    res = rt.delete(b.cid, check=False)
    check(res.rc != 0, "delete of a running container fails", S_DELETE_RUNNING)
    check(unchanged(rt, b.cid, before) and pithtest.pid_alive(before["pid"]),
          "... and it keeps running", S_DELETE_RUNNING)
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    cg = rt.cgroup_dirs()
    rt.delete(b.cid)
    check(rt.try_state(b.cid) is None, "delete of a stopped container removes it", S_DELETE_RES)
    check(cg and not rt.cgroup_dirs(), "... and its cgroups", S_DELETE_RES)
    check(not rt.state_leftovers(), "... and its state", S_DELETE_RES)
    check(netns_path.exists() and (shared / "started").exists(),
          "... but not the joined network namespace nor the bind-mounted host files",
          S_DELETE_NOTOURS)
    b2 = rt.bundle(cid=b.cid)
    res = rt.create(b2, check=False)
    check(res.rc == 0, "the id of a deleted container can be used again", S_DELETE_REUSE)


@scenario("kill-delete")
def sc_kill_delete_matrix(rt, check):
    """kill and delete in each state: created, running, stopped (and paused
    when the runtime has `pause`)."""
    # created
    b = rt.bundle()
    rt.create(b)
    before = rt.state(b.cid)
    res = rt.kill(b.cid, "KILL", check=False)
    if res.rc == 0:
        ok = succeeds(rt.wait_status, b.cid, "stopped")
        check(ok, "created: kill KILL accepted, and the status becomes stopped", S_KILL_STOPPED)
    else:
        check(unchanged(rt, b.cid, before), "created: kill refused, and the container is unchanged",
              S_KILL_NOTRUNNING)
    b = rt.bundle()
    rt.create(b)
    pid = rt.state(b.cid)["pid"]
    res = rt.delete(b.cid, check=False)
    check(res.rc == 0 and rt.try_state(b.cid) is None, "created: delete removes it", S_DELETE_RES)
    ok = succeeds(pithtest.wait_for, lambda: not pithtest.pid_alive(pid), 3, 0.02, "the init to go")
    check(ok, "created: delete ends the container process", S_DELETE_RES)
    # running
    b = rt.bundle()
    rt.create(b)
    rt.start(b.cid)
    pid = rt.state(b.cid)["pid"]
    res = rt.delete(b.cid, "--force", check=False)
    check(res.rc == 0 and rt.try_state(b.cid) is None, "running: delete --force removes it", S_DELETE_RES)
    ok = succeeds(pithtest.wait_for, lambda: not pithtest.pid_alive(pid), 3, 0.02, "the process to go")
    check(ok, "running: delete --force ends its process", S_DELETE_RES)
    # stopped
    b = rt.bundle(script="exit 0")
    rt.create(b)
    rt.start(b.cid)
    rt.wait_status(b.cid, "stopped")
    res = rt.kill(b.cid, "TERM", check=False)
    check(res.rc != 0 and rt.status(b.cid) == "stopped", "stopped: kill fails, status stays stopped",
          S_KILL_NOTRUNNING)
    rt.delete(b.cid)
    check(rt.try_state(b.cid) is None, "stopped: delete removes it", S_DELETE_RES)
    # paused
    if run_ok(rt, "pause", "--help"):
        b = rt.bundle()
        rt.create(b)
        rt.start(b.cid)
        if rt.cli("pause", b.cid).rc == 0:
            check(rt.status(b.cid) == "paused", "paused: status is paused", S_STATE_PROPS)
            res = rt.delete(b.cid, check=False)
            check(res.rc != 0 and rt.status(b.cid) == "paused", "paused: delete fails, it stays paused",
                  S_DELETE_RUNNING)
            res = rt.delete(b.cid, "--force", check=False)
            check(res.rc == 0 and rt.try_state(b.cid) is None, "paused: delete --force removes it",
                  S_DELETE_RES)


def run_ok(rt, *args):
    res = rt.cli(*args)
    return res.rc == 0 or "unknown command" not in (res.err + res.out).lower()


HOOK_PY = r"""
import json, os, sys, time
st = json.load(sys.stdin)
name = sys.argv[1]
rec = {"hook": name, "state": st, "t": time.time(), "argv": sys.argv,
       "argv0": open("/proc/self/cmdline").read().split("\0")[0],
       "env": os.environ.get("HOOK_ENV"),
       "uts": os.readlink("/proc/self/ns/uts"), "mnt": os.readlink("/proc/self/ns/mnt")}
pid = st.get("pid") or 0
try:
    rec["cmdline"] = open(f"/proc/{pid}/cmdline").read().split("\0") if pid else []
except OSError:
    rec["cmdline"] = None
with open(os.environ["HOOK_LOG"], "a") as f:
    f.write(json.dumps(rec) + "\n")
sys.exit(int(os.environ.get("HOOK_EXIT", "0")))
"""


def hook_bundle(rt, stages, fail=None, timeout_stage=None):
    b, shared = bundle_with_marker(rt)
    hook = b.path / "hook.py"
    hook.write_text(HOOK_PY)
    log = b.path / "hooks.log"
    py = sys.executable
    for st in stages:
        for n in (1, 2):
            env = [f"HOOK_LOG={log}", f"HOOK_ENV={st}-{n}",
                   f"HOOK_EXIT={1 if fail == st and n == 1 else 0}"]
            if st == "startContainer":
                # runs in the container: busybox only
                b.add_hook(st, "/bin/sh", ["sh", "-c", f"echo {st}-{n} >> /shared/hooks-in-container; "
                                           f"hostname >> /shared/hooks-in-container; "
                                           f"cat > /shared/sc-stdin-{n}"], env=env)
            else:
                b.add_hook(st, py, ["python3-hook", str(hook), f"{st}-{n}"], env=env)
        if timeout_stage == st:
            b.add_hook(st, "/bin/sleep", ["sleep", "30"], timeout=1)
    b.config["hostname"] = "hooked"
    b.write()
    return b, shared, log


def read_hooks(log):
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@scenario("hooks")
def sc_hooks_order_and_state(rt, check):
    stages = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
    b, shared, log = hook_bundle(rt, stages)
    rt.create(b)
    st = rt.state(b.cid)
    recs = read_hooks(log)
    names = [r["hook"] for r in recs]
    check(names[:2] == ["prestart-1", "prestart-2"] or "prestart-1" in names,
          "prestart hooks ran during create (runc's order, which the spec's lifecycle follows)", S_HOOK_LIFECYCLE)
    for stg in ("createRuntime", "createContainer"):
        check(f"{stg}-1" in names and f"{stg}-2" in names, f"{stg} hooks ran during create", S_HOOK_LIFECYCLE)
        if f"{stg}-1" in names and f"{stg}-2" in names:
            check(names.index(f"{stg}-1") < names.index(f"{stg}-2"), f"{stg} hooks in the listed order",
                  S_HOOK_ORDER)
    if "createRuntime-1" in names and "createContainer-1" in names:
        check(names.index("createRuntime-2") < names.index("createContainer-1"),
              "createRuntime hooks before createContainer hooks", S_HOOK_LIFECYCLE)
    check(not (shared / "started").exists() and not (shared / "hooks-in-container").exists(),
          "no startContainer hook nor the program during create", S_CREATE_NORUN)
    check(not any(n.startswith("poststart") or n.startswith("poststop") for n in names),
          "no poststart nor poststop hook during create", S_HOOK_POSTSTART)
    host_uts = os.readlink("/proc/self/ns/uts")
    for r in recs:
        s = r["state"]
        check(s.get("id") == b.cid and s.get("bundle") == str(b.path) and "ociVersion" in s
              and "status" in s, f"{r['hook']}: state on stdin has id, bundle, ociVersion, status",
              S_HOOK_STDIN)
        if r["hook"].startswith("createContainer"):
            # runs in the container's namespaces: only "a pid" is asked of it
            check(isinstance(s.get("pid"), int) and s["pid"] > 0, f"{r['hook']}: state has a pid",
                  S_HOOK_STDIN)
        else:
            check(s.get("pid") == st["pid"], f"{r['hook']}: state pid is the container's", S_HOOK_STDIN)
        check(r["env"] == r["hook"] and r["argv0"] == "python3-hook" and r["argv"][1] == r["hook"],
              f"{r['hook']}: env and args (args[0] as argv[0]) as in the config", S_HOOK_ARGS)
        if r["hook"].startswith("createRuntime") or r["hook"].startswith("prestart"):
            check(r["uts"] == host_uts, f"{r['hook']}: runs in the runtime namespace", S_HOOK_NS)
            check(r["cmdline"] is not None and "sleep" not in (r["cmdline"] or []),
                  f"{r['hook']}: the program has not been executed yet", S_HOOK_LIFECYCLE)
        if r["hook"].startswith("createContainer"):
            check(r["uts"] != host_uts, f"{r['hook']}: runs in the container namespace", S_HOOK_NS)
    n_create = len(recs)
    rt.start(b.cid)
    recs = read_hooks(log)
    names = [r["hook"] for r in recs]
    post = [r for r in recs[n_create:] if r["hook"].startswith("poststart")]
    check([r["hook"] for r in post] == ["poststart-1", "poststart-2"],
          "poststart hooks ran, in order, before start returned", S_HOOK_POSTSTART)
    for r in post:
        # the program is `sh -c "touch ...; sleep 1000"`, which may exec sleep
        check(r["cmdline"] and (r["cmdline"][:2] == ["sleep", "1000"] or
                                "touch /shared/started" in " ".join(r["cmdline"])),
              f"{r['hook']}: runs after the user program was executed (container pid's "
              f"cmdline then: {r['cmdline']})", S_HOOK_POSTSTART)
        check(r["state"].get("status") == "running", f"{r['hook']}: state says running", S_HOOK_STDIN)
    inside = (shared / "hooks-in-container")
    ok = succeeds(pithtest.wait_for, lambda: inside.exists() and "startContainer-2" in inside.read_text(),
                  5, 0.02, "")
    check(ok, "startContainer hooks ran in the container, in order", S_HOOK_LIFECYCLE)
    if ok:
        lines = inside.read_text().split()
        check(lines[:4] == ["startContainer-1", "hooked", "startContainer-2", "hooked"],
              "startContainer hooks run in order, in the container's uts namespace", S_HOOK_NS)
        try:
            sc = json.loads((shared / "sc-stdin-1").read_text())
            check(sc.get("id") == b.cid, "startContainer: state on stdin", S_HOOK_STDIN)
        except (OSError, ValueError):
            check(False, "startContainer: state on stdin is JSON", S_HOOK_STDIN)
    check(not any(n.startswith("poststop") for n in names), "no poststop before delete", S_HOOK_POSTSTOP)
    rt.kill(b.cid, "KILL")
    rt.wait_status(b.cid, "stopped")
    rt.delete(b.cid)
    recs = read_hooks(log)
    names = [r["hook"] for r in recs]
    check(names[-2:] == ["poststop-1", "poststop-2"], "poststop hooks ran at delete, in order",
          S_HOOK_POSTSTOP)
    if names[-1:] == ["poststop-2"]:
        check(recs[-1]["state"].get("status") == "stopped", "poststop: state says stopped", S_HOOK_STDIN)


@scenario("hooks")
def sc_hooks_failures(rt, check):
    for stage in ("prestart", "createRuntime", "createContainer"):
        b, shared, log = hook_bundle(rt, [stage, "poststop"], fail=stage)
        res = rt.create(b, check=False)
        check(res.rc != 0, f"a failing {stage} hook fails create", S_HOOK_FAIL)
        names = [r["hook"] for r in read_hooks(log)]
        check(f"{stage}-2" not in names, f"... and the hooks after it in {stage} do not run", S_HOOK_FAIL)
        check(rt.try_state(b.cid) is None and not rt.state_leftovers() and not rt.cgroup_dirs(),
              f"... and the container is destroyed ({stage})", S_HOOK_FAIL)
    b, shared, log = hook_bundle(rt, ["poststart"], fail="poststart")
    res = rt.create(b, check=False)
    if not check(res.rc == 0 and not read_hooks(log), "poststart hooks do not run at create",
                 S_HOOK_POSTSTART):
        return
    res = rt.start(b.cid, check=False)
    names = [r["hook"] for r in read_hooks(log)]
    check(res.rc == 0 and rt.status(b.cid) == "running", "a failing poststart hook: start succeeds",
          S_HOOK_WARN)
    check(names == ["poststart-1", "poststart-2"], f"... and the remaining poststart hooks run (ran: {names})",
          S_HOOK_WARN)
    rt.delete(b.cid, "--force")
    b, shared, log = hook_bundle(rt, ["poststop"], fail="poststop")
    rt.create(b)
    res = rt.delete(b.cid, check=False)
    names = [r["hook"] for r in read_hooks(log)]
    check(res.rc == 0 and rt.try_state(b.cid) is None, "a failing poststop hook: delete succeeds",
          S_HOOK_WARN_STOP)
    check(names == ["poststop-1", "poststop-2"], f"... and the remaining poststop hooks run (ran: {names})",
          S_HOOK_WARN_STOP)


@scenario("hooks")
def sc_hook_timeout(rt, check):
    b, shared, log = hook_bundle(rt, ["createRuntime"], timeout_stage="createRuntime")
    t0 = time.monotonic()
    res = rt.create(b, check=False, timeout=40)
    took = time.monotonic() - t0
    check(res.rc != 0, "a createRuntime hook past its timeout fails create", S_HOOK_TIMEOUT)
    check(took < 15, f"... within the timeout (took {took:.1f}s for timeout 1)", S_HOOK_TIMEOUT)
    check(rt.try_state(b.cid) is None and not rt.state_leftovers(), "... and nothing is left", S_HOOK_FAIL)


def run_scenarios(s, only=None):
    for area, fn in SCENARIOS:
        if only and only not in fn.__name__:
            continue
        log = io.StringIO()
        rt = s.new_runtime(fn.__name__)
        check = Checker(s.tally, area, log)
        try:
            with contextlib.redirect_stdout(log):
                fn(rt, check)
        except Exception:  # noqa: BLE001
            s.tally.add(area, "fail", f"{fn.__name__}: stopped by an error: "
                        f"{traceback.format_exc()[-1500:]}", "", log.getvalue()[-3000:])
            if s.tally.verbose:
                print(log.getvalue()[-3000:])
        finally:
            with contextlib.redirect_stdout(log):
                s.finish(rt, log)


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runtime", default=os.environ.get("PITH"))
    ap.add_argument("--checker", default=os.environ.get("PITH_CHECK"))
    ap.add_argument("-n", type=int, default=int(os.environ.get("CONFORMANCE_N", "150")),
                    help="number of generated configs (default 150, or $CONFORMANCE_N)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CONFORMANCE_SEED", "20240601")))
    ap.add_argument("--only", help="run only the generated config with this index, or scenarios "
                    "whose name contains this text")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("SKIP: the conformance suite needs root", file=sys.stderr)
        return 77
    if not args.runtime:
        print("ERROR: set PITH=/path/to/runtime (or --runtime)", file=sys.stderr)
        return 99
    runtime = args.runtime if os.sep in args.runtime else shutil.which(args.runtime)
    if not runtime or not os.access(runtime, os.X_OK):
        print(f"ERROR: runtime {args.runtime!r} not found", file=sys.stderr)
        return 99
    if not args.checker or not os.access(args.checker, os.X_OK):
        print("ERROR: the checker (PITH_CHECK / --checker) is missing: build it with "
              "`make tests/conformance/pith-check`", file=sys.stderr)
        return 99
    runtime = os.path.abspath(runtime)
    kind = "runc" if os.path.basename(runtime) == "runc" else "pith"
    tally = Tally(args.verbose, [] if os.environ.get("CONFORMANCE_STRICT") else KNOWN.get(kind, []))
    tally.full_run = args.only is None and args.n > 0
    s = Session(runtime, os.path.abspath(args.checker), tally)
    s.seed_of = {}
    print(f"pith conformance: runtime {runtime}, {args.n} generated configs, seed {args.seed}")
    t0 = time.monotonic()
    try:
        seeds = random.Random(args.seed)
        for i in range(args.n):
            seed = seeds.randrange(1 << 30)
            if args.only is not None and args.only.isdigit() and int(args.only) != i:
                continue
            run_generated(s, i, seed)
        if args.only is None or not args.only.isdigit():
            run_scenarios(s, args.only)
    finally:
        s.close()
    print(tally.summary())
    print(f"({time.monotonic() - t0:.1f}s)")
    return 1 if tally.totals()["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
