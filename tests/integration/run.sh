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
. "$here/../lib.sh"

need_root "the pith integration tests need root (they create namespaces," \
          "      cgroups and mounts); run this script as root to run them."
if [ $# -gt 0 ]; then
    case $1 in
        -*) ;;                       # a pytest option: keep the default binary
        *) PITH=$1; shift ;;
    esac
fi
need_runtime
need_python pytest   # Debian: apt-get install python3-pytest
echo "pith integration tests: PITH=$PITH ($py)"
"$py" -m pytest -ra "$here" "$@"
exit $?
