# The common part of the test runners (tests/*/run.sh), which source it
# after setting $here to their own directory:
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/../lib.sh"
#
# It sets $top (the source tree) and defines the checks below; a failed
# check exits with automake's codes: 77 (skipped) when not root, 99 (hard
# error) when the runtime or python is missing.

top=$(cd "$here/../.." && pwd)

# need_root LINE...: skip (exit 77) unless root, saying why in LINEs.
need_root () {
    [ "$(id -u)" = 0 ] && return 0
    printf 'SKIP: ' >&2
    printf '%s\n' "$@" >&2
    exit 77
}

# need_runtime: export PITH, the runtime under test (a path, or a name in
# PATH, e.g. runc); default: src/pith in the source tree.
need_runtime () {
    PITH=${PITH:-$top/src/pith}
    case $PITH in
        */*) [ -x "$PITH" ] || { echo "ERROR: runtime binary '$PITH' not found or not executable" >&2; exit 99; } ;;
        *) command -v "$PITH" >/dev/null 2>&1 || { echo "ERROR: runtime '$PITH' not found in PATH" >&2; exit 99; } ;;
    esac
    export PITH
}

# need_python [MODULE]: set $py to a python3 (that can import MODULE), and
# keep it from writing bytecode into the source tree.
need_python () {
    py=
    for cand in python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import ${1:-sys}" >/dev/null 2>&1; then
            py=$cand
            break
        fi
    done
    if [ -z "$py" ]; then
        echo "ERROR: no python3${1:+ with $1} found (apt-get install python3${1:+-$1})" >&2
        exit 99
    fi
    PYTHONDONTWRITEBYTECODE=1
    export PYTHONDONTWRITEBYTECODE
}
