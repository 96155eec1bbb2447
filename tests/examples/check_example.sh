#!/usr/bin/env bash
# tests/examples/check_example.sh NAME NP MPIEXEC [ARGS...]
#
# Runs `MPIEXEC ARGS...` (the launch of example NAME on NP ranks) and checks what it prints against
# values this script computes itself (from the shell, `hostname`, `mpiexec --version`, ...), never from mpixx.
# To check a new example: add a check_<name> function and a line to the `case` at the bottom.
#
# Environment: MPIXX_EXPECT_MPI_VERSION ("4.0", the MPI_VERSION.MPI_SUBVERSION macros, from CMake),
#              MPIXX_EXAMPLE_TIMEOUT (seconds, default 60; a hang fails instead of blocking CTest).
set -u

if [ $# -lt 4 ]; then
    echo "usage: $0 NAME NP MPIEXEC ARGS... (e.g. hello 3 mpiexec -n 3 ./hello)" >&2
    exit 2
fi
name=$1 np=$2 mpiexec=$3
shift 2

fail() {
    echo "FAIL example $name at $np rank(s): $*" >&2
    echo "---- its output ----" >&2
    printf '%s\n' "$out" >&2
    exit 1
}

# Fails unless the output is exactly the lines given (one argument per line), in any order.
expect_lines_any_order() {
    local want got
    want=$(printf '%s\n' "$@" | LC_ALL=C sort)
    got=$(printf '%s\n' "$out" | LC_ALL=C sort)
    [ "$got" = "$want" ] || fail "expected these lines (in any order):"$'\n'"$want"
}

# Fails unless output line number $1 (1-based) is exactly $2.
expect_line() {
    local got
    got=$(printf '%s\n' "$out" | sed -n "${1}p")
    [ "$got" = "$2" ] || fail "line $1: expected '$2', got '$got'"
}

# ---- one function per example ----

# Every rank prints "Hello from rank k of N", once, in any order.
check_hello() {
    local expected=() k
    for ((k = 0; k < np; k++)); do expected+=("Hello from rank $k of $np"); done
    expect_lines_any_order "${expected[@]}"
}

# Rank 0 alone prints four lines, in mpi4py's formats.
check_mpi_info() {
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] || fail "expected exactly 4 lines (rank 0 only)"
    local version=${MPIXX_EXPECT_MPI_VERSION:?set MPIXX_EXPECT_MPI_VERSION to MAJOR.MINOR}
    expect_line 1 "MPI version: (${version%%.*}, ${version#*.})"
    expect_line 2 "Processor name: $(hostname)"
    # The launcher we run under says whose it is (MPICH's hydra or Open MPI's), and its version.
    local lib_version vendor launcher
    launcher=$("$mpiexec" --version 2>&1)
    if [[ $launcher == *HYDRA* ]]; then
        lib_version=$(sed -n 's/^[[:space:]]*Version:[[:space:]]*//p' <<<"$launcher" | head -n 1)
        vendor="MPICH"
    elif [[ $launcher == *OpenRTE* || $launcher == *"Open MPI"* ]]; then
        lib_version=$(grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' <<<"$launcher" | head -n 1)
        vendor="Open MPI"
    else
        fail "cannot tell the MPI library from '$mpiexec --version': $launcher"
    fi
    [[ $lib_version =~ ^([0-9]+)\.([0-9]+)(\.([0-9]+))? ]] || fail "cannot parse library version '$lib_version'"
    local major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[4]:-0}
    expect_line 3 "Vendor: ('$vendor', ($major, $minor, $patch))"
    local line4
    line4=$(printf '%s\n' "$out" | sed -n 4p)
    [[ $line4 == "Library version: "*"$lib_version"* ]] ||
        fail "line 4: expected 'Library version: ...$lib_version...', got '$line4'"
}

# More checkers live in tests/examples/checks/*.sh, one file per group of examples, each defining
# check_<name> functions. A checker for an example that must refuse some rank counts (e.g. it needs 2+
# ranks) sets handles_exit_<name>=1 and inspects $rc and $errout itself.
for extra in "$(dirname "${BASH_SOURCE[0]}")"/checks/*.sh; do
    # shellcheck source=/dev/null
    [ -e "$extra" ] && source "$extra"
done

# ---- run it ----
err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$(timeout --kill-after=5 "${MPIXX_EXAMPLE_TIMEOUT:-60}" "$@" 2>"$err")
rc=$?
errout=$(cat "$err")
[ $rc -eq 124 ] && { printf '%s\n' "$errout" >&2; fail "timed out after ${MPIXX_EXAMPLE_TIMEOUT:-60} s"; }
handles="handles_exit_$name"
if [ -z "${!handles:-}" ] && [ $rc -ne 0 ]; then
    printf '%s\n' "$errout" >&2
    fail "exit status $rc"
fi

declare -F "check_$name" >/dev/null || fail "no checker for this example: add check_$name to $0 or checks/"
"check_$name"
echo "example $name at $np rank(s): OK"
