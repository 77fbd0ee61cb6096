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
top=$(cd "$here/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the conformance suite needs root (it runs containers)" >&2
    exit 77
fi
PITH=${PITH:-$top/src/pith}
export PITH
if [ -z "${PITH_CHECK:-}" ] || [ ! -x "$PITH_CHECK" ]; then
    echo "ERROR: PITH_CHECK must name the built checker (make tests/conformance/pith-check)" >&2
    exit 99
fi
export PITH_CHECK
py=
for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1; then py=$cand; break; fi
done
[ -n "$py" ] || { echo "ERROR: python3 is needed" >&2; exit 99; }
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
exec "$py" "$here/conformance.py" "$@"
