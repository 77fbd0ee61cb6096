#!/usr/bin/python3
"""pith against crun and runc, side by side, and against the kernel's floor.

    contrib/bench/bench.py [--pith PATH] [--rounds N] [--quick] [--cold-cpuset]

Run as root.  Runtimes are interleaved (pith, crun, runc, floor, then the
next round in a rotated order) so that machine drift cancels, and each
figure is the median over rounds; ratios are medians of per-round ratios.

Every command is started by measure.c, a small static wrapper that reports
the command's own wall time (fork to reap), CPU (user+system of it and the
children it reaped) and peak RSS, so the benchmark's Python process is in
none of the figures.  Debian 12's crun refuses hybrid cgroup hosts, so for
crun the wrapper first enters a private mount namespace without
/sys/fs/cgroup/unified, before its clock starts.  State roots are on a tmpfs.

The kernel enables a static key (by patching its code on every CPU, some
milliseconds) when the first cpuset cgroup below the root appears, and
disables it when the last one goes.  On an otherwise idle host every runtime
would pay that twice per container, and whether it does would depend on
what else runs; so the benchmark holds an empty cpuset cgroup of its own
for its whole duration, as a host running any container would
(--cold-cpuset to measure without it).

What is measured (issue 7): `run` of /bin/true (wall, CPU, peak RSS; also
the floor: contrib/bench/floor.c, only the kernel work); create -> start ->
exit -> delete with each step's share; exec of /bin/true into a running
container; the smallest memory limit under which `run /bin/true` works
(bisection); binary size, linked libraries and the libraries a `run`
actually loads.
"""

import argparse
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

TARGETS = {  # figure: pith must be at or under this ratio to crun (issue 7)
    "run wall": 0.7,
    "run cpu": 0.7,
    "exec wall": 0.7,
    "peak rss": 1.0,
    "min memory limit": 1.0,
}
FLOOR_TARGET = 1.3  # pith's run against the floor
CPUSET_V1 = "/sys/fs/cgroup/cpuset"


class Runtime:
    def __init__(self, name, argv0, root, no_unified=False):
        self.name, self.argv0, self.root, self.no_unified = name, argv0, root, no_unified

    def cmd(self, *args):
        return [self.argv0, "--root", self.root] + list(args)


class Sample:
    def __init__(self, wall, cpu, rss):
        self.wall, self.cpu, self.rss = wall, cpu, rss  # seconds, seconds, KiB


class Meter:
    """Runs commands through the measure wrapper."""

    def __init__(self, measure_bin, workdir):
        self.bin = measure_bin
        self.out = f"{workdir}/measure.out"

    def run(self, argv, no_unified=False, check=True, env=None):
        prefix = [self.bin] + (["--no-unified"] if no_unified else []) + ["-o", self.out]
        # stderr goes to a file, not a pipe: after `create` the container holds
        # our stdio until it exits, and a pipe would never reach EOF.
        with tempfile.TemporaryFile() as errfile:
            rc = subprocess.run(prefix + argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=errfile, env=env).returncode
            errfile.seek(0)
            err = errfile.read().decode(errors="replace").strip()
        if check and rc != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {rc}: {err}")
        with open(self.out) as f:
            wall, cpu, rss = (int(x) for x in f.read().split())
        return rc, Sample(wall / 1e6, cpu / 1e6, rss), err


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


def verdict(r, target):
    return "" if target is None else "  (target <= %.2f: %s)" % (target, "met" if r <= target else "NOT met")


def report_ratio(label, ours, theirs, name, target=None):
    r = median_ratio(ours, theirs)
    print(f"    pith / {name:<6} {label:<18} {r:5.2f}{verdict(r, target)}")
    return r


def rotated(items, i):
    return items[i % len(items):] + items[:i % len(items)]


def bench_run(meter, runtimes, floor, bundle, rounds):
    """`run` of /bin/true, one container after another."""
    order = list(runtimes) + ([floor] if floor else [])
    samples = {rt.name: [] for rt in order}
    for i in range(rounds):
        for rt in rotated(order, i):
            cid = f"bench-{rt.name}-{i}"
            if rt.name == "floor":
                argv = [rt.argv0, f"{bundle}/rootfs", cid, "/bin/true"]
            else:
                argv = rt.cmd("run", "--bundle", bundle, cid)
            samples[rt.name].append(meter.run(argv, rt.no_unified)[1])
    return samples


def bench_cycle(meter, runtimes, bundle, rounds):
    """create, start, the container's exit, delete: each step's wall time."""
    steps = ("create", "start", "exit", "delete")
    result = {rt.name: {s: [] for s in steps} for rt in runtimes}
    for i in range(rounds):
        for rt in rotated(list(runtimes), i):
            cid = f"cycle-{rt.name}-{i}"
            pidfile = f"{rt.root}/{cid}.pid"
            result[rt.name]["create"].append(
                meter.run(rt.cmd("create", "--bundle", bundle, "--pid-file", pidfile, cid), rt.no_unified)[1].wall)
            with open(pidfile) as f:
                pidfd = os.pidfd_open(int(f.read()))
            os.unlink(pidfile)
            try:
                result[rt.name]["start"].append(meter.run(rt.cmd("start", cid), rt.no_unified)[1].wall)
                t0 = time.perf_counter()
                select.select([pidfd], [], [], 10)
                result[rt.name]["exit"].append(time.perf_counter() - t0)
            finally:
                os.close(pidfd)
            result[rt.name]["delete"].append(meter.run(rt.cmd("delete", cid), rt.no_unified)[1].wall)
    return result


def bench_exec(meter, runtimes, pith, workdir, rounds):
    """exec of /bin/true into a running container: wall and CPU."""
    bundle = f"{workdir}/exec-bundle"
    shutil.copytree(f"{workdir}/bundle/rootfs", f"{bundle}/rootfs", symlinks=True)
    make_bundle(pith, bundle, args=("sleep", "1000"))
    out = {rt.name: [] for rt in runtimes}
    for rt in runtimes:
        meter.run(rt.cmd("run", "--detach", "--bundle", bundle, f"exec-{rt.name}"), rt.no_unified)
    try:
        for i in range(rounds):
            for rt in rotated(list(runtimes), i):
                if out[rt.name] is None:
                    continue
                rc, s, err = meter.run(rt.cmd("exec", f"exec-{rt.name}", "/bin/true"), rt.no_unified, check=False)
                if rc != 0:
                    print(f"    ({rt.name} exec failed: {err.splitlines()[-1] if err else rc})")
                    out[rt.name] = None
                else:
                    out[rt.name].append(s)
    finally:
        for rt in runtimes:
            meter.run(rt.cmd("delete", "--force", f"exec-{rt.name}"), rt.no_unified, check=False)
    return out


def min_memory_limit(meter, rt, pith, workdir):
    """The smallest memory limit under which `run /bin/true` succeeds (bisection, 4 KiB steps)."""
    lo, hi = 4096, 64 << 20
    bundle = f"{workdir}/mem-{rt.name}"
    shutil.copytree(f"{workdir}/bundle/rootfs", f"{bundle}/rootfs", symlinks=True, dirs_exist_ok=True)
    n = 0
    while hi - lo > 4096:
        mid = (lo + hi) // 2 // 4096 * 4096
        make_bundle(pith, bundle, memory_limit=mid)
        n += 1
        rc = meter.run(rt.cmd("run", "--bundle", bundle, f"mem-{rt.name}-{n}"), rt.no_unified, check=False)[0]
        meter.run(rt.cmd("delete", "--force", f"mem-{rt.name}-{n}"), rt.no_unified, check=False)
        if rc == 0:
            hi = mid
        else:
            lo = mid
    return hi


def loaded_size(path):
    """KiB the loader maps from the file (text, data, bss), without debug sections."""
    out = subprocess.run(["size", path], capture_output=True, text=True).stdout.splitlines()
    return int(out[1].split()[3]) // 1024 if len(out) > 1 else 0


def linked_libraries(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    return [os.path.basename(l.split()[0]) for l in out.splitlines()
            if ("=>" in l or l.strip().startswith("/")) and "linux-vdso" not in l]


def loaded_libraries(meter, rt, bundle):
    """The shared objects the dynamic loader maps during one `run` (LD_DEBUG=files), dlopen included."""
    env = dict(os.environ, LD_DEBUG="files")
    err = meter.run(rt.cmd("run", "--bundle", bundle, f"libs-{rt.name}"), rt.no_unified, env=env)[2]
    libs = set()
    for line in err.splitlines():
        if "file=" in line and ("needed by" in line or "dynamically loaded by" in line):
            libs.add(line.split("file=")[1].split()[0])
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pith", default=os.path.join(HERE, "../../build/pith"), help="the pith binary to measure")
    ap.add_argument("--rounds", type=int, default=100, help="rounds of `run` (the other parts do fewer)")
    ap.add_argument("--quick", action="store_true", help="10 rounds, for a smoke test")
    ap.add_argument("--cold-cpuset", action="store_true",
                    help="do not hold a cpuset cgroup during the run (see above)")
    opts = ap.parse_args()
    rounds = 10 if opts.quick else opts.rounds
    if os.geteuid() != 0:
        sys.exit("bench.py: run as root")
    pith = os.path.abspath(opts.pith)

    work = tempfile.mkdtemp(prefix="pith-bench.")
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", work], check=True)
    anchor = None
    if not opts.cold_cpuset and os.path.isdir(CPUSET_V1):
        anchor = f"{CPUSET_V1}/pith-bench-{os.getpid()}"
        os.mkdir(anchor)
    try:
        bundle = make_bundle(pith, f"{work}/bundle")
        runtimes = [Runtime("pith", pith, f"{work}/state-pith")]
        for name, path, no_unified in (("crun", shutil.which("crun"), True), ("runc", shutil.which("runc"), False)):
            if path:
                runtimes.append(Runtime(name, path, f"{work}/state-{name}", no_unified))
            else:
                print(f"({name} is not installed: skipped)")
        floor = None
        floor_bin, measure_bin = f"{work}/floor", f"{work}/measure"
        subprocess.run(["gcc", "-O2", "-static", "-o", measure_bin, os.path.join(HERE, "measure.c")], check=True)
        if subprocess.run(["gcc", "-O2", "-o", floor_bin, os.path.join(HERE, "floor.c")]).returncode == 0:
            floor = Runtime("floor", floor_bin, "")
        meter = Meter(measure_bin, work)

        uname = os.uname()
        print(f"pith benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, {uname.nodename} {uname.release}, "
              f"{os.cpu_count()} cpus, {rounds} rounds")
        versions = []
        for rt in runtimes:
            v = subprocess.run([rt.argv0, "--version"], capture_output=True, text=True).stdout.splitlines()
            versions.append(v[0] if v else rt.name)
        print("  " + "; ".join(versions))
        print("  " + (f"holding the cpuset cgroup {anchor} (see --help)" if anchor
                      else "no cpuset cgroup held: each container may toggle the cpuset static key") + "\n")

        print("run /bin/true (median per container; CPU and peak RSS of the runtime and its children)")
        run = bench_run(meter, runtimes, floor, bundle, rounds)
        for name, s in run.items():
            print(f"    {name:<6} wall {ms(statistics.median(x.wall for x in s))}   "
                  f"cpu {ms(statistics.median(x.cpu for x in s))}   "
                  f"peak RSS {statistics.median(x.rss for x in s):6.0f} KiB")
        wall = {name: [x.wall for x in s] for name, s in run.items()}
        cpu = {name: [x.cpu for x in s] for name, s in run.items()}
        rss = {name: statistics.median(x.rss for x in s) for name, s in run.items()}
        for other in ("crun", "runc"):
            if wall.get(other):
                crun = other == "crun"
                report_ratio("run wall", wall["pith"], wall[other], other, TARGETS["run wall"] if crun else None)
                report_ratio("run cpu", cpu["pith"], cpu[other], other, TARGETS["run cpu"] if crun else None)
        if floor:
            report_ratio("run wall", wall["pith"], wall["floor"], "floor", FLOOR_TARGET)
            report_ratio("run cpu", cpu["pith"], cpu["floor"], "floor", FLOOR_TARGET)

        print("\ncreate -> start -> exit -> delete (median wall per step, share of the cycle)")
        cycle = bench_cycle(meter, runtimes, bundle, max(10, rounds // 2))
        for name, steps in cycle.items():
            meds = {s: statistics.median(v) for s, v in steps.items()}
            total = sum(meds.values())
            parts = "  ".join(f"{s} {ms(m)} ({m / total:4.0%})" for s, m in meds.items())
            print(f"    {name:<6} {parts}   total {ms(total)}")

        print("\nexec /bin/true into a running container (median)")
        execs = bench_exec(meter, runtimes, pith, work, max(10, rounds // 2))
        for name, v in execs.items():
            print(f"    {name:<6} " + (f"wall {ms(statistics.median(x.wall for x in v))}   "
                                       f"cpu {ms(statistics.median(x.cpu for x in v))}" if v else "no figure"))
        if execs.get("pith") and execs.get("crun"):
            report_ratio("exec wall", [x.wall for x in execs["pith"]], [x.wall for x in execs["crun"]], "crun",
                         TARGETS["exec wall"])
            report_ratio("exec cpu", [x.cpu for x in execs["pith"]], [x.cpu for x in execs["crun"]], "crun")

        print("\nmemory (peak RSS from the run samples above; smallest memory limit for run /bin/true)")
        limits = {}
        for rt in runtimes:
            limits[rt.name] = min_memory_limit(meter, rt, pith, work)
            print(f"    {rt.name:<6} peak RSS {rss[rt.name]:6.0f} KiB   smallest limit {limits[rt.name] // 1024:6d} KiB")
        if "crun" in rss:
            for label, table in (("peak rss", rss), ("min memory limit", limits)):
                r = table["pith"] / table["crun"]
                print(f"    pith / crun   {label:<18} {r:5.2f}{verdict(r, TARGETS[label])}")

        print("\nbinary (file size; text+data+bss; linked libraries; shared objects mapped during one run)")
        for rt in runtimes:
            linked = linked_libraries(rt.argv0)
            loaded = loaded_libraries(meter, rt, bundle)
            print(f"    {rt.name:<6} {os.path.getsize(rt.argv0) // 1024:6d} KiB file, {loaded_size(rt.argv0):5d} KiB "
                  f"loaded, {len(linked)} linked, {len(loaded)} loaded: "
                  + (" ".join(os.path.basename(l) for l in loaded) or "none (static)"))
    finally:
        if anchor:
            os.rmdir(anchor)
        subprocess.run(["umount", "-l", work])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
