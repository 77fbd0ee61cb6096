#!/bin/sh
# Runs pith's cgroup tests on the host kinds this machine is not: Debian's
# own kernel under qemu (downloaded with apt-get download, unpacked with
# dpkg -x, never installed), a busybox initramfs, and this machine's
# filesystem shared in read-only over 9p (the build, the sources, python3,
# pytest, systemd).  Three boots: pure cgroup v2 (cgroup_no_v1=all), pure
# cgroup v1, and cgroup v2 with systemd as PID 1 for the systemd driver.
#
#   tests/vm/run.sh BUILDDIR [TEST_FILE...]
#
# Environment: PITH_VM_CACHE (kernel cache, default /var/cache/pith-vm),
# PITH_VM_ACCEL (tcg, kvm or auto: try kvm and fall back; default auto),
# PITH_VM_TIMEOUT (seconds, default 900), PITH_VM_MEM (MiB, default 2048),
# PITH_VM_CGROUPFS, PITH_VM_V1, PITH_VM_SYSTEMD (0: skip the boot with the
# cgroup tests on v2, the one on a pure v1 host, or the one with systemd as
# PID 1), PITH_VM_VERBOSE (1: pytest -v and systemd's messages).
# Exit status: the tests' (pytest's); 77 when the VM cannot run here, with
# the reason printed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILDDIR [TESTS...]}" && pwd)
shift
tests=${*:-tests/integration/test_cgroups.py $(cd "$src" && ls tests/integration/test_cgroups_*.py | tr '\n' ' ')}
cache=${PITH_VM_CACHE:-/var/cache/pith-vm}
accel=${PITH_VM_ACCEL:-auto}
timeout=${PITH_VM_TIMEOUT:-900}
mem=${PITH_VM_MEM:-2048}

skip () {
    echo "SKIP: cgroup v2 VM tests: $*" >&2
    echo "      (the cgroup v2 host kind is NOT covered by this run)" >&2
    exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
[ -x "$build/pith" ] || skip "no pith binary in $build"
busybox=$(command -v busybox) || skip "no busybox (apt-get install busybox-static)"
file -L "$busybox" 2>/dev/null | grep -q dynamically && skip "$busybox is not static (apt-get install busybox-static)"
mkdir -p "$cache" 2>/dev/null || cache=$build/tests/vm/cache
mkdir -p "$cache" || skip "cannot create $cache"

# ---- the kernel: Debian's current one, extracted once into the cache
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
[ -n "$kpkg" ] || kpkg=$(ls -d "$cache"/linux-image-*-amd64 2>/dev/null | sed 's|.*/||' | tail -n1)
[ -n "$kpkg" ] || skip "cannot tell which linux-image package to use (apt-cache depends linux-image-amd64)"
kdir=$cache/$kpkg
if [ ! -d "$kdir/boot" ]; then
    echo "vm: fetching $kpkg (apt-get download)"
    rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp" || skip "cannot write $cache"
    (cd "$kdir.tmp" && apt-get download "$kpkg" >/dev/null 2>&1) || { rm -rf "$kdir.tmp"; skip "apt-get download $kpkg failed"; }
    dpkg -x "$kdir.tmp"/*.deb "$kdir.tmp/x" || { rm -rf "$kdir.tmp"; skip "dpkg -x failed"; }
    rm -rf "$kdir" && mv "$kdir.tmp/x" "$kdir" && rm -rf "$kdir.tmp"
fi
kernel=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$kernel" ] || skip "no kernel in $kdir"
moddir=$(ls -d "$kdir"/lib/modules/* | head -n1)

# ---- the initramfs: busybox, /init, the 9p modules in dependency order
work=$build/tests/vm/work
rm -rf "$work" && mkdir -p "$work/root/bin" "$work/root/modules" "$work/root/proc" "$work/root/sys" "$work/root/dev"
cp "$busybox" "$work/root/bin/busybox"
cp "$here/init" "$work/root/init"
: >"$work/root/modules.order"
add_module () {
    local name ko dep
    name=$1
    grep -qx "$name.ko" "$work/root/modules.order" && return 0
    ko=$(find "$moddir/kernel" -name "$name.ko*" | head -n1)
    [ -n "$ko" ] || { grep -q "/$name.ko" "$moddir/modules.builtin" 2>/dev/null && return 0; skip "kernel module $name not found"; }
    for dep in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dep"
    done
    case $ko in
        *.xz) xz -dc "$ko" >"$work/root/modules/$name.ko" ;;
        *.zst) zstd -dqc "$ko" >"$work/root/modules/$name.ko" ;;
        *) cp "$ko" "$work/root/modules/$name.ko" ;;
    esac
    echo "$name.ko" >>"$work/root/modules.order"
}
# virtio_blk: a scratch disk, so block I/O limits have a device to name.
for m in virtio_pci 9pnet_virtio 9p virtio_blk; do add_module "$m"; done
truncate -s 8M "$work/disk.img" || skip "cannot create the scratch disk"
(cd "$work/root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initramfs.gz") || skip "cannot build the initramfs"

# ---- boot
# run_vm ACCEL LOG TESTS EXTRA_CMDLINE: boots and waits for the VM to power
# off (or the timeout).  Fails early when /init has not started within 15s:
# some hosts offer /dev/kvm yet cannot boot a stock kernel, and hang instead.
run_vm () {
    acc=$1 log=$2 vm_tests=$3 extra=$4
    set -- -accel "$acc" -m "$mem" -smp 2 -nographic -no-reboot -nodefaults -serial stdio \
        -kernel "$kernel" -initrd "$work/initramfs.gz" \
        -append "console=ttyS0 panic=-1 loglevel=3 pith.verbose=${PITH_VM_VERBOSE:-0} pith.src=$src pith.build=$build pith.tests=$(echo $vm_tests | tr ' ' ',') $extra" \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on \
        -drive "file=$work/disk.img,if=virtio,format=raw"
    timeout "$timeout" qemu-system-x86_64 "$@" </dev/null >"$log" 2>&1 &
    qpid=$!
    trap 'kill $qpid 2>/dev/null' EXIT INT TERM
    waited=0
    while ! grep -q PITH-VM-INIT "$log" 2>/dev/null; do
        if ! kill -0 "$qpid" 2>/dev/null || [ "$waited" -ge 15 ]; then
            kill "$qpid" 2>/dev/null
            wait "$qpid" 2>/dev/null
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    wait "$qpid"
}

# boot NAME TESTS EXTRA_CMDLINE: one VM run; prints its tests' output and
# sets $rc (empty when the VM reported nothing).
boot () {
    name=$1 log=$work/console-$1.log
    start=$(date +%s)
    if [ "$accel" = auto ] && [ -w /dev/kvm ]; then
        if run_vm kvm "$log" "$2" "$3"; then
            accel=kvm
        else
            echo "vm: kvm cannot boot the kernel here, using software emulation (tcg)"
            accel=tcg
        fi
    fi
    [ "$accel" = auto ] && accel=tcg
    if [ "$accel" = tcg ] || ! grep -q PITH-VM-INIT "$log" 2>/dev/null; then
        run_vm "$accel" "$log" "$2" "$3" || { tail -n 30 "$log"; skip "the VM ($name) did not boot under $accel"; }
    fi
    end=$(date +%s)
    sed -n '/PITH-VM-BOOTED/,/PITH-VM-RESULT/p' "$log" | tr -d '\r'
    rc=$(sed -n 's/.*PITH-VM-RESULT rc=\([0-9]*\).*/\1/p' "$log" | tail -n1)
    if [ -z "$rc" ] || grep -q "PITH-VM-ERROR" "$log"; then
        echo "---- VM console ($name, last 40 lines)"
        tail -n 40 "$log" | tr -d '\r'
        skip "the VM ($name) did not report a result within ${timeout}s (accel $accel)"
    fi
    echo "vm: $name on $kpkg ($accel) finished in $((end - start))s: rc=$rc"
}

rc_fs=0
if [ "${PITH_VM_CGROUPFS:-1}" = 1 ]; then
    boot "cgroup v2 (cgroupfs)" "$tests" "cgroup_no_v1=all pith.mode=v2"
    rc_fs=$rc
fi
rc_v1=0
if [ "${PITH_VM_V1:-1}" = 1 ]; then
    boot "cgroup v1 (cgroupfs)" "$tests" "pith.mode=v1"
    rc_v1=$rc
fi
rc_sd=0
if [ "${PITH_VM_SYSTEMD:-1}" = 1 ]; then
    # systemd as PID 1 (this machine's systemd, over the same share) for the
    # systemd driver.
    [ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd to boot for the systemd driver tests"
    boot "cgroup v2 (systemd)" "tests/integration/test_cgroups_systemd.py" \
        "cgroup_no_v1=all pith.mode=systemd systemd.unit=pith-tests.target systemd.show_status=0 systemd.log_target=console systemd.log_level=$([ "${PITH_VM_VERBOSE:-0}" = 1 ] && echo debug || echo warning)"
    rc_sd=$rc
fi
for r in "$rc_fs" "$rc_v1" "$rc_sd"; do
    [ "$r" = 0 ] || exit "$r"
done
exit 0
