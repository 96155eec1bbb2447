#!/usr/bin/env bash
# tests/executor/check_worker_killed.sh MPIEXEC ARGS...
#
# Runs `MPIEXEC ARGS...` (tests/executor/worker_killed.cpp under mpiexec) and asserts that a worker killed
# by SIGKILL ends the whole job quickly: a non-zero exit within 15 s (not a hang of the client, which waits
# for the dead worker's result), with the signal named in the output, and never the client's "got every
# result" line.
set -uo pipefail
limit=15
start=$(date +%s%N)
output=$(timeout --kill-after=5 60 "$@" 2>&1)
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
printf '%s\n' "$output"
echo "check_worker_killed: exit status $rc after ${elapsed_ms} ms"

fail=0
if ((rc == 0)); then
    echo "check_worker_killed: FAIL: the job exited with status 0 although a worker was killed"
    fail=1
elif ((rc == 124 || elapsed_ms >= 60000)); then # (137 alone is Open MPI's launcher reporting the SIGKILL)
    echo "check_worker_killed: FAIL: the job hung (killed by timeout after 60 s)"
    fail=1
fi
if ((elapsed_ms > limit * 1000)); then
    echo "check_worker_killed: FAIL: the job took ${elapsed_ms} ms to end (limit ${limit} s)"
    fail=1
fi
# MPICH's hydra: "EXIT STRING: Killed (signal 9)"; Open MPI: "exited on signal 9 (Killed)".
grep -Eqi "signal 9|killed" <<<"$output" || { echo "check_worker_killed: FAIL: no message names the signal"; fail=1; }
! grep -q "got every result" <<<"$output" || { echo "check_worker_killed: FAIL: the client went on"; fail=1; }
((fail == 0)) && echo "check_worker_killed: PASS: the killed worker ended the job in ${elapsed_ms} ms"
exit "$fail"
