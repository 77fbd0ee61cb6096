#!/bin/sh
# The README's test command, and what CI runs: install dependencies, build
# with warnings as errors, run the unit and integration tests, the unit
# tests again under AddressSanitizer+UBSan, and make distcheck.  Run as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

step () { printf '\n==== %s\n' "$*"; }

step "dependencies"
sh contrib/install-deps.sh
step "autogen"
./autogen.sh >/dev/null 2>&1

step "build (-Werror) and make check: unit + integration tests"
rm -rf build-ci && mkdir build-ci && cd build-ci
../configure --quiet --enable-werror
make -j"$jobs" --quiet
make -j"$jobs" check || { cat tests/unit/*.log 2>/dev/null | tail -n 50; exit 1; }
step "engines: Podman and containerd driving pith"
make --quiet check-engines
step "runtime-spec conformance suite"
make --quiet check-conformance
step "cgroups on v2, v1 and under systemd: the cgroup tests in VMs (Debian's kernel under qemu)"
make --quiet check-cgroupv2
cd "$top"

step "sanitizers: unit tests under -fsanitize=address,undefined"
rm -rf build-asan && mkdir build-asan && cd build-asan
../configure --quiet --enable-werror --enable-sanitizers --disable-integration
make -j"$jobs" --quiet
make -j"$jobs" check || { cat tests/unit/*.log 2>/dev/null | tail -n 50; exit 1; }
cd "$top"

step "distcheck"
cd build-ci
make -j"$jobs" distcheck >/dev/null 2>distcheck.err || { tail -n 50 distcheck.err; exit 1; }
cd "$top"
rm -rf build-asan
step "all passed"
