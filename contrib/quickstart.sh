#!/bin/sh
# The README's first command: install the build dependencies, build pith,
# make a busybox bundle and run a container from it.  Run as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sh contrib/install-deps.sh
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build
cd build
[ -f Makefile ] || ../configure --quiet
make -j"$(nproc)" --quiet >/dev/null
echo "built $top/build/pith: $(./pith --version | head -n 1)"

bundle=$(mktemp -d /tmp/pith-quickstart.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/"
for cmd in $(/bin/busybox --list); do
    [ "$cmd" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$cmd"
done
./pith spec --bundle "$bundle"
# A program instead of the interactive shell of the default config.
sed -i -e 's/"terminal": true/"terminal": false/' \
       -e 's|^\( *\)"sh"$|\1"sh", "-c", "echo Hello from a pith container: $(hostname), pid $$, $(id)"|' \
       "$bundle/config.json"
echo "running a container from $bundle:"
./pith --root /run/pith run --bundle "$bundle" "quickstart-$$"
