#!/usr/bin/python3
"""pith against crun and runc, side by side, and against the kernel's floor.

    contrib/bench/bench.py [--pith PATH] [--rounds N] [--quick]

Run as root.  Runtimes are interleaved (pith, crun, runc, floor, then the
next round in a rotated order) so that machine drift cancels, and each
figure is the median over rounds; ratios are medians of per-round ratios.

Debian 12's crun refuses hybrid cgroup hosts, so crun alone runs in a
private mount namespace without /sys/fs/cgroup/unified; every runtime is
started through the same fork path, and the cost of crun's extra unshare
and umount is measured and subtracted.  State roots are on a tmpfs.
"""

import argparse
import ctypes
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
MNT_DETACH = 2
LIBC = ctypes.CDLL(None, use_errno=True)

TARGETS = {  # figure: pith must be at or under this ratio to crun (issue 7)
    "run wall": 0.7,
    "run cpu": 0.7,
    "exec wall": 0.7,
    "peak rss": 1.0,
    "min memory limit": 1.0,
}


def hybrid_free_namespace():
    """preexec for crun: a private mount namespace without the cgroup2 mount."""
    if LIBC.unshare(CLONE_NEWNS) != 0:
        os._exit(121)
    LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None)
    LIBC.umount2(b"/sys/fs/cgroup/unified", MNT_DETACH)


def plain():
    """preexec for the others: the same fork path as crun's, doing nothing."""


class Runtime:
    def __init__(self, name, argv0, root, preexec=plain):
        self.name, self.argv0, self.root, self.preexec = name, argv0, root, preexec

    def cmd(self, *args):
        return [self.argv0, "--root", self.root] + list(args)


def spawn(argv, preexec=plain, stdout=subprocess.DEVNULL):
    """Runs ARGV; returns (exit status, wall seconds, cpu seconds, maxrss KiB)."""
    # stderr goes to a file, not a pipe: after `create` the container holds
    # our stdio until it exits, and a pipe would never reach EOF.
    with tempfile.TemporaryFile() as errfile:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, preexec_fn=preexec, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=errfile, close_fds=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errfile.seek(0)
            err = errfile.read().decode(errors="replace").strip()
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err}")
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def make_bundle(pith, where, args=("/bin/true",), memory_limit=None):
    os.makedirs(f"{where}/rootfs/bin", exist_ok=True)
    if not os.path.exists(f"{where}/rootfs/bin/busybox"):
        shutil.copy("/bin/busybox", f"{where}/rootfs/bin/busybox")
        for cmd in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split():
            if cmd != "busybox":
                os.symlink("busybox", f"{where}/rootfs/bin/{cmd}")
    if os.path.exists(f"{where}/config.json"):
        os.unlink(f"{where}/config.json")
    subprocess.run([pith, "spec", "--bundle", where], check=True)
    with open(f"{where}/config.json") as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    config["process"]["args"] = list(args)
    # runc 1.1 and crun 1.8 know runtime-spec 1.0/1.1; the config is the same.
    config["ociVersion"] = "1.0.2"
    if memory_limit is not None:
        config["linux"].setdefault("resources", {})["memory"] = {"limit": memory_limit}
    with open(f"{where}/config.json", "w") as f:
        json.dump(config, f)
    return where


def median_ratio(a, b):
    return statistics.median(x / y for x, y in zip(a, b) if y > 0)


def ms(v):
    return f"{v * 1000:7.2f} ms"


def report_ratio(label, ours, theirs, name, target=None):
    r = median_ratio(ours, theirs)
    verdict = ""
    if target is not None:
        verdict = "  (target <= %.2f: %s)" % (target, "met" if r <= target else "NOT met")
    print(f"    pith / {name:<6} {label:<18} {r:5.2f}{verdict}")
    return r


def peak_rss(rt, maxrss_bin, bundle, n):
    """Median peak RSS (KiB) of `run /bin/true`, measured through the tiny static wrapper."""
    samples = []
    for i in range(n):
        prefix = [maxrss_bin] + (["--no-unified"] if rt.preexec is hybrid_free_namespace else [])
        out = subprocess.run(prefix + rt.cmd("run", "--bundle", bundle, f"rss-{rt.name}-{i}"),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in out.stderr.splitlines():
            if line.startswith("maxrss "):
                samples.append(int(line.split()[1]))
    return statistics.median(samples) if samples else None


def bench_run(runtimes, floor, bundle, rounds, overhead):
    """`run` of /bin/true, one container after another."""
    wall = {rt.name: [] for rt in runtimes}
    cpu = {rt.name: [] for rt in runtimes}
    for name in ("floor",):
        wall[name], cpu[name] = [], []
    order = list(runtimes) + ([floor] if floor else [])
    for i in range(rounds):
        for rt in order[i % len(order):] + order[:i % len(order)]:
            cid = f"bench-{rt.name}-{i}"
            if rt.name == "floor":
                _, w, c, _ = spawn([rt.argv0, f"{bundle}/rootfs", cid, "/bin/true"])
            else:
                _, w, c, _ = spawn(rt.cmd("run", "--bundle", bundle, cid), rt.preexec)
                if rt.preexec is hybrid_free_namespace:
                    w -= overhead[0]
                    c -= overhead[1]
            wall[rt.name].append(w)
            cpu[rt.name].append(c)
    return wall, cpu


def bench_cycle(runtimes, bundle, rounds):
    """create, start, wait for the exit, delete: each step's cost."""
    steps = ("create", "start", "delete")
    result = {rt.name: {s: [] for s in steps} for rt in runtimes}
    for i in range(rounds):
        for rt in runtimes:
            cid = f"cycle-{rt.name}-{i}"
            pidfile = f"{rt.root}/{cid}.pid"
            _, w, _, _ = spawn(rt.cmd("create", "--bundle", bundle, "--pid-file", pidfile, cid), rt.preexec)
            result[rt.name]["create"].append(w)
            with open(pidfile) as f:
                pid = int(f.read())
            os.unlink(pidfile)
            pidfd = os.pidfd_open(pid)
            _, w, _, _ = spawn(rt.cmd("start", cid), rt.preexec)
            result[rt.name]["start"].append(w)
            select.select([pidfd], [], [], 10)
            os.close(pidfd)
            _, w, _, _ = spawn(rt.cmd("delete", cid), rt.preexec)
            result[rt.name]["delete"].append(w)
    return result


def bench_exec(runtimes, pith, workdir, rounds):
    """exec of /bin/true into a running container."""
    bundle = f"{workdir}/exec-bundle"
    shutil.copytree(f"{workdir}/bundle/rootfs", f"{bundle}/rootfs", symlinks=True)
    make_bundle(pith, bundle, args=("sleep", "1000"))
    out = {}
    for rt in runtimes:
        probe = subprocess.run(rt.cmd("exec", "--help"), capture_output=True, preexec_fn=rt.preexec)
        if probe.returncode != 0:
            out[rt.name] = None
            continue
        cid = f"exec-{rt.name}"
        spawn(rt.cmd("run", "--detach", "--bundle", bundle, cid), rt.preexec)
        try:
            out[rt.name] = [spawn(rt.cmd("exec", cid, "/bin/true"), rt.preexec)[1] for _ in range(rounds)]
        finally:
            spawn(rt.cmd("delete", "--force", cid), rt.preexec)
    return out


def min_memory_limit(rt, pith, workdir):
    """The smallest memory limit under which `run /bin/true` succeeds (bisection, 4 KiB steps)."""
    lo, hi = 4096, 64 << 20
    bundle = f"{workdir}/mem-{rt.name}"
    shutil.copytree(f"{workdir}/bundle/rootfs", f"{bundle}/rootfs", symlinks=True, dirs_exist_ok=True)
    n = 0
    while hi - lo > 4096:
        mid = (lo + hi) // 2 // 4096 * 4096
        make_bundle(pith, bundle, memory_limit=mid)
        n += 1
        rc = subprocess.run(rt.cmd("run", "--bundle", bundle, f"mem-{rt.name}-{n}"), preexec_fn=rt.preexec,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        subprocess.run(rt.cmd("delete", "--force", f"mem-{rt.name}-{n}"), preexec_fn=rt.preexec,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if rc == 0:
            hi = mid
        else:
            lo = mid
    return hi


def libraries(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    return [l.split()[0] for l in out.splitlines() if "=>" in l or l.strip().startswith("/")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pith", default=os.path.join(HERE, "../../build/pith"))
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="10 rounds, for a smoke test")
    opts = ap.parse_args()
    rounds = 10 if opts.quick else opts.rounds
    if os.geteuid() != 0:
        sys.exit("bench.py: run as root")
    pith = os.path.abspath(opts.pith)

    work = tempfile.mkdtemp(prefix="pith-bench.")
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", work], check=True)
    try:
        bundle = make_bundle(pith, f"{work}/bundle")
        runtimes = [Runtime("pith", pith, f"{work}/state-pith")]
        for name, path, pre in (("crun", shutil.which("crun"), hybrid_free_namespace),
                                ("runc", shutil.which("runc"), plain)):
            if path:
                runtimes.append(Runtime(name, path, f"{work}/state-{name}", pre))
            else:
                print(f"({name} is not installed: skipped)")
        floor = None
        floor_bin, maxrss_bin = f"{work}/floor", f"{work}/maxrss"
        if subprocess.run(["gcc", "-O2", "-o", floor_bin, os.path.join(HERE, "floor.c")]).returncode == 0:
            floor = Runtime("floor", floor_bin, "")
        subprocess.run(["gcc", "-O2", "-static", "-o", maxrss_bin, os.path.join(HERE, "maxrss.c")], check=True)

        # What crun's private namespace costs, to take it out of crun's figures.
        samples = [spawn(["/bin/true"], hybrid_free_namespace)[1:3] for _ in range(50)]
        plain_samples = [spawn(["/bin/true"], plain)[1:3] for _ in range(50)]
        overhead = (max(0.0, statistics.median(s[0] for s in samples) - statistics.median(s[0] for s in plain_samples)),
                    max(0.0, statistics.median(s[1] for s in samples) - statistics.median(s[1] for s in plain_samples)))

        uname = os.uname()
        print(f"pith benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, {uname.nodename} {uname.release}, "
              f"{os.cpu_count()} cpus, {rounds} rounds")
        print(f"  crun namespace overhead subtracted: {ms(overhead[0])} wall, {ms(overhead[1])} cpu\n")

        wall, cpu = bench_run(runtimes, floor, bundle, rounds, overhead)
        print("run /bin/true (median per container)")
        for name in wall:
            if wall[name]:
                print(f"    {name:<6} wall {ms(statistics.median(wall[name]))}   cpu {ms(statistics.median(cpu[name]))}")
        ratios = {}
        for other in ("crun", "runc"):
            if wall.get(other):
                ratios[("run wall", other)] = report_ratio("run wall", wall["pith"], wall[other], other,
                                                           TARGETS["run wall"] if other == "crun" else None)
                ratios[("run cpu", other)] = report_ratio("run cpu", cpu["pith"], cpu[other], other,
                                                          TARGETS["run cpu"] if other == "crun" else None)
        if floor:
            report_ratio("run wall", wall["pith"], wall["floor"], "floor", 1.3)
            report_ratio("run cpu", cpu["pith"], cpu["floor"], "floor", 1.3)

        print("\ncreate -> start -> exit -> delete (median per step, share of the cycle)")
        cycle = bench_cycle(runtimes, bundle, max(10, rounds // 2))
        for name, steps in cycle.items():
            meds = {s: statistics.median(v) for s, v in steps.items()}
            total = sum(meds.values())
            parts = "  ".join(f"{s} {ms(m)} ({m / total:4.0%})" for s, m in meds.items())
            print(f"    {name:<6} {parts}")

        print("\nexec /bin/true into a running container (median)")
        execs = bench_exec(runtimes, pith, work, max(10, rounds // 2))
        for name, v in execs.items():
            print(f"    {name:<6} " + (ms(statistics.median(v)) if v else "not implemented"))
        if execs.get("pith") and execs.get("crun"):
            report_ratio("exec wall", execs["pith"], execs["crun"], "crun", TARGETS["exec wall"])

        print("\nmemory (peak RSS of the runtime and its children; smallest memory limit for run /bin/true)")
        rss, limits = {}, {}
        for rt in runtimes:
            rss[rt.name] = peak_rss(rt, maxrss_bin, bundle, max(5, rounds // 4))
            limits[rt.name] = min_memory_limit(rt, pith, work)
            print(f"    {rt.name:<6} peak RSS {rss[rt.name]:6.0f} KiB   smallest limit {limits[rt.name] // 1024:6d} KiB")
        if "crun" in rss:
            for label, table in (("peak rss", rss), ("min memory limit", limits)):
                r = table["pith"] / table["crun"]
                print(f"    pith / crun   {label:<18} {r:5.2f}  (target <= {TARGETS[label]:.2f}: "
                      f"{'met' if r <= TARGETS[label] else 'NOT met'})")

        print("\nbinary")
        for rt in runtimes:
            libs = libraries(rt.argv0)
            print(f"    {rt.name:<6} {os.path.getsize(rt.argv0) // 1024:6d} KiB, {len(libs)} shared libraries: "
                  + " ".join(os.path.basename(l) for l in libs))
    finally:
        subprocess.run(["umount", "-l", work])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
