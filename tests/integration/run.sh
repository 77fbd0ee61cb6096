#!/bin/sh
# Run pith's integration suite.
#
#   tests/integration/run.sh [PITH_BINARY] [pytest options...]
#
# PITH_BINARY defaults to $PITH, else to src/pith in the source tree.  Any
# further arguments go to pytest (e.g. -k lifecycle, -x, -v).
# Exit status: pytest's; 77 (automake "skipped") when not run as root;
# 99 (automake "hard error") when the binary or pytest is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the pith integration tests need root (they create namespaces," >&2
    echo "      cgroups and mounts); run this script as root to run them." >&2
    exit 77
fi

bin=${PITH:-$top/src/pith}
if [ $# -gt 0 ]; then
    case $1 in
        -*) ;;                       # a pytest option: keep the default binary
        *) bin=$1; shift ;;
    esac
fi
case $bin in
    */*) [ -x "$bin" ] || { echo "ERROR: runtime binary '$bin' not found or not executable" >&2; exit 99; } ;;
    *) command -v "$bin" >/dev/null 2>&1 || { echo "ERROR: runtime '$bin' not found in PATH" >&2; exit 99; } ;;
esac
PITH=$bin
export PITH

# Use a python3 that has pytest (Debian: apt-get install python3-pytest).
py=
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import pytest' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
if [ -z "$py" ]; then
    echo "ERROR: no python3 with pytest found (apt-get install python3-pytest)" >&2
    exit 99
fi

PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
echo "pith integration tests: PITH=$PITH ($py)"
"$py" -m pytest -ra "$here" "$@"
exit $?
