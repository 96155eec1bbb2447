#!/usr/bin/env bash
# scripts/run-examples.sh - builds the examples and runs every one of them under mpiexec, showing output.
#
# Installs missing packages like scripts/test.sh, configures ${MPIXX_BUILD_DIR:-build-examples} with the
# tests and benchmarks off, builds the examples, then runs each executable of <build>/examples/ (hello and
# mpi_info first, then alphabetically) under `mpiexec -n ${MPIXX_EXAMPLE_RANKS:-4}`.
# Exits non-zero if any example fails (or runs longer than ${MPIXX_EXAMPLE_TIMEOUT:-120} s).
# Also honours CXX, MPIXX_BUILD_TYPE and MPIXX_CMAKE_ARGS.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/test.sh" --deps-only
cd "$root"

build=${MPIXX_BUILD_DIR:-build-examples}
ranks=${MPIXX_EXAMPLE_RANKS:-4}
limit=${MPIXX_EXAMPLE_TIMEOUT:-120}
export UCX_LOG_LEVEL=${UCX_LOG_LEVEL:-error} HWLOC_HIDE_ERRORS=${HWLOC_HIDE_ERRORS:-2}

cmake_args=(-DCMAKE_BUILD_TYPE="${MPIXX_BUILD_TYPE:-RelWithDebInfo}" -DMPIXX_BUILD_TESTS=OFF
            -DMPIXX_BUILD_BENCHMARKS=OFF -DMPIXX_BUILD_EXAMPLES=ON)
if [[ -n ${CXX:-} ]]; then
  cxx_path=$(command -v "$CXX") || { echo "scripts/run-examples.sh: compiler '$CXX' not found" >&2; exit 1; }
  cmake_args+=(-DCMAKE_CXX_COMPILER="$cxx_path")
fi
read -ra extra_cmake <<<"${MPIXX_CMAKE_ARGS:-}" # several arguments, split on blanks
cmake_args+=("${extra_cmake[@]}")

printf '== configuring %s\n' "$build"
cmake -S . -B "$build" --log-level=WARNING "${cmake_args[@]}"
printf '== building the examples (-j%s)\n' "$(nproc)"
cmake --build "$build" -j"$(nproc)"

# hello and mpi_info first (they introduce the machine), then the rest alphabetically.
mapfile -t found < <(find "$build/examples" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | LC_ALL=C sort)
examples=()
for first in hello mpi_info; do
  for f in "${found[@]}"; do [[ $f == "$first" ]] && examples+=("$f"); done
done
for f in "${found[@]}"; do [[ $f == hello || $f == mpi_info ]] || examples+=("$f"); done
if ((${#examples[@]} == 0)); then
  echo "scripts/run-examples.sh: no example executables in $build/examples" >&2
  exit 1
fi

failed=()
for ex in "${examples[@]}"; do
  printf '\n========== %s (mpiexec -n %s) ==========\n' "$ex" "$ranks"
  rc=0
  timeout "$limit" mpiexec -n "$ranks" "$build/examples/$ex" </dev/null || rc=$?
  if ((rc != 0)); then
    ((rc == 124)) && echo "---------- $ex: timed out after $limit s" || echo "---------- $ex: FAILED (exit status $rc)"
    failed+=("$ex")
  fi
done

printf '\n== %d example(s) run at %s ranks: ' "${#examples[@]}" "$ranks"
if ((${#failed[@]} > 0)); then
  echo "${#failed[@]} FAILED: ${failed[*]}"
  exit 1
fi
echo "all passed"
