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
. "$here/../lib.sh"
need_root "the engine tests need root"
if ! command -v podman >/dev/null 2>&1 && ! command -v containerd >/dev/null 2>&1; then
    echo "SKIP: neither podman nor containerd is installed (apt-get install podman conmon containerd)" >&2
    exit 77
fi
need_runtime
[ -n "${PITH_CHECK:-}" ] && export PITH_CHECK
need_python pytest
echo "pith engine tests: PITH=$PITH"
"$py" -m pytest -ra "$here" "$@"
exit $?
