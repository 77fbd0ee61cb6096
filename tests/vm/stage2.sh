#!/bin/sh
# Runs in the test VM's tmpfs root, as the host kind $3 says: "v2" (the
# kernel booted with cgroup_no_v1=all: cgroup2 with every controller enabled
# below the root), "v1" (one v1 hierarchy per controller, no cgroup2), or
# "systemd" (systemd is PID 1 and has mounted everything).  Runs the tests
# and reports "PITH-VM-RESULT rc=N" on the console before powering off.
src=$1
build=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
mode=${3:-v2}
if [ "$mode" != systemd ]; then
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    mkdir -p /dev/pts /dev/shm /dev/mqueue
    mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
    mount -t tmpfs tmpfs /dev/shm
    chmod 1777 /tmp /var/tmp
fi
if [ "$mode" = v2 ]; then
    mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
    for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo "note: cannot enable $c"
    done
elif [ "$mode" = v1 ]; then
    # A pure cgroup v1 host, laid out as systemd did it: one hierarchy per
    # controller, cpu+cpuacct and net_cls+net_prio together, name=systemd.
    mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
    for c in $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups); do
        case $c in
            cpuacct | net_prio) continue ;;
            cpu) opts=cpu,cpuacct ;;
            net_cls) opts=net_cls,net_prio ;;
            *) opts=$c ;;
        esac
        mkdir -p "/sys/fs/cgroup/$opts"
        mount -t cgroup -o "$opts" cgroup "/sys/fs/cgroup/$opts" || echo "note: cannot mount $opts"
        [ "$opts" = "$c" ] || for one in $(echo "$opts" | tr ',' ' '); do ln -s "$opts" "/sys/fs/cgroup/$one"; done
    done
    mkdir -p /sys/fs/cgroup/systemd
    mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
fi
ip link set lo up 2>/dev/null
hostname pith-vm
echo "PITH-VM-BOOTED kernel $(uname -r), PID 1 $(cat /proc/1/comm), cgroups: $(ls /sys/fs/cgroup | tr '\n' ' ')"

cd "$src" || exit 1
tests=${PITH_VM_TESTS:-}
[ -n "$tests" ] || tests=$(sed -n 's/.*\bpith\.tests=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
verbosity=-q
grep -q 'pith.verbose=1' /proc/cmdline && verbosity=-v
PITH="$build/pith" python3 -m pytest -p no:cacheprovider --color=no $verbosity -ra $tests 2>&1
echo "PITH-VM-RESULT rc=$?"
sync
busybox poweroff -f
