#!/usr/bin/env bash
# tests/examples/check_farm_examples.sh NAME NP MPIEXEC [ARGS...]
#
# Runs `MPIEXEC ARGS...` (example NAME, master_worker or task_farm, on NP ranks) and checks its output
# against what this script computes itself: the sum of the squares of the tasks 0..99.
#   task_farm:     works at any rank count; prints exactly one line, on rank 0.
#   master_worker: at 1 rank it has no workers: it must exit non-zero saying
#                  "master_worker needs at least 2 ranks" on stderr; otherwise as task_farm.
# Environment: MPIXX_EXAMPLE_TIMEOUT (seconds, default 60; a hang fails instead of blocking CTest).
set -u

if [ $# -lt 4 ]; then
    echo "usage: $0 NAME NP MPIEXEC ARGS... (e.g. task_farm 3 mpiexec -n 3 ./task_farm)" >&2
    exit 2
fi
name=$1 np=$2
shift 2

err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$(timeout --kill-after=5 "${MPIXX_EXAMPLE_TIMEOUT:-60}" "$@" 2>"$err")
rc=$?

fail() {
    echo "FAIL example $name at $np rank(s): $*" >&2
    echo "---- its stdout ----" >&2
    printf '%s\n' "$out" >&2
    echo "---- its stderr ----" >&2
    cat "$err" >&2
    exit 1
}

[ $rc -eq 124 ] && fail "timed out after ${MPIXX_EXAMPLE_TIMEOUT:-60} s"

ntasks=100
sum=0
for ((t = 0; t < ntasks; t++)); do sum=$((sum + t * t)); done
expected="Completed $ntasks tasks, sum of results = $sum"

case "$name" in
master_worker | task_farm) ;;
*) fail "this script checks only master_worker and task_farm" ;;
esac

if [ "$name" = master_worker ] && [ "$np" -lt 2 ]; then
    [ $rc -ne 0 ] || fail "expected a non-zero exit status with no workers, got 0"
    grep -qx "master_worker needs at least 2 ranks" "$err" || fail "expected the message 'master_worker needs at least 2 ranks' on stderr"
    [ -z "$out" ] || fail "expected nothing on stdout"
    echo "example $name at $np rank(s): OK (refused, as it must)"
    exit 0
fi

[ $rc -eq 0 ] || fail "exit status $rc"
[ "$out" = "$expected" ] || fail "expected exactly one line: '$expected'"
echo "example $name at $np rank(s): OK"
