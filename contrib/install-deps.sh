#!/bin/sh
# Installs what building and testing pith needs on Debian 12 (apt-get).
# Nothing is installed when everything is already there.
set -eu
build="autoconf automake libtool pkg-config make gcc python3 libyajl-dev libseccomp-dev libcap-dev libselinux1-dev"
test="python3-pytest dbus-daemon busybox-static iproute2 clang qemu-system-x86 podman conmon containerd"
missing=
for p in $build $test; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
