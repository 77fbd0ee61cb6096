#!/bin/sh
# Run pith's runtime-spec conformance suite (see README.md).
#
#   tests/conformance/run.sh [conformance.py options...]
#
# PITH: the runtime (default: src/pith); PITH_CHECK: the static checker
# (`make tests/conformance/pith-check`).  Exit status: the suite's; 77 when
# not root; 99 when something it needs is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
need_root "the conformance suite needs root (it runs containers)"
need_runtime
if [ -z "${PITH_CHECK:-}" ] || [ ! -x "$PITH_CHECK" ]; then
    echo "ERROR: PITH_CHECK must name the built checker (make tests/conformance/pith-check)" >&2
    exit 99
fi
export PITH_CHECK
need_python
exec "$py" "$here/conformance.py" "$@"
