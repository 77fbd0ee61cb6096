#!/bin/sh
# Run the engine tests: Podman and containerd driving the runtime.
#
#   tests/engines/run.sh [pytest options...]
#
# PITH: the runtime (default: src/pith; PITH=runc checks the tests);
# PITH_CHECK: the conformance checker, put into the test image (optional:
# the sd_notify case skips without it).  Exit status: pytest's; 77 when not
# root or when neither podman nor containerd is installed; 99 when pytest
# or the runtime is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the engine tests need root" >&2
    exit 77
fi
if ! command -v podman >/dev/null 2>&1 && ! command -v containerd >/dev/null 2>&1; then
    echo "SKIP: neither podman nor containerd is installed (apt-get install podman conmon containerd)" >&2
    exit 77
fi
PITH=${PITH:-$top/src/pith}
export PITH
case $PITH in
    */*) [ -x "$PITH" ] || { echo "ERROR: runtime '$PITH' not found" >&2; exit 99; } ;;
esac
[ -n "${PITH_CHECK:-}" ] && export PITH_CHECK
py=
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import pytest' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
[ -n "$py" ] || { echo "ERROR: no python3 with pytest (apt-get install python3-pytest)" >&2; exit 99; }
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
echo "pith engine tests: PITH=$PITH"
"$py" -m pytest -ra "$here" "$@"
exit $?
