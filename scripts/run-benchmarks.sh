#!/usr/bin/env bash
# scripts/run-benchmarks.sh - builds every benchmark (Release) and runs each under mpiexec, then prints
# one summary table: every case's ratio mpixx/raw (medians of alternated runs in the same process).
#
# Environment (all optional):
#   MPIXX_BUILD_DIR     build directory (default: build-benchmarks)
#   MPIXX_BENCH_RANKS   ranks per benchmark (default: 2, as the targets are stated for 2 ranks)
#   MPIXX_BENCH_ROUNDS  alternated rounds per case (each benchmark's default otherwise)
#   CXX                 compiler (g++ or clang++)
# Extra arguments go to every benchmark (e.g. --smoke for a quick check that they all run).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/test.sh --deps-only

build=${MPIXX_BUILD_DIR:-build-benchmarks}
ranks=${MPIXX_BENCH_RANKS:-2}
export UCX_LOG_LEVEL=${UCX_LOG_LEVEL:-error} HWLOC_HIDE_ERRORS=${HWLOC_HIDE_ERRORS:-2}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMPIXX_BUILD_TESTS=OFF -DMPIXX_BUILD_EXAMPLES=OFF \
      -DMPIXX_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
failed=0
for src in benchmarks/*.cpp; do
  name=$(basename "$src" .cpp)
  printf '\n######## %s (%d ranks) ########\n' "$name" "$ranks"
  if ! mpiexec -n "$ranks" "$build/benchmarks/$name" "$@" | tee -a /dev/stderr | grep -E ': ratio [0-9.]+' >>"$summary"; then
    echo "run-benchmarks: $name failed" >&2
    failed=1
  fi
done 2>&1

printf '\n######## summary: ratio = mpixx / raw (same run, medians) ########\n'
# "bench: case (may itself hold ': '): ratio R (target ...)" -> three columns
awk '{ i = index($0, ": "); rest = substr($0, i + 2); j = index(rest, ": ratio ");
       printf "%-14s %-62s %s\n", substr($0, 1, i - 1), substr(rest, 1, j - 1), substr(rest, j + 2) }' "$summary"
exit "$failed"
